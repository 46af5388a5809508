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
// and users read, wait behind them. The kubelet bounds its Events the same
// way (--event-qps, --event-burst).
package recorder

import (
	"context"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Provider makes Event recorders that share one broadcaster, whose writes
// are limited to QPS Events a second with bursts of Burst. It records from
// the moment it is made, so no Event is lost to a recorder used before the
// manager started it; Start stops it when the manager stops.
type Provider struct {
	scheme      *runtime.Scheme
	broadcaster events.EventBroadcaster
	stop        context.CancelFunc
}

var _ manager.LeaderElectionRunnable = &Provider{}

// New returns a Provider writing through cfg (and httpClient, shared with
// the manager's other clients) at most qps Events a second, in bursts of
// at most burst.
func New(cfg *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, qps float32, burst int) (*Provider, error) {
	if qps <= 0 || burst < 1 {
		return nil, fmt.Errorf("invalid Event rate %g/s with burst %d: use a positive rate and a burst of at least 1", qps, burst)
	}
	limited := rest.CopyConfig(cfg)
	limited.QPS, limited.Burst, limited.RateLimiter = qps, burst, nil
	c, err := eventsv1client.NewForConfigAndClient(limited, httpClient)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Events client: %w", err)
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: c})
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.StartRecordingToSinkWithContext(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("failed to start recording Events: %w", err)
	}
	return &Provider{scheme: scheme, broadcaster: b, stop: cancel}, nil
}

// For returns the recorder of one component (its reportingController).
func (p *Provider) For(component string) events.EventRecorder {
	return p.broadcaster.NewRecorder(p.scheme, component)
}

// Start waits for ctx and then stops recording.
func (p *Provider) Start(ctx context.Context) error {
	<-ctx.Done()
	p.broadcaster.Shutdown()
	p.stop()
	return nil
}

// NeedLeaderElection is false: every replica's webhooks record Events.
func (p *Provider) NeedLeaderElection() bool { return false }
