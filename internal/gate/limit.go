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

import (
	"context"
	"time"
)

// Limiter bounds the requests one replica judges at once. A burst of new
// changes (a GitOps resync, a restore, a chart applied to every region)
// otherwise piles record writes onto the API server until every gated
// write times out, whoever sends it; past the bound a request is answered
// at once that it was not judged, which a client can retry, instead of
// after the webhook's timeout.
type Limiter struct {
	slots chan struct{}
	// wait is how long a request waits for a slot before it is refused.
	wait time.Duration
}

// NewLimiter admits at most max requests at once; a request waits at most
// wait for one of them.
func NewLimiter(max int, wait time.Duration) *Limiter {
	return &Limiter{slots: make(chan struct{}, max), wait: wait}
}

// Acquire takes a slot, or reports false when none came free in time (or
// ctx ended). release gives the slot back.
func (l *Limiter) Acquire(ctx context.Context) (release func(), ok bool) {
	select {
	case l.slots <- struct{}{}:
		return l.release, true
	default:
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return l.release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

func (l *Limiter) release() { <-l.slots }

// Max is how many requests may be judged at once.
func (l *Limiter) Max() int { return cap(l.slots) }

// InFlight is how many are being judged now.
func (l *Limiter) InFlight() int { return len(l.slots) }
