/*
Copyright 2026 The Wavegate Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package gate

import "sync"

// inflight is the set of change records this replica is writing. A change
// applied to many objects at once (one kubectl apply of a directory) sends
// its requests together, and each finds the record without its region: all
// but the first write would be refused by the API server as stale, each
// refusal costing a failed write and a fresh read on a busy server. A
// request that finds its record being written waits for that write and
// decides again on what it wrote instead. Correctness never rests on this:
// every write is still conditional on the version it was decided on.
type inflight struct {
	mu      sync.Mutex
	writing map[string]chan struct{}
}

// claim claims the records names for the caller and returns the function
// that releases them, or, when another request of this replica holds one
// of them, claims none and returns a channel closed once that request
// releases it.
func (f *inflight) claim(names ...string) (release func(), busy <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, name := range names {
		if done, ok := f.writing[name]; ok {
			return nil, done
		}
	}
	if f.writing == nil {
		f.writing = map[string]chan struct{}{}
	}
	done := make(chan struct{})
	for _, name := range names {
		f.writing[name] = done
	}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, name := range names {
			delete(f.writing, name)
		}
		close(done)
	}, nil
}
