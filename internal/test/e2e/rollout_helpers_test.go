//go:build e2e

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

package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// planName is the WavePlan of the suites' rollouts: the sample order with
// bakes of seconds, so a suite sees several waves go by.
const planName = "e2e"

const bake = 3 * time.Second

var planWaves = []wavegatev1alpha1.Wave{
	{Name: "canary", Regions: []string{"eastus2euap"}},
	{Name: "pilot", Regions: []string{"westcentralus"}},
	{Name: "broad-1", Regions: []string{"eastus", "northeurope", "australiaeast"}},
	{Name: "broad-2", Regions: []string{"westus", "westeurope", "australiasoutheast"}},
}

func planRegions() []string {
	var out []string
	for _, w := range planWaves {
		out = append(out, w.Regions...)
	}
	return out
}

var planOnce sync.Once

// ensurePlan creates the e2e WavePlan once.
func ensurePlan(ctx context.Context, t *testing.T) {
	t.Helper()
	planOnce.Do(func() {
		waves := make([]wavegatev1alpha1.Wave, len(planWaves))
		for i, w := range planWaves {
			w.BakeTime = metav1.Duration{Duration: bake}
			waves[i] = w
		}
		wp := &wavegatev1alpha1.WavePlan{ObjectMeta: metav1.ObjectMeta{Name: planName}}
		wp.Spec.MinBakeTime = &metav1.Duration{Duration: time.Second}
		wp.Spec.Waves = waves
		if err := admin().Create(ctx, wp); err != nil {
			t.Fatalf("creating the e2e WavePlan: %v", err)
		}
	})
}

// waveTracker watches a rollout's status and remembers when each region was
// first applied and converged, so a suite can tell whether a wave step was
// repeated (an appliedAt that moves) or skipped (a wave that starts before
// the one before it converged and baked).
type waveTracker struct {
	applied   map[string]time.Time
	converged map[string]time.Time
	repeated  []string
}

func newWaveTracker() *waveTracker {
	return &waveTracker{applied: map[string]time.Time{}, converged: map[string]time.Time{}}
}

func (w *waveTracker) observe(ro *wavegatev1alpha1.ConfigRollout) {
	for _, rs := range ro.Status.Regions {
		if rs.AppliedAt != nil {
			if first, ok := w.applied[rs.Name]; ok && !first.Equal(rs.AppliedAt.Time) {
				w.repeated = append(w.repeated, rs.Name+" applied again at "+rs.AppliedAt.Format(time.RFC3339))
			} else if !ok {
				w.applied[rs.Name] = rs.AppliedAt.Time
			}
		}
		if rs.ConvergedAt != nil {
			if _, ok := w.converged[rs.Name]; !ok {
				w.converged[rs.Name] = rs.ConvergedAt.Time
			}
		}
	}
}

// check fails t when a region was applied twice, or when a wave was applied
// before the previous one had converged and baked. Status times have a
// resolution of one second.
func (w *waveTracker) check(t *testing.T, waves int) {
	t.Helper()
	for _, r := range w.repeated {
		t.Errorf("a wave step was repeated: %s", r)
	}
	for i := 1; i < waves; i++ {
		var prevDone time.Time
		for _, r := range planWaves[i-1].Regions {
			if c, ok := w.converged[r]; ok && c.After(prevDone) {
				prevDone = c
			}
		}
		for _, r := range planWaves[i].Regions {
			a, ok := w.applied[r]
			if !ok {
				continue
			}
			if a.Add(time.Second).Before(prevDone.Add(bake)) {
				t.Errorf("wave %s started early: %s applied at %s, but wave %s converged at %s and bakes %s",
					planWaves[i].Name, r, a.Format(time.RFC3339), planWaves[i-1].Name, prevDone.Format(time.RFC3339), bake)
			}
		}
	}
}

func getRollout(ctx context.Context, name string) (*wavegatev1alpha1.ConfigRollout, error) {
	ro := &wavegatev1alpha1.ConfigRollout{}
	return ro, admin().Get(ctx, client.ObjectKey{Name: name}, ro)
}

func regionState(ro *wavegatev1alpha1.ConfigRollout, region string) wavegatev1alpha1.RolloutRegionStatus {
	for _, rs := range ro.Status.Regions {
		if rs.Name == region {
			return rs
		}
	}
	return wavegatev1alpha1.RolloutRegionStatus{}
}
