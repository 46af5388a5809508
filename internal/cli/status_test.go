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

package cli

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestBlockers(t *testing.T) {
	cond := func(typ, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: reason, Message: msg}
	}
	cases := []struct {
		name  string
		conds []metav1.Condition
		want  string
	}{
		{name: "a Complete rollout holds nothing", conds: []metav1.Condition{cond("Ready", "Complete", "done")}, want: "-"},
		{
			name:  "a Blocked rollout: the reason and message it is Stalled with",
			conds: []metav1.Condition{cond("Stalled", "PinnedBuild", "pinned: a at 1.9.3"), cond("Blocked", "PinnedBuild", "pinned: a at 1.9.3")},
			want:  "PinnedBuild: pinned: a at 1.9.3",
		},
		{
			name:  "a Failed rollout is Stalled, not Blocked, and still shown",
			conds: []metav1.Condition{cond("Stalled", "KindNotServed", `no matches for kind "Widget"`)},
			want:  `KindNotServed: no matches for kind "Widget"`,
		},
		{name: "a paused rollout", conds: []metav1.Condition{cond("Paused", "Frozen", "paused by Freeze f")}, want: "Frozen: paused by Freeze f"},
		{
			name:  "a condition that is not True holds nothing",
			conds: []metav1.Condition{{Type: "Stalled", Status: metav1.ConditionFalse, Reason: "Waiting"}},
			want:  "-",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ro := &wavegatev1alpha1.ConfigRollout{Status: wavegatev1alpha1.ConfigRolloutStatus{Conditions: tc.conds}}
			NewWithT(t).Expect(blockers(ro)).To(Equal(tc.want))
		})
	}
}

func TestClusterSaysWhetherTheHubReachesARegionsCluster(t *testing.T) {
	contact := metav1.NewTime(time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC))
	inCluster := func(conds []metav1.Condition, st *wavegatev1alpha1.RegionClusterStatus) *wavegatev1alpha1.Region {
		g := &wavegatev1alpha1.Region{}
		g.Spec.Cluster = &wavegatev1alpha1.RegionCluster{KubeconfigSecretRef: wavegatev1alpha1.SecretKeyRef{Namespace: "ns", Name: "eastus"}}
		g.Status.Conditions, g.Status.Cluster = conds, st
		return g
	}
	cases := map[string]struct {
		region *wavegatev1alpha1.Region
		want   string
	}{
		"a region by label": {region: &wavegatev1alpha1.Region{}, want: "-"},
		"not probed yet":    {region: inCluster(nil, nil), want: "not probed yet"},
		"connected": {
			region: inCluster([]metav1.Condition{{Type: wavegatev1alpha1.ConditionConnected, Status: metav1.ConditionTrue, Reason: wavegatev1alpha1.ReasonReachable}},
				&wavegatev1alpha1.RegionClusterStatus{ServerVersion: "v1.37.2", LastContact: &contact}),
			want: "connected v1.37.2 (last contact 2026-11-29T18:00:00Z)",
		},
		"not connected": {
			region: inCluster([]metav1.Condition{{Type: wavegatev1alpha1.ConditionConnected, Status: metav1.ConditionFalse,
				Reason: wavegatev1alpha1.ReasonKubeconfigNotFound, Message: "Secret ns/eastus does not exist"}}, nil),
			want: "NOT CONNECTED KubeconfigNotFound: Secret ns/eastus does not exist",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := cluster(tc.region); got != tc.want {
				t.Errorf("cluster() = %q, want %q", got, tc.want)
			}
		})
	}
}
