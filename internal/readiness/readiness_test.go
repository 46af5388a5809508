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
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

type syncer bool

func (s syncer) WaitForCacheSync(ctx context.Context) bool {
	if !s {
		<-ctx.Done()
	}
	return bool(s)
}

func TestCachesSynced(t *testing.T) {
	req := httptest.NewRequest("GET", "/readyz", nil)
	t.Run("a synced cache is ready", func(t *testing.T) {
		NewWithT(t).Expect(CachesSynced(syncer(true), time.Second)(req)).To(Succeed())
	})
	t.Run("a cache that has not synced is not ready, and says so", func(t *testing.T) {
		err := CachesSynced(syncer(false), time.Millisecond)(req)
		NewWithT(t).Expect(err).To(MatchError("informer caches have not synced yet"))
	})
}

func TestDeferredFailsUntilTheRealCheckIsSet(t *testing.T) {
	g := NewWithT(t)
	req := httptest.NewRequest("GET", "/readyz", nil)
	d := &Deferred{}
	g.Expect(d.Check(req)).To(MatchError("not set up yet"))
	d.Set(CachesSynced(syncer(true), time.Second))
	g.Expect(d.Check(req)).To(Succeed())
}
