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
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestTheLimiterGivesOutAtMostItsSlots(t *testing.T) {
	g := NewWithT(t)
	l := NewLimiter(2, 0)
	first, ok := l.Acquire(context.Background())
	g.Expect(ok).To(BeTrue())
	_, ok = l.Acquire(context.Background())
	g.Expect(ok).To(BeTrue())
	_, ok = l.Acquire(context.Background())
	g.Expect(ok).To(BeFalse(), "a third request waits no longer than its wait (0) and is refused")
	g.Expect(l.InFlight()).To(Equal(2))
	first()
	_, ok = l.Acquire(context.Background())
	g.Expect(ok).To(BeTrue(), "a released slot is given out again")

	waiting := NewLimiter(1, time.Hour)
	_, ok = waiting.Acquire(context.Background())
	g.Expect(ok).To(BeTrue())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok = waiting.Acquire(ctx)
	g.Expect(ok).To(BeFalse(), "a request whose caller gave up stops waiting")
}
