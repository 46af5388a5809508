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

// Package recorder writes the manager's Kubernetes Events at a bounded rate.
//
// controller-runtime's recorders write every Event at once, each from a
// goroutine of its own, through the manager's client, which has no
// client-side limit. When a Freeze pauses a thousand rollouts, a thousand
// Paused Events then reach the API server together with the thousand status
// writes that pause them, and the status writes, which are what the gate
// and users read, wait behind them. Like the kubelet (--event-qps,
// --event-burst), the manager writes its Events at a bounded rate and keeps
// a bounded backlog: past it, Events are dropped and counted.
package recorder

import (
	"context"
	"fmt"
	"net/http"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"

	"github.com/wavegate/wavegate/internal/metrics"
)

// Backlog is how many Events may wait for the rate limit at once; the
// kubelet's broadcaster keeps as many.
const Backlog = 1000

// Provider makes Event recorders that share one broadcaster, whose writes
// are limited to qps Events a second with bursts of burst. It records from
// the moment it is made, so no Event is lost to a recorder used before the
// manager started; Stop ends it after the manager stopped, so the Events of
// the last reconciles and admissions are written too.
type Provider struct {
	scheme      *runtime.Scheme
	broadcaster events.EventBroadcaster
	sink        *boundedSink
	cancel      context.CancelFunc
}

// New returns a Provider writing through cfg (and httpClient, shared with
// the manager's other clients) at most qps Events a second, in bursts of
// at most burst.
func New(cfg *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, qps float32, burst int) (*Provider, error) {
	if !(qps > 0) || burst < 1 {
		return nil, fmt.Errorf("invalid Event rate %g/s with burst %d: use a positive rate and a burst of at least 1", qps, burst)
	}
	limited := rest.CopyConfig(cfg)
	limited.QPS, limited.Burst, limited.RateLimiter = qps, burst, nil
	c, err := eventsv1client.NewForConfigAndClient(limited, httpClient)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Events client: %w", err)
	}
	sink := &boundedSink{next: &events.EventSinkImpl{Interface: c}, slots: make(chan struct{}, Backlog)}
	b := events.NewBroadcaster(sink)
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.StartRecordingToSinkWithContext(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("failed to start recording Events: %w", err)
	}
	return &Provider{scheme: scheme, broadcaster: b, sink: sink, cancel: cancel}, nil
}

// For returns the recorder of one component (its reportingController).
func (p *Provider) For(component string) events.EventRecorder {
	return p.broadcaster.NewRecorder(p.scheme, component)
}

// Stop waits, until ctx is done, for the Events already recorded to be
// written, takes no more, and abandons what is left when ctx ends. A
// recorder hands an Event to the broadcaster, and the broadcaster to the
// sink, from goroutines of their own: the sink is judged idle when it was
// empty at three looks in a row, once before the broadcaster is shut down
// (an Event not yet handed to it would be lost) and once after.
func (p *Provider) Stop(ctx context.Context) {
	defer p.cancel()
	p.idle(ctx)
	p.broadcaster.Shutdown()
	p.idle(ctx)
}

// FlushTimeout is how long a stopping process writes the Events still
// waiting for the rate limit; the chart's grace period allows for it.
const FlushTimeout = 5 * time.Second

// StopWithin is Stop bounded by FlushTimeout, for a process that is
// stopping.
func (p *Provider) StopWithin() {
	ctx, cancel := context.WithTimeout(context.Background(), FlushTimeout)
	defer cancel()
	p.Stop(ctx)
}

// idle waits until the sink has been empty at three looks 50 ms apart, or
// until ctx ends.
func (p *Provider) idle(ctx context.Context) {
	for quiet := 0; quiet < 3; {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		if p.sink.waiting() > 0 {
			quiet = 0
		} else {
			quiet++
		}
	}
}

// boundedSink writes Events while fewer than cap(slots) are waiting for
// the rate limit or being written, and drops the others: the broadcaster
// starts a goroutine for every Event, and without a bound a sustained burst
// above the rate would hold them, and their memory, without end. (Those
// goroutines still exist for a moment before they reach the sink, and
// between retries when the API server cannot be reached.)
type boundedSink struct {
	next  events.EventSink
	slots chan struct{}
}

func (s *boundedSink) Create(ctx context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	return s.write(ev, func() (*eventsv1.Event, error) { return s.next.Create(ctx, ev) })
}

func (s *boundedSink) Update(ctx context.Context, ev *eventsv1.Event) (*eventsv1.Event, error) {
	return s.write(ev, func() (*eventsv1.Event, error) { return s.next.Update(ctx, ev) })
}

func (s *boundedSink) Patch(ctx context.Context, old *eventsv1.Event, data []byte) (*eventsv1.Event, error) {
	return s.write(old, func() (*eventsv1.Event, error) { return s.next.Patch(ctx, old, data) })
}

// write takes a slot for f, or drops ev when none is free. A dropped Event
// is reported as written: the broadcaster would otherwise retry it later,
// and log every one of a burst.
func (s *boundedSink) write(ev *eventsv1.Event, f func() (*eventsv1.Event, error)) (*eventsv1.Event, error) {
	select {
	case s.slots <- struct{}{}:
	default:
		metrics.EventsDropped.Inc()
		return ev, nil
	}
	defer func() { <-s.slots }()
	return f()
}

// waiting is how many Events are waiting for the rate limit or being written.
func (s *boundedSink) waiting() int { return len(s.slots) }
