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

package automationpolicy

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func refs(n int) []wavegatev1alpha1.ObjectRef {
	out := make([]wavegatev1alpha1.ObjectRef, n)
	for i := range out {
		out[i] = wavegatev1alpha1.ObjectRef{Kind: "ConfigMap", Namespace: "aoai-internal", Name: fmt.Sprintf("cm-%02d", i)}
	}
	return out
}

// conds is the conditions as "Type=Status Reason", in order.
func conds(cs []metav1.Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Type + "=" + string(c.Status) + " " + c.Reason
	}
	return out
}

func TestStatus(t *testing.T) {
	notServed := scan{notServed: []string{`widgets.example.com (no matches for kind "Widget")`}}
	cases := []struct {
		name     string
		prev     []metav1.Condition
		found    scan
		conds    []string
		message  string
		untagged int
		listed   int
	}{
		{
			name:    "nothing untagged, nothing uncovered: Ready",
			conds:   []string{"Ready=True AllTagged"},
			message: "every resource in scope is tagged and every scope region is known",
		},
		{
			name:     "untagged resources: not Ready, naming the first, and listing at most 20",
			found:    scan{untagged: refs(25)},
			conds:    []string{"Ready=False UntaggedResources"},
			message:  "25 resources in scope are untagged (first: ConfigMap aoai-internal/cm-00); tag each wavegate.io/protection=protected or deletable",
			untagged: 25,
			listed:   20,
		},
		{
			name:    "uncovered regions: not Ready",
			found:   scan{uncovered: []string{"chinaeast2", "chinanorth3"}},
			conds:   []string{"Ready=False UncoveredRegions"},
			message: "scope regions chinaeast2, chinanorth3 are not in the region inventory",
		},
		{
			name:     "untagged and uncovered: both are said",
			found:    scan{untagged: refs(1), uncovered: []string{"chinaeast2"}},
			conds:    []string{"Ready=False UncoveredRegions"},
			message:  "1 resources in scope are untagged (first: ConfigMap aoai-internal/cm-00); tag each wavegate.io/protection=protected or deletable; scope regions chinaeast2 are not in the region inventory",
			untagged: 1,
			listed:   1,
		},
		{
			name:    "a scope resource the cluster does not serve: not Ready, and Stalled",
			found:   notServed,
			conds:   []string{"Ready=False ResourceNotServed", "Stalled=True ResourceNotServed"},
			message: `scope resources not served by this cluster: widgets.example.com (no matches for kind "Widget"); correct scope.resources or install them`,
		},
		{
			name:    "once it is served, Stalled is removed",
			prev:    status(&wavegatev1alpha1.AutomationPolicy{}, notServed, t0).Conditions,
			conds:   []string{"Ready=True AllTagged"},
			message: "every resource in scope is tagged and every scope region is known",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ap := &wavegatev1alpha1.AutomationPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 4}}
			ap.Status.Conditions = tc.prev
			before := ap.DeepCopy()
			st := status(ap, tc.found, t0.Add(time.Minute))
			g.Expect(ap).To(Equal(before), "status is pure")
			g.Expect(conds(st.Conditions)).To(Equal(tc.conds))
			g.Expect(st.Conditions[0].Message).To(Equal(tc.message))
			for _, c := range st.Conditions {
				g.Expect(c.ObservedGeneration).To(BeEquivalentTo(4))
			}
			g.Expect(st.ObservedGeneration).To(BeEquivalentTo(4))
			g.Expect(st.UntaggedCount).To(BeEquivalentTo(tc.untagged))
			g.Expect(st.Untagged).To(HaveLen(tc.listed))
			g.Expect(st.UncoveredRegions).To(Equal(tc.found.uncovered))
		})
	}
}
