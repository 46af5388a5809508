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

package rollout

import (
	"errors"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestPhase(t *testing.T) {
	invalid := &failure{permanent: true, reason: wavegatev1alpha1.ReasonPatchFailed, message: "the API server rejected the patch"}
	denied := &failure{reason: wavegatev1alpha1.ReasonPatchFailed, message: "the patch was not applied; retrying"}
	waiting := phaseInput{wave: "w1", waiting: []string{"a (Pending)", "b (Applied)"}}
	with := func(in phaseInput, f func(*phaseInput)) phaseInput { f(&in); return in }
	cases := []struct {
		name string
		in   phaseInput
		want verdict
	}{
		{
			name: "nothing applied yet is Pending, naming what the wave waits for",
			in:   waiting,
			want: verdict{wavegatev1alpha1.PhasePending, wavegatev1alpha1.ReasonWaiting, "wave w1: waiting for a (Pending), b (Applied)"},
		},
		{
			name: "once a region is applied it is Progressing",
			in:   with(waiting, func(in *phaseInput) { in.started = true }),
			want: verdict{wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.ReasonWaiting, "wave w1: waiting for a (Pending), b (Applied)"},
		},
		{
			name: "a converged wave bakes until its time",
			in:   with(waiting, func(in *phaseInput) { in.started, in.bakeUntil = true, t0.Add(time.Hour) }),
			want: verdict{wavegatev1alpha1.PhaseBaking, wavegatev1alpha1.ReasonWaiting, "wave w1 is baking until 2026-06-01T13:00:00Z"},
		},
		{
			name: "every wave done is Complete",
			in:   phaseInput{complete: true, started: true},
			want: verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "every wave converged and baked"},
		},
		{
			name: "spec.paused pauses",
			in:   with(waiting, func(in *phaseInput) { in.specPaused = true }),
			want: verdict{wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonSpecPaused, "spec.paused is true"},
		},
		{
			name: "a Freeze pauses before spec.paused does, and is named",
			in: with(waiting, func(in *phaseInput) {
				in.specPaused, in.frozen, in.frozenBy, in.frozenRegion = true, true, "inc-1", "b"
			}),
			want: verdict{wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonFrozen, "paused by Freeze inc-1, which covers region b of wave w1"},
		},
		{
			name: "a pin in a later wave does not block the current one",
			in:   with(waiting, func(in *phaseInput) { in.pins = []string{"c at 1.9.3 (hold)"} }),
			want: verdict{wavegatev1alpha1.PhasePending, wavegatev1alpha1.ReasonWaiting, "wave w1: waiting for a (Pending), b (Applied)"},
		},
		{
			name: "a pin in the current wave blocks, naming every pin, before a Freeze",
			in: with(waiting, func(in *phaseInput) {
				in.pins, in.pinInWave, in.frozen = []string{"a at 1.9.3 (hold)", "c at 1.9.2 (no reason given)"}, true, true
			}),
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild,
				"pinned, so never patched: a at 1.9.3 (hold), c at 1.9.2 (no reason given); remove the pins or change spec.version"},
		},
		{
			name: "a pin after completion blocks: never Complete while a region is pinned",
			in:   phaseInput{complete: true, started: true, pins: []string{"c at 1.0.0 (rollback)"}},
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild,
				"pinned, so never patched: c at 1.0.0 (rollback); remove the pins or change spec.version"},
		},
		{
			name: "a missing target blocks",
			in:   with(waiting, func(in *phaseInput) { in.missing, in.target = []string{"a", "b"}, "ConfigMap settings" }),
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonTargetMissing,
				"no ConfigMap settings found in a, b; create it or skip the region in spec.skipRegions"},
		},
		{
			name: "a region past its progress deadline blocks",
			in:   with(waiting, func(in *phaseInput) { in.late, in.deadline = []string{"b (2 of 3 replicas updated)"}, 30*time.Minute }),
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonProgressDeadlineExceeded,
				"not converged within progressDeadline 30m0s: b (2 of 3 replicas updated)"},
		},
		{
			name: "a missing plan blocks",
			in:   phaseInput{planMissing: "nope"},
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPlanNotFound, "WavePlan nope does not exist; create it or change spec.planRef"},
		},
		{
			name: "a patch that may still succeed blocks, after the rollout's own blockers and before a Freeze",
			in:   with(waiting, func(in *phaseInput) { in.failure, in.frozen = denied, true }),
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPatchFailed, "the patch was not applied; retrying"},
		},
		{
			name: "a pin is reported before a patch that may still succeed",
			in:   with(waiting, func(in *phaseInput) { in.failure, in.pins, in.pinInWave = denied, []string{"a at 1 (x)"}, true }),
			want: verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild, "pinned, so never patched: a at 1 (x); remove the pins or change spec.version"},
		},
		{
			name: "a permanent failure is Failed, before everything else",
			in: with(waiting, func(in *phaseInput) {
				in.failure, in.pins, in.pinInWave, in.planMissing = invalid, []string{"a at 1 (x)"}, true, "p"
			}),
			want: verdict{wavegatev1alpha1.PhaseFailed, wavegatev1alpha1.ReasonPatchFailed, "the API server rejected the patch"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(phase(tc.in)).To(Equal(tc.want))
		})
	}
}

// conds is the conditions as "Type=Status Reason", in order.
func conds(cs []metav1.Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Type + "=" + string(c.Status) + " " + c.Reason
	}
	return out
}

func TestConditions(t *testing.T) {
	all := convergenceCount{known: true, converged: 3, total: 3, version: "2.0.0"}
	some := convergenceCount{known: true, converged: 1, total: 3, version: "2.0.0"}
	blocked := verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild, "pinned"}
	// What an earlier step left: a rollout that was blocked.
	wasBlocked := conditions(nil, blocked, some, 1, t0)
	cases := []struct {
		name string
		prev []metav1.Condition
		v    verdict
		conv convergenceCount
		want []string
	}{
		{
			name: "Complete and converged is Ready, and nothing else is said but Converged",
			v:    verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "done"},
			conv: all,
			want: []string{"Ready=True Complete", "Converged=True Converged"},
		},
		{
			name: "Complete but drifted is not Ready",
			v:    verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "done"},
			conv: some,
			want: []string{"Ready=False NotConverged", "Converged=False NotConverged"},
		},
		{
			name: "a moving rollout is Reconciling, by its SPEC name Progressing too",
			v:    verdict{wavegatev1alpha1.PhaseBaking, wavegatev1alpha1.ReasonWaiting, "baking"},
			conv: some,
			want: []string{"Ready=False Waiting", "Converged=False NotConverged", "Reconciling=True Waiting", "Progressing=True Waiting"},
		},
		{
			name: "Pending moves too",
			v:    verdict{wavegatev1alpha1.PhasePending, wavegatev1alpha1.ReasonWaiting, "waiting"},
			conv: some,
			want: []string{"Ready=False Waiting", "Converged=False NotConverged", "Reconciling=True Waiting", "Progressing=True Waiting"},
		},
		{
			name: "Blocked is Stalled and Blocked",
			v:    blocked,
			conv: some,
			want: []string{"Ready=False PinnedBuild", "Converged=False NotConverged", "Stalled=True PinnedBuild", "Blocked=True PinnedBuild"},
		},
		{
			name: "Failed is Stalled, not Blocked",
			v:    verdict{wavegatev1alpha1.PhaseFailed, wavegatev1alpha1.ReasonKindNotServed, "no such kind"},
			conv: convergenceCount{},
			want: []string{"Ready=False KindNotServed", "Converged=Unknown KindNotServed", "Stalled=True KindNotServed"},
		},
		{
			name: "Paused is only Paused",
			v:    verdict{wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonFrozen, "frozen"},
			conv: some,
			want: []string{"Ready=False Frozen", "Converged=False NotConverged", "Paused=True Frozen"},
		},
		{
			name: "once unblocked, Stalled and Blocked are removed, not set False",
			prev: wasBlocked,
			v:    verdict{wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.ReasonWaiting, "waiting"},
			conv: some,
			want: []string{"Ready=False Waiting", "Converged=False NotConverged", "Reconciling=True Waiting", "Progressing=True Waiting"},
		},
		{
			name: "once Complete, Reconciling and Progressing are removed",
			prev: conditions(nil, verdict{wavegatev1alpha1.PhaseBaking, wavegatev1alpha1.ReasonWaiting, "baking"}, all, 1, t0),
			v:    verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "done"},
			conv: all,
			want: []string{"Ready=True Complete", "Converged=True Converged"},
		},
		{
			name: "conditions that another writer set are left alone",
			prev: []metav1.Condition{{Type: "Audited", Status: metav1.ConditionTrue, Reason: "ByHand"}},
			v:    verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "done"},
			conv: all,
			want: []string{"Audited=True ByHand", "Ready=True Complete", "Converged=True Converged"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before := append([]metav1.Condition(nil), tc.prev...)
			got := conditions(tc.prev, tc.v, tc.conv, 2, t0.Add(time.Minute))
			g.Expect(conds(got)).To(Equal(tc.want))
			g.Expect(tc.prev).To(Equal(before), "prev is not modified")
			for _, c := range got {
				if c.Type != "Audited" {
					g.Expect(c.ObservedGeneration).To(BeEquivalentTo(2), c.Type)
				}
			}
		})
	}
}

func TestConditionsKeepTheirTransitionTimeWhileTheirStatusHolds(t *testing.T) {
	g := NewWithT(t)
	baking := verdict{wavegatev1alpha1.PhaseBaking, wavegatev1alpha1.ReasonWaiting, "baking"}
	some := convergenceCount{known: true, converged: 1, total: 2, version: "2"}
	first := conditions(nil, baking, some, 1, t0)
	later := conditions(first, verdict{wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.ReasonWaiting, "waiting"}, some, 1, t0.Add(time.Hour))
	for _, c := range later {
		g.Expect(c.LastTransitionTime.Time).To(Equal(t0), "%s did not change status", c.Type)
	}
	done := conditions(later, verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "done"},
		convergenceCount{known: true, converged: 2, total: 2, version: "2"}, 1, t0.Add(2*time.Hour))
	for _, c := range done {
		g.Expect(c.LastTransitionTime.Time).To(Equal(t0.Add(2*time.Hour)), "%s turned True", c.Type)
	}
}

func TestPhaseEvents(t *testing.T) {
	waiting := verdict{wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.ReasonWaiting, "wave w1: waiting for a (Applied)"}
	cases := []struct {
		name    string
		prev    wavegatev1alpha1.RolloutPhase
		v       verdict
		emitted []event
		want    []event
	}{
		{name: "no change of phase, no Event", prev: wavegatev1alpha1.PhaseProgressing, v: waiting},
		{name: "a new rollout that starts says nothing more", prev: "", v: waiting},
		{
			name: "Blocked, with its reason",
			prev: wavegatev1alpha1.PhaseProgressing,
			v:    verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonTargetMissing, "no ConfigMap settings found in a"},
			want: []event{{"Warning", "Blocked", "TargetMissing: no ConfigMap settings found in a"}},
		},
		{
			name: "Failed, with its reason",
			prev: wavegatev1alpha1.PhasePending,
			v:    verdict{wavegatev1alpha1.PhaseFailed, wavegatev1alpha1.ReasonKindNotServed, "not served"},
			want: []event{{"Warning", "Failed", "KindNotServed: not served"}},
		},
		{
			name: "Paused",
			prev: wavegatev1alpha1.PhaseBaking,
			v:    verdict{wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonSpecPaused, "spec.paused is true"},
			want: []event{{"Warning", "Paused", "spec.paused is true"}},
		},
		{
			name: "Resumed after spec.paused",
			prev: wavegatev1alpha1.PhasePaused,
			v:    waiting,
			want: []event{{"Normal", "Resumed", "Resumed: wave w1: waiting for a (Applied)"}},
		},
		{
			name:    "Resumed only once when a Freeze ended and said so",
			prev:    wavegatev1alpha1.PhasePaused,
			v:       waiting,
			emitted: []event{{"Normal", "Resumed", "No Freeze covers wave w1 any more; resuming after 20m0s"}},
		},
		{
			name: "from Paused to Blocked is Blocked, not Resumed",
			prev: wavegatev1alpha1.PhasePaused,
			v:    verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild, "pinned"},
			want: []event{{"Warning", "Blocked", "PinnedBuild: pinned"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(phaseEvents(tc.prev, tc.v, tc.emitted)).To(Equal(tc.want))
		})
	}
}

func TestPatchFailure(t *testing.T) {
	cm := schema.GroupResource{Resource: "configmaps"}
	cmKind := schema.GroupKind{Kind: "ConfigMap"}
	wrap := func(err error) error { return fmt.Errorf("ConfigMap app-a/settings: %w", err) }
	cases := []struct {
		name      string
		err       error
		none      bool
		permanent bool
		message   string
	}{
		{name: "a target deleted meanwhile is looked at again", err: wrap(apierrors.NewNotFound(cm, "settings")), none: true},
		{name: "a conflict is looked at again", err: wrap(apierrors.NewConflict(cm, "settings", errors.New("changed"))), none: true},
		{
			name:      "an invalid result is permanent, with the API server's message",
			err:       wrap(apierrors.NewInvalid(cmKind, "settings", field.ErrorList{field.Invalid(field.NewPath("metadata", "labels"), "a b", "must be a label value")})),
			permanent: true,
			message:   `the API server rejected the patch in region a: ConfigMap app-a/settings: ConfigMap "settings" is invalid: metadata.labels: Invalid value: "a b": must be a label value; change spec.patch`,
		},
		{name: "a malformed patch is permanent", err: wrap(apierrors.NewBadRequest("invalid JSON")), permanent: true,
			message: "the API server rejected the patch in region a: ConfigMap app-a/settings: invalid JSON; change spec.patch"},
		{name: "a patch too large is permanent", err: wrap(apierrors.NewRequestEntityTooLargeError("limit is 3145728")), permanent: true,
			message: "the API server rejected the patch in region a: ConfigMap app-a/settings: Request entity too large: limit is 3145728; change spec.patch"},
		{
			name:    "a denial may be lifted: Blocked and retried",
			err:     wrap(apierrors.NewForbidden(cm, "settings", errors.New(`admission webhook "policy.example.com" denied the request: no`))),
			message: `the patch was not applied in region a: ConfigMap app-a/settings: configmaps "settings" is forbidden: admission webhook "policy.example.com" denied the request: no; retrying`,
		},
		{name: "an unavailable server: Blocked and retried", err: wrap(apierrors.NewServiceUnavailable("try later")),
			message: "the patch was not applied in region a: ConfigMap app-a/settings: try later; retrying"},
		{name: "a connection error: Blocked and retried", err: wrap(errors.New("connection refused")),
			message: "the patch was not applied in region a: ConfigMap app-a/settings: connection refused; retrying"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			f := patchFailure("a", tc.err)
			if tc.none {
				g.Expect(f).To(BeNil())
				g.Expect(retryAtOnce(tc.err)).To(BeTrue())
				return
			}
			g.Expect(f).To(Equal(&failure{permanent: tc.permanent, reason: wavegatev1alpha1.ReasonPatchFailed, message: tc.message}))
		})
	}
}
