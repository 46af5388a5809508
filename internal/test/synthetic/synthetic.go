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

package synthetic

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/test/objects"
)

// State sizes a synthetic cluster.
type State struct {
	Regions, Rollouts, Freezes, Policies int
}

// Standard is the state the decision benchmarks call standard (SPEC §7);
// their second state is ten times it.
var Standard = State{Regions: 100, Rollouts: 1000, Freezes: 50, Policies: 50}

// Times is s with every count multiplied by n.
func (s State) Times(n int) State {
	return State{Regions: n * s.Regions, Rollouts: n * s.Rollouts, Freezes: n * s.Freezes, Policies: n * s.Policies}
}

// Builder builds facts from a populated Index of s, on the synthetic clock,
// as the gate would.
func Builder(s State) *facts.Builder {
	return &facts.Builder{Index: Populate(s), Now: func() time.Time { return Now }, BreakGlassGroup: "wavegate:break-glass"}
}

// Now is the synthetic clock.
var Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Region names the i-th region.
func Region(i int) string { return fmt.Sprintf("r%04d", i) }

// Populate fills an Index the way the informers would: regions in pairs
// (r0000/r0001, ...), one plan of 10 waves that keeps pairs apart, rollouts
// observed in every region, freezes and policies elsewhere, and a change
// record per rollout.
func Populate(s State) *facts.Index {
	ix := facts.NewIndex()
	waves := make([]wavegatev1alpha1.Wave, 10)
	for w := range waves {
		waves[w] = objects.Wave(fmt.Sprintf("w%d", w))
	}
	for i := range s.Regions {
		r := objects.Region(Region(i))
		if i%2 == 1 {
			r.Spec.PairedRegion = Region(i - 1)
		}
		ix.SetRegion(r)
		// Pairs land five waves apart.
		w := (i/2)%5 + 5*(i%2)
		waves[w].Regions = append(waves[w].Regions, Region(i))
	}
	ix.SetWavePlan(objects.WavePlan("default", waves...))
	for i := range s.Rollouts {
		ro := objects.Rollout(fmt.Sprintf("rollout-%05d", i))
		for j := range s.Regions {
			ro.Status.Regions = append(ro.Status.Regions, wavegatev1alpha1.RolloutRegionStatus{
				Name: Region(j), State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.0.0",
			})
		}
		ix.SetConfigRollout(ro)
		ix.SetChangeRecord(&wavegatev1alpha1.ChangeRecord{
			ObjectMeta: metav1.ObjectMeta{Name: facts.ChangeRecordName(fmt.Sprintf("chg-%d", i)), ResourceVersion: "1"},
			Spec: wavegatev1alpha1.ChangeRecordSpec{ChangeID: fmt.Sprintf("chg-%d", i), Entries: []wavegatev1alpha1.ChangeEntry{
				{Region: Region(2), Wave: "w1", WaveIndex: 1, At: metav1.NewTime(Now.Add(-7 * time.Hour))},
			}},
		})
	}
	for i := range s.Freezes {
		// Freezes cover the last regions; the request below is elsewhere.
		ix.SetFreeze(objects.Freeze(fmt.Sprintf("freeze-%d", i), []string{Region(s.Regions - 1 - i%10)}))
	}
	for i := range s.Policies {
		ix.SetAutomationPolicy(objects.Policy(fmt.Sprintf("policy-%d", i), []string{Region(i % s.Regions)}, func(p *wavegatev1alpha1.AutomationPolicy) {
			p.Spec.Identities.ServiceAccounts = []string{fmt.Sprintf("automation/sa-%d", i)}
		}))
	}
	return ix
}

// Request is a typical gated update: a ConfigMap in one region, part of a
// change that already reached an earlier wave, requiring a rollout.
func Request(region int) *facts.Request {
	obj := &facts.Object{
		Labels: map[string]string{wavegatev1alpha1.LabelRegion: Region(region)},
		Annotations: map[string]string{
			wavegatev1alpha1.AnnotationChangeID: "chg-7",
			wavegatev1alpha1.AnnotationRequires: "rollout-00007",
		},
		PayloadHash: "7f3a9c1e5b7d",
	}
	// The stored object held the previous payload: the update carries the
	// change into the region.
	old := *obj
	old.PayloadHash = "0b1c2d3e4f5a"
	return &facts.Request{
		UID: "bench", Operation: "UPDATE", User: "alice", Groups: []string{"dev"},
		Kind: "ConfigMap", Version: "v1", Resource: "configmaps", Namespace: "app", Name: "settings",
		Object: obj, OldObject: &old,
	}
}
