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

package freeze

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const reason = "storage outage: stop all deployments"

func freeze(regions []string, opts ...func(*wavegatev1alpha1.Freeze)) *wavegatev1alpha1.Freeze {
	f := &wavegatev1alpha1.Freeze{ObjectMeta: metav1.ObjectMeta{Name: "f", Generation: 3},
		Spec: wavegatev1alpha1.FreezeSpec{Regions: regions, Reason: reason}}
	for _, o := range opts {
		o(f)
	}
	return f
}

func TestStatus(t *testing.T) {
	expiring := func(f *wavegatev1alpha1.Freeze) { f.Spec.ExpiresAt = &metav1.Time{Time: t0.Add(time.Hour)} }
	// wasActive is the status of a Freeze that came into force at t0,
	// written before Ready followed expiry: Ready True and Active True.
	wasActive := func(f *wavegatev1alpha1.Freeze) {
		f.Status = wavegatev1alpha1.FreezeStatus{Active: true, Since: &metav1.Time{Time: t0}, Conditions: []metav1.Condition{
			{Type: "Active", Status: metav1.ConditionTrue, Reason: wavegatev1alpha1.ReasonInForce, LastTransitionTime: metav1.Time{Time: t0}},
			{Type: wavegatev1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: wavegatev1alpha1.ReasonInForce, LastTransitionTime: metav1.Time{Time: t0}},
		}}
	}
	cases := []struct {
		name    string
		freeze  *wavegatev1alpha1.Freeze
		now     time.Time
		active  bool
		since   time.Time
		ready   metav1.ConditionStatus
		reason  string
		message string
		requeue time.Duration
		events  []string
	}{
		{
			name:    "a Freeze without expiry is active and Ready from the start",
			freeze:  freeze([]string{"*"}),
			now:     t0,
			active:  true,
			since:   t0,
			ready:   metav1.ConditionTrue,
			reason:  wavegatev1alpha1.ReasonInForce,
			message: "every region frozen: " + reason + "; 2 rollouts paused",
			events:  []string{wavegatev1alpha1.EventFreezeStarted},
		},
		{
			name:    "an expiring Freeze is looked at again at expiresAt",
			freeze:  freeze([]string{"eastus", "westus"}, expiring),
			now:     t0.Add(20 * time.Minute),
			active:  true,
			since:   t0.Add(20 * time.Minute),
			ready:   metav1.ConditionTrue,
			reason:  wavegatev1alpha1.ReasonInForce,
			message: "[eastus westus] frozen: " + reason + "; 2 rollouts paused",
			requeue: 40 * time.Minute,
			events:  []string{wavegatev1alpha1.EventFreezeStarted},
		},
		{
			name:    "an active Freeze keeps its start and says nothing new",
			freeze:  freeze([]string{"eastus"}, expiring, wasActive),
			now:     t0.Add(59 * time.Minute),
			active:  true,
			since:   t0,
			ready:   metav1.ConditionTrue,
			reason:  wavegatev1alpha1.ReasonInForce,
			message: "[eastus] frozen: " + reason + "; 2 rollouts paused",
			requeue: time.Minute,
		},
		{
			name:    "at expiresAt a Freeze is neither active nor Ready",
			freeze:  freeze([]string{"eastus"}, expiring, wasActive),
			now:     t0.Add(time.Hour),
			since:   t0,
			ready:   metav1.ConditionFalse,
			reason:  wavegatev1alpha1.ReasonExpired,
			message: "expired at 2026-06-01T13:00:00Z; it stops nothing any more",
			events:  []string{wavegatev1alpha1.EventFreezeEnded},
		},
		{
			name:    "a Freeze first seen after its expiry never started",
			freeze:  freeze([]string{"eastus"}, expiring),
			now:     t0.Add(2 * time.Hour),
			ready:   metav1.ConditionFalse,
			reason:  wavegatev1alpha1.ReasonExpired,
			message: "expired at 2026-06-01T13:00:00Z; it stops nothing any more",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before := tc.freeze.DeepCopy()
			st, requeue := status(tc.freeze, tc.now, 2)
			g.Expect(tc.freeze).To(Equal(before), "status is pure")
			g.Expect(st.Active).To(Equal(tc.active))
			g.Expect(tc.freeze.ActiveAt(tc.now)).To(Equal(tc.active), "status and ActiveAt agree")
			if tc.since.IsZero() {
				g.Expect(st.Since).To(BeNil())
			} else {
				g.Expect(st.Since.Time).To(Equal(tc.since))
			}
			g.Expect(st.PausedRollouts).To(BeEquivalentTo(2))
			g.Expect(st.ObservedGeneration).To(BeEquivalentTo(3))
			g.Expect(st.Conditions).To(HaveLen(1), "Ready is the only condition; the old Active is gone")
			ready := st.Conditions[0]
			g.Expect(ready.Type).To(Equal(wavegatev1alpha1.ConditionReady))
			g.Expect(ready.Status).To(Equal(tc.ready))
			g.Expect(ready.Reason).To(Equal(tc.reason))
			g.Expect(ready.Message).To(Equal(tc.message))
			g.Expect(ready.ObservedGeneration).To(BeEquivalentTo(3))
			g.Expect(requeue).To(Equal(tc.requeue))

			after := tc.freeze.DeepCopy()
			after.Status = st
			var reasons []string
			for _, e := range transitions(after, before.Status) {
				reasons = append(reasons, e.reason)
			}
			g.Expect(reasons).To(Equal(tc.events))
		})
	}
}
