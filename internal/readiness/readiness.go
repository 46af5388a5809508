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

package readiness

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// CacheSyncer is the part of a controller-runtime cache that readiness needs.
type CacheSyncer interface {
	WaitForCacheSync(ctx context.Context) bool
}

// CachesSynced fails until every informer of the cache has synced.
func CachesSynced(c CacheSyncer, wait time.Duration) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), wait)
		defer cancel()
		if !c.WaitForCacheSync(ctx) {
			return errors.New("informer caches have not synced yet")
		}
		return nil
	}
}

// Deferred is a readiness check registered before the manager starts whose
// real check is only known later (once the webhooks are set up, after the
// certificate exists). Until then it fails.
type Deferred struct {
	mu    sync.Mutex
	check healthz.Checker
}

// Set installs the real check.
func (d *Deferred) Set(c healthz.Checker) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.check = c
}

// Check runs the real check, or fails while there is none.
func (d *Deferred) Check(req *http.Request) error {
	d.mu.Lock()
	c := d.check
	d.mu.Unlock()
	if c == nil {
		return errors.New("not set up yet")
	}
	return c(req)
}
