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
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// blockingSink holds every write until released, or until its context
// ends.
type blockingSink struct {
	release chan struct{}
	mu      sync.Mutex
	written int
}

func (s *blockingSink) Create(ctx context.Context, _ *eventsv1.Event) (*eventsv1.Event, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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

func (s *blockingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
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

// Events recorded before Stop are written before it returns; one that
// cannot be written is abandoned when Stop's context ends.
func TestStopWritesWhatWasRecordedUntilItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		scheme := runtime.NewScheme()
		g.Expect(corev1.AddToScheme(scheme)).To(Succeed())
		p, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, http.DefaultClient, scheme, 50, 100)
		g.Expect(err).NotTo(HaveOccurred())
		next := &blockingSink{release: make(chan struct{})}
		close(next.release)
		p.sink.next = next
		rec := p.For("wavegate-test")
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "settings", UID: "u1"}}
		for i := range 20 {
			rec.Eventf(cm, nil, corev1.EventTypeNormal, fmt.Sprintf("Reason%d", i), "Test", "event %d", i)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.Stop(ctx)
		g.Expect(next.count()).To(Equal(20), "every Event recorded before Stop")

		// A sink that never answers: Stop gives up at its deadline.
		q, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, http.DefaultClient, scheme, 50, 100)
		g.Expect(err).NotTo(HaveOccurred())
		stuck := &blockingSink{release: make(chan struct{})}
		q.sink.next = stuck
		q.For("wavegate-test").Eventf(cm, nil, corev1.EventTypeNormal, "Stuck", "Test", "never written")
		short, cancelShort := context.WithTimeout(context.Background(), time.Second)
		defer cancelShort()
		start := time.Now()
		q.Stop(short)
		g.Expect(time.Since(start)).To(BeNumerically("~", time.Second, 100*time.Millisecond))
		synctest.Wait()
		g.Expect(stuck.count()).To(BeZero(), "abandoned, not written after Stop")
	})
}
