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
