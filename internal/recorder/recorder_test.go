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

package recorder

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"

	"github.com/wavegate/wavegate/internal/metrics"
)

func TestARateThatWritesNothingIsRefusedWithTheFix(t *testing.T) {
	g := NewWithT(t)
	for _, c := range []struct {
		qps   float32
		burst int
	}{{0, 10}, {-1, 10}, {5, 0}} {
		_, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, http.DefaultClient, runtime.NewScheme(), c.qps, c.burst)
		g.Expect(err).To(MatchError(ContainSubstring("use a positive rate and a burst of at least 1")), "qps %g, burst %d", c.qps, c.burst)
	}
}

// blockingSink holds every write until released.
type blockingSink struct {
	release chan struct{}
	mu      sync.Mutex
	written int
}

func (s *blockingSink) Create(context.Context, *eventsv1.Event) (*eventsv1.Event, error) {
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written++
	return &eventsv1.Event{}, nil
}

func (s *blockingSink) Update(ctx context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	return s.Create(ctx, ev)
}

func (s *blockingSink) Patch(ctx context.Context, ev *eventsv1.Event, _ []byte) (*eventsv1.Event, error) {
	return s.Create(ctx, ev)
}

// While the backlog is full, further Events are dropped and counted at
// once instead of waiting (each would hold a goroutine); the ones waiting
// are all written.
func TestEventsBeyondTheBacklogAreDroppedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		next := &blockingSink{release: make(chan struct{})}
		s := &boundedSink{next: next, slots: make(chan struct{}, 3)}
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { _, _ = s.Create(context.Background(), &eventsv1.Event{}) })
		}
		synctest.Wait()
		g.Expect(s.waiting()).To(Equal(3))
		dropped := testutil.ToFloat64(metrics.EventsDropped)
		ev := &eventsv1.Event{Note: "one too many"}
		out, err := s.Patch(context.Background(), ev, nil)
		g.Expect(err).NotTo(HaveOccurred(), "a dropped Event must not be retried")
		g.Expect(out).To(BeIdenticalTo(ev))
		g.Expect(testutil.ToFloat64(metrics.EventsDropped)).To(Equal(dropped + 1))
		close(next.release)
		wg.Wait()
		g.Expect(next.written).To(Equal(3))
		g.Expect(s.waiting()).To(BeZero())
	})
}

// Stop waits for the Events already waiting, but not beyond its context.
func TestStopWaitsForTheBacklogUntilItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		p, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, http.DefaultClient, runtime.NewScheme(), 50, 100)
		g.Expect(err).NotTo(HaveOccurred())
		next := &blockingSink{release: make(chan struct{})}
		p.sink.next = next
		go func() { _, _ = p.sink.Create(context.Background(), &eventsv1.Event{}) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		p.Stop(ctx)
		g.Expect(time.Since(start)).To(BeNumerically(">=", time.Second), "it waited for the Event being written")
		g.Expect(next.written).To(BeZero())
		close(next.release)
		synctest.Wait()
		g.Expect(next.written).To(Equal(1))
	})
}
