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

package convergence

import (
	"testing"

	. "github.com/onsi/gomega"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestInRegionAndPairs(t *testing.T) {
	ro := &wavegatev1alpha1.ConfigRollout{}
	ro.Generation, ro.Spec.Version = 3, "2.0.0"
	ro.Status = wavegatev1alpha1.ConfigRolloutStatus{ObservedGeneration: 3, Regions: []wavegatev1alpha1.RolloutRegionStatus{
		{Name: "australiaeast", State: wavegatev1alpha1.RegionPinned, ObservedVersion: "1.9.3", Message: "hotfix hold"},
		{Name: "australiasoutheast", State: wavegatev1alpha1.RegionPinned, ObservedVersion: "1.9.3"},
		{Name: "eastus", State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.0.0"},
		{Name: "westus", State: wavegatev1alpha1.RegionApplied, ObservedVersion: "1.9.3"},
	}}
	cases := []struct {
		name   string
		region string
		pairs  []string
		want   []Region
	}{
		{
			name: "a pinned pair is not converged, and the pin reason is kept", region: "australiaeast", pairs: []string{"australiasoutheast"},
			want: []Region{
				{Region: "australiaeast", Detail: "Pinned at 1.9.3: hotfix hold"},
				{Region: "australiasoutheast", Detail: "Pinned at 1.9.3"},
			},
		},
		{
			name: "a converged region whose pair is only applied is not converged there", region: "eastus", pairs: []string{"westus"},
			want: []Region{
				{Region: "eastus", Converged: true, Detail: "Converged at 2.0.0"},
				{Region: "westus", Detail: "Applied at 1.9.3"},
			},
		},
		{
			name: "a region the rollout does not target is never converged", region: "centralus",
			want: []Region{{Region: "centralus", Detail: "not targeted by the rollout"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(InRegionAndPairs(ro, tc.region, tc.pairs)).To(Equal(tc.want))
		})
	}
	t.Run("Converged needs every region", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(Converged(InRegionAndPairs(ro, "eastus", []string{"westus"}))).To(BeFalse())
		g.Expect(Converged(InRegionAndPairs(ro, "eastus", nil))).To(BeTrue())
	})
	t.Run("status written for an older generation is stale, however converged it says a region is", func(t *testing.T) {
		g := NewWithT(t)
		stale := ro.DeepCopy()
		stale.Generation = 4
		g.Expect(InRegionAndPairs(stale, "eastus", nil)).To(Equal([]Region{{Region: "eastus", Detail: "status is for generation 3, not the current 4"}}))
		g.Expect(Converged(InRegionAndPairs(stale, "eastus", nil))).To(BeFalse())
		never := ro.DeepCopy()
		never.Generation, never.Status.ObservedGeneration = 1, 0
		g.Expect(Converged(InRegionAndPairs(never, "eastus", nil))).To(BeFalse(), "status the controller never wrote for any generation")
		g.Expect(InRegionAndPairs(never, "centralus", nil)).To(Equal([]Region{{Region: "centralus", Detail: "status is for generation 0, not the current 1"}}),
			"without status for the current generation, which regions it targets is not known either")
		g.Expect(InRegionAndPairs(stale, "centralus", nil)).To(Equal([]Region{{Region: "centralus", Detail: "status is for generation 3, not the current 4"}}))
	})
	t.Run("a region Converged at another version than spec.version is not converged", func(t *testing.T) {
		g := NewWithT(t)
		edited := ro.DeepCopy()
		edited.Spec.Version = "2.1.0"
		g.Expect(InRegionAndPairs(edited, "eastus", nil)).To(Equal([]Region{{Region: "eastus", Detail: "Converged at 2.0.0, not at 2.1.0"}}))
	})
}
