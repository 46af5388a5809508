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

package region

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

func TestStatus(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	withGen := func(r *wavegatev1alpha1.Region) { r.Generation = 3 }
	cases := []struct {
		name   string
		rg     *wavegatev1alpha1.Region
		pair   *wavegatev1alpha1.Region
		status metav1.ConditionStatus
		reason string
		msg    string
	}{
		{
			name: "no pair is Ready", rg: Region("a", withGen),
			status: metav1.ConditionTrue, reason: wavegatev1alpha1.ReasonNoPair, msg: "the region has no failover pair",
		},
		{
			name: "a pair that does not exist yet is PairPending", rg: Region("a", PairedWith("b"), withGen),
			status: metav1.ConditionFalse, reason: wavegatev1alpha1.ReasonPairPending,
			msg: "Region b does not exist yet; create it with spec.pairedRegion a. Meanwhile the two count as a failover pair for every safety rule",
		},
		{
			name: "a pair that does not name it back yet is PairPending", rg: Region("a", PairedWith("b"), withGen), pair: Region("b"),
			status: metav1.ConditionFalse, reason: wavegatev1alpha1.ReasonPairPending,
			msg: "Region b does not name a back as its pair yet; set its spec.pairedRegion to a. Meanwhile the two count as a failover pair for every safety rule",
		},
		{
			name: "a pair that names it back is Ready", rg: Region("a", PairedWith("b"), withGen), pair: Region("b", PairedWith("a")),
			status: metav1.ConditionTrue, reason: wavegatev1alpha1.ReasonPaired, msg: "paired with b, which names this region back",
		},
		{
			name: "a pair that names a third region is a conflict", rg: Region("a", PairedWith("b"), withGen), pair: Region("b", PairedWith("c")),
			status: metav1.ConditionFalse, reason: wavegatev1alpha1.ReasonPairConflict,
			msg: "Region b names c as its pair, not a; a region has one failover pair, so correct one of them",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			st := status(tc.rg, tc.pair, t0)
			g.Expect(st.ObservedGeneration).To(BeEquivalentTo(3))
			g.Expect(st.Conditions).To(HaveLen(1))
			c := meta.FindStatusCondition(st.Conditions, wavegatev1alpha1.ConditionReady)
			g.Expect(c.Status).To(Equal(tc.status))
			g.Expect(c.Reason).To(Equal(tc.reason))
			g.Expect(c.Message).To(Equal(tc.msg))
			g.Expect(c.ObservedGeneration).To(BeEquivalentTo(3))
		})
	}
	t.Run("the transition time moves only when Ready changes", func(t *testing.T) {
		g := NewWithT(t)
		rg := Region("a", PairedWith("b"))
		rg.Status = status(rg, nil, t0)
		rg.Status = status(rg, Region("b"), t0.Add(time.Minute))
		g.Expect(rg.Status.Conditions[0].LastTransitionTime.Time).To(Equal(t0))
		rg.Status = status(rg, Region("b", PairedWith("a")), t0.Add(2*time.Minute))
		g.Expect(rg.Status.Conditions[0].LastTransitionTime.Time).To(Equal(t0.Add(2 * time.Minute)))
	})
}
