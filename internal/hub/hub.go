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

// Package hub connects an agent (the gate in a regional cluster) to its
// hub: the cluster whose Regions, WavePlans, ConfigRollouts, Freezes and
// AutomationPolicies the agent judges by, and where it writes its change
// records. It tells how long ago the hub last answered, so the agent can
// stop trusting its cached copy of the hub's Freezes once that is too long.
package hub

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// DefaultStaleness is how long an agent judges on its cached hub state
// after the hub last answered.
const DefaultStaleness = 5 * time.Minute

// Hub is an agent's connection to its hub.
type Hub struct {
	// Cluster reads the hub through informers and writes to it.
	cluster.Cluster
	// Staleness is how long the cached state is trusted after the hub last
	// answered.
	Staleness time.Duration
	// Every is how often the hub is asked whether it answers.
	Every time.Duration
	// Now is the clock.
	Now func() time.Time
	// Refresh is the heartbeat: an authorized read of what the agent must
	// not judge on an old copy of (the hub's Freezes), which it applies.
	// The hub counts as reached only when it succeeds: an API server that
	// answers but refuses the agent's identity is not a hub it can trust.
	// The gate sets it (gate.ForManager); until then the hub is never
	// reached.
	Refresh func(ctx context.Context) error

	mu       sync.Mutex
	lastSync time.Time
}

// New connects to the hub at cfg. The returned Hub must be added to the
// agent's manager, which runs its informers and its heartbeat.
func New(cfg *rest.Config, scheme *runtime.Scheme, cacheOpts cache.Options, staleness time.Duration) (*Hub, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "wavegate-agent"
	cl, err := cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = scheme
		o.Cache = cacheOpts
	})
	if err != nil {
		return nil, fmt.Errorf("failed to connect to the hub: %w", err)
	}
	return &Hub{Cluster: cl, Staleness: staleness, Every: 2 * time.Second, Now: time.Now}, nil
}

// Runnable is what an agent's manager runs for the hub. It is not the Hub
// itself: a manager waits for the caches it runs to sync before it starts
// anything else, and an agent started during a hub outage must still start
// its own cluster's informers and its gate (which then denies, saying the
// hub is unreachable).
func (h *Hub) Runnable() manager.Runnable { return runnable{h} }

type runnable struct{ h *Hub }

func (r runnable) Start(ctx context.Context) error { return r.h.start(ctx) }

// NeedLeaderElection is false: every replica of the agent judges, so every
// replica needs the hub.
func (runnable) NeedLeaderElection() bool { return false }

// start runs the hub's informers and the heartbeat until ctx ends.
func (h *Hub) start(ctx context.Context) error {
	done := make(chan error, 1)
	// The embedded cluster's Start runs the hub's informers.
	go func() { done <- h.Start(ctx) }()
	h.beat(ctx)
	ticker := time.NewTicker(h.Every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-done
		case err := <-done:
			return err
		case <-ticker.C:
			h.beat(ctx)
		}
	}
}

func (h *Hub) beat(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if h.Refresh != nil && h.Refresh(ctx) == nil {
		h.Synced()
	}
	if last := h.LastSync(); !last.IsZero() {
		staleness.Set(h.Now().Sub(last).Seconds())
	}
}

// Synced records that the hub answered now.
func (h *Hub) Synced() {
	h.mu.Lock()
	h.lastSync = h.Now()
	h.mu.Unlock()
	lastSync.Set(float64(h.Now().Unix()))
}

// LastSync is when the hub last answered; zero if never.
func (h *Hub) LastSync() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastSync
}

// Stale says, once the hub has not answered for longer than Staleness,
// why gated changes must be denied; nil while the cached state is trusted.
func (h *Hub) Stale(region string) error {
	last := h.LastSync()
	age := h.Now().Sub(last)
	if !last.IsZero() {
		staleness.Set(age.Seconds())
		if age <= h.Staleness {
			return nil
		}
	}
	since := "it has not been reached since this agent started"
	if !last.IsZero() {
		since = fmt.Sprintf("it was last reached %s ago, at %s (--hub-staleness is %s)", age.Round(time.Second), last.UTC().Format(time.RFC3339), h.Staleness)
	}
	return fmt.Errorf("[wavegate:hub-unreachable] the Wavegate agent of region %s cannot reach its hub: %s. "+
		"The hub's Freezes are unknown and unknown is not safe, so gated changes in this cluster are denied; "+
		"restore the agent's connection to the hub (its --hub-kubeconfig), or make the change in break-glass", region, since)
}

var (
	lastSync = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "wavegate_agent_hub_last_sync_timestamp_seconds",
		Help: "When the agent last reached its hub (Unix time).",
	})
	staleness = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "wavegate_agent_hub_staleness_seconds",
		Help: "How long ago the agent last reached its hub.",
	})
)

func init() {
	crmetrics.Registry.MustRegister(lastSync, staleness)
}
