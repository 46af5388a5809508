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
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func twoWaves() *wavegatev1alpha1.WavePlan {
	return WavePlan("p", Wave("w1", "a", "b"), Wave("w2", "c"))
}

func newWorld(plan *wavegatev1alpha1.WavePlan, obs map[string]observed) *world {
	return &world{now: t0, plan: plan, observed: obs, deps: map[string]*wavegatev1alpha1.ConfigRollout{}, pairs: func(string) []string { return nil }}
}

func pending() observed { return observed{version: "1.0.0", why: "runs version 1.0.0"} }

func done() observed { return observed{version: "2.0.0", converged: true} }

// takeStep takes one step as the reconciler does, with every patch the
// step chose accepted by the API server.
func takeStep(ro *wavegatev1alpha1.ConfigRollout, w *world) (outcome, []string) {
	p := step(ro, w)
	results := make([]applied, len(p.apply))
	for i, region := range p.apply {
		results[i] = applied{region: region}
	}
	return settle(ro, w, p, results), p.apply
}

func reasons(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.reason
	}
	return out
}

func TestStep(t *testing.T) {
	cases := []struct {
		name       string
		rollout    *wavegatev1alpha1.ConfigRollout
		world      *world
		phase      wavegatev1alpha1.RolloutPhase
		apply      []string
		events     []string
		blockedMsg string
	}{
		{
			name:    "a new rollout applies the first wave only",
			rollout: Rollout("r"),
			world:   newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()}),
			phase:   wavegatev1alpha1.PhaseProgressing,
			apply:   []string{"a", "b"},
			events:  []string{"WaveStarted", "RegionApplied", "RegionApplied"},
		},
		{
			name:    "a converged wave starts baking, and the next wave waits",
			rollout: Rollout("r"),
			world:   newWorld(twoWaves(), map[string]observed{"a": done(), "b": done(), "c": pending()}),
			phase:   wavegatev1alpha1.PhaseBaking,
			events:  []string{"WaveStarted", "RegionConverged", "RegionConverged", "BakeStarted"},
		},
		{
			name:    "a skipped region does not hold its wave back",
			rollout: Rollout("r", Skipping("b", "separate sovereign rollout")),
			world:   newWorld(twoWaves(), map[string]observed{"a": done(), "b": pending(), "c": pending()}),
			phase:   wavegatev1alpha1.PhaseBaking,
			events:  []string{"WaveStarted", "RegionConverged", "BakeStarted"},
		},
		{
			name:    "spec.regions limits the rollout to a subset, and a wave without its regions is passed over",
			rollout: Rollout("r", InRegions("c")),
			world:   newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()}),
			phase:   wavegatev1alpha1.PhaseProgressing,
			apply:   []string{"c"},
		},
		{
			name:    "a paused rollout applies nothing",
			rollout: Rollout("r", func(r *wavegatev1alpha1.ConfigRollout) { r.Spec.Paused = true }),
			world:   newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()}),
			phase:   wavegatev1alpha1.PhasePaused,
			events:  []string{"WaveStarted", "Paused"},
		},
		{
			name:    "a pin in a later wave does not stop the current one",
			rollout: Rollout("r"),
			world:   newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": {pinned: true, version: "1.9.3"}}),
			phase:   wavegatev1alpha1.PhaseProgressing,
			apply:   []string{"a", "b"},
			events:  []string{"WaveStarted", "RegionPinned", "RegionApplied", "RegionApplied"},
		},
		{
			name:       "a pin in the current wave blocks it, naming every pin, while the rest of the wave is applied",
			rollout:    Rollout("r"),
			world:      newWorld(twoWaves(), map[string]observed{"a": {pinned: true, version: "1.9.3", pinReason: "hold"}, "b": pending(), "c": {pinned: true, version: "1.9.2"}}),
			phase:      wavegatev1alpha1.PhaseBlocked,
			apply:      []string{"b"},
			events:     []string{"WaveStarted", "RegionPinned", "RegionPinned", "RegionApplied", "Blocked"},
			blockedMsg: "pinned, so never patched: a at 1.9.3 (hold), c at 1.9.2 (no reason given); remove the pins or change spec.version",
		},
		{
			name:       "a wave with a pin never completes, even when the rest of it converged",
			rollout:    Rollout("r"),
			world:      newWorld(twoWaves(), map[string]observed{"a": {pinned: true, version: "1.9.3", pinReason: "hold"}, "b": {converged: true, version: "2.0.0"}, "c": pending()}),
			phase:      wavegatev1alpha1.PhaseBlocked,
			events:     []string{"WaveStarted", "RegionPinned", "RegionConverged", "Blocked"},
			blockedMsg: "pinned, so never patched: a at 1.9.3 (hold); remove the pins or change spec.version",
		},
		{
			name:       "a missing plan blocks",
			rollout:    Rollout("r", WithPlan("nope")),
			world:      newWorld(nil, nil),
			phase:      wavegatev1alpha1.PhaseBlocked,
			events:     []string{"Blocked"},
			blockedMsg: "WavePlan nope does not exist; create it or change spec.planRef",
		},
		{
			name:    "a Freeze on a region in skipRegions does not pause the rollout",
			rollout: Rollout("r", Skipping("b", "separate sovereign rollout")),
			world: func() *world {
				w := newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
				w.freezes = []wavegatev1alpha1.Freeze{*Freeze("inc-b", []string{"b"})}
				return w
			}(),
			phase:  wavegatev1alpha1.PhaseProgressing,
			apply:  []string{"a"},
			events: []string{"WaveStarted", "RegionApplied"},
		},
		{
			name:    "a Freeze on a region of the current wave that is not skipped still pauses it",
			rollout: Rollout("r", Skipping("b", "separate sovereign rollout")),
			world: func() *world {
				w := newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
				w.freezes = []wavegatev1alpha1.Freeze{*Freeze("inc-a", []string{"a"})}
				return w
			}(),
			phase:  wavegatev1alpha1.PhasePaused,
			events: []string{"WaveStarted", "Paused"},
		},
		{
			name:    "a dependency that has not converged in the region holds it back",
			rollout: Rollout("r", DependingOn("keys")),
			world:   newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()}),
			phase:   wavegatev1alpha1.PhasePending,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			out, apply := takeStep(tc.rollout, tc.world)
			g.Expect(out.status.Phase).To(Equal(tc.phase))
			g.Expect(apply).To(Equal(tc.apply))
			if tc.events != nil {
				g.Expect(reasons(out.events)).To(Equal(tc.events))
			}
			if tc.blockedMsg != "" {
				g.Expect(condition(out.status, wavegatev1alpha1.ConditionBlocked)).To(Equal(tc.blockedMsg))
			}
		})
	}
}

func regionState(st wavegatev1alpha1.ConfigRolloutStatus, region string) wavegatev1alpha1.RolloutRegionStatus {
	for _, rs := range st.Regions {
		if rs.Name == region {
			return rs
		}
	}
	return wavegatev1alpha1.RolloutRegionStatus{}
}

func TestSettle(t *testing.T) {
	cm := schema.GroupResource{Resource: "configmaps"}
	invalid := fmt.Errorf("ConfigMap app-b/settings: %w", apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "settings",
		field.ErrorList{field.Invalid(field.NewPath("data"), "x", "bad")}))
	denied := fmt.Errorf("ConfigMap app-b/settings: %w", apierrors.NewForbidden(cm, "settings", errors.New("denied by policy")))
	gone := fmt.Errorf("ConfigMap app-b/settings: %w", apierrors.NewNotFound(cm, "settings"))
	fresh := func() *world {
		return newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
	}
	cases := []struct {
		name    string
		world   *world
		results map[string]error // by region; absent: accepted
		phase   wavegatev1alpha1.RolloutPhase
		reason  string
		applied []string
		events  []string
		conds   []string
	}{
		{
			name:    "accepted patches apply their regions",
			world:   fresh(),
			phase:   wavegatev1alpha1.PhaseProgressing,
			reason:  wavegatev1alpha1.ReasonWaiting,
			applied: []string{"a", "b"},
			events:  []string{"WaveStarted", "RegionApplied", "RegionApplied"},
			conds:   []string{"Ready=False Waiting", "Converged=False NotConverged", "Reconciling=True Waiting", "Progressing=True Waiting"},
		},
		{
			name:    "a patch the API server rejects as invalid fails the rollout; the other region is applied",
			world:   fresh(),
			results: map[string]error{"b": invalid},
			phase:   wavegatev1alpha1.PhaseFailed,
			reason:  wavegatev1alpha1.ReasonPatchFailed,
			applied: []string{"a"},
			events:  []string{"WaveStarted", "RegionApplied", "Failed"},
			conds:   []string{"Ready=False PatchFailed", "Converged=False NotConverged", "Stalled=True PatchFailed"},
		},
		{
			name:    "a denied patch blocks the rollout while it may still succeed",
			world:   fresh(),
			results: map[string]error{"b": denied},
			phase:   wavegatev1alpha1.PhaseBlocked,
			reason:  wavegatev1alpha1.ReasonPatchFailed,
			applied: []string{"a"},
			events:  []string{"WaveStarted", "RegionApplied", "Blocked"},
			conds:   []string{"Ready=False PatchFailed", "Converged=False NotConverged", "Stalled=True PatchFailed", "Blocked=True PatchFailed"},
		},
		{
			name:    "a target deleted meanwhile is simply looked at again",
			world:   fresh(),
			results: map[string]error{"b": gone},
			phase:   wavegatev1alpha1.PhaseProgressing,
			reason:  wavegatev1alpha1.ReasonWaiting,
			applied: []string{"a"},
			events:  []string{"WaveStarted", "RegionApplied"},
		},
		{
			name: "a kind the cluster does not serve fails the rollout, and nothing is applied",
			world: func() *world {
				w := fresh()
				w.unreadable = &failure{permanent: true, reason: wavegatev1alpha1.ReasonKindNotServed, message: `no matches for kind "Widget" in version "example.com/v1"`}
				return w
			}(),
			phase:  wavegatev1alpha1.PhaseFailed,
			reason: wavegatev1alpha1.ReasonKindNotServed,
			events: []string{"Failed"},
			conds:  []string{"Ready=False KindNotServed", "Converged=Unknown KindNotServed", "Stalled=True KindNotServed"},
		},
		{
			name:   "a missing plan blocks, and convergence is not known",
			world:  newWorld(nil, nil),
			phase:  wavegatev1alpha1.PhaseBlocked,
			reason: wavegatev1alpha1.ReasonPlanNotFound,
			events: []string{"Blocked"},
			conds:  []string{"Ready=False PlanNotFound", "Converged=Unknown PlanNotFound", "Stalled=True PlanNotFound", "Blocked=True PlanNotFound"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ro := Rollout("r")
			p := step(ro, tc.world)
			var results []applied
			for _, region := range p.apply {
				results = append(results, applied{region: region, err: tc.results[region]})
			}
			out := settle(ro, tc.world, p, results)
			g.Expect(out.status.Phase).To(Equal(tc.phase))
			g.Expect(meta.FindStatusCondition(out.status.Conditions, wavegatev1alpha1.ConditionReady).Reason).To(Equal(tc.reason))
			var got []string
			for _, rs := range out.status.Regions {
				g.Expect(rs.State).NotTo(BeEmpty(), "region %s has a state", rs.Name)
				if rs.AppliedAt != nil {
					g.Expect(rs.State).To(Equal(wavegatev1alpha1.RegionApplied))
					got = append(got, rs.Name)
				}
			}
			g.Expect(got).To(Equal(tc.applied))
			g.Expect(reasons(out.events)).To(Equal(tc.events))
			if tc.conds != nil {
				g.Expect(conds(out.status.Conditions)).To(Equal(tc.conds))
			}
			g.Expect(out.status.ObservedGeneration).To(Equal(ro.Generation))
		})
	}
}

func condition(st wavegatev1alpha1.ConfigRolloutStatus, t string) string {
	for _, c := range st.Conditions {
		if c.Type == t && c.Status == metav1.ConditionTrue {
			return c.Message
		}
	}
	return ""
}

func TestStepBakesByTheInjectedClockAndThenStartsTheNextWave(t *testing.T) {
	g := NewWithT(t)
	ro := Rollout("r")
	w := newWorld(twoWaves(), map[string]observed{"a": done(), "b": done(), "c": pending()})
	out, _ := takeStep(ro, w)
	ro.Status = out.status
	g.Expect(ro.Status.BakeUntil.Time).To(Equal(t0.Add(time.Hour)))

	w.now = t0.Add(59 * time.Minute)
	out, apply := takeStep(ro, w)
	g.Expect(apply).To(BeEmpty())
	g.Expect(out.requeue).To(Equal(time.Minute))

	w.now = t0.Add(time.Hour)
	out, apply = takeStep(ro, w)
	g.Expect(reasons(out.events)).To(Equal([]string{"WaveCompleted", "WaveStarted", "RegionApplied"}))
	g.Expect(apply).To(Equal([]string{"c"}))
	g.Expect(out.status.CurrentWave).To(Equal("w2"))
	g.Expect(regionState(out.status, "c").State).To(Equal(wavegatev1alpha1.RegionApplied))
	g.Expect(regionState(out.status, "c").AppliedAt.Time).To(Equal(t0.Add(time.Hour)))
}

// completed runs a rollout on twoWaves to Complete, every region converging
// once applied.
func completed(g Gomega, ro *wavegatev1alpha1.ConfigRollout, w *world) {
	for _, r := range []string{"a", "b", "c"} {
		w.observed[r] = pending()
	}
	for i := 0; i < 10 && ro.Status.Phase != wavegatev1alpha1.PhaseComplete; i++ {
		out, apply := takeStep(ro, w)
		ro.Status = out.status
		for _, r := range apply {
			w.observed[r] = done()
		}
		if out.requeue > 0 {
			w.now = w.now.Add(out.requeue)
		}
	}
	g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseComplete))
	g.Expect(ro.Status.Convergence).To(Equal("3/3"))
}

func TestEditingVersionOrPatchStartsTheChangeAgainFromTheFirstWave(t *testing.T) {
	t.Run("a new version after Complete re-applies wave by wave, never Complete at 0/N", func(t *testing.T) {
		g := NewWithT(t)
		ro := Rollout("r")
		w := newWorld(twoWaves(), map[string]observed{})
		completed(g, ro, w)

		ro.Generation++
		ro.Spec.Version = "2.1.0"
		for _, r := range []string{"a", "b", "c"} {
			w.observed[r] = observed{version: "2.0.0", why: "runs version 2.0.0"}
		}
		out, apply := takeStep(ro, w)
		ro.Status = out.status
		g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseProgressing))
		g.Expect(apply).To(Equal([]string{"a", "b"}), "the first wave only")
		g.Expect(out.status.CurrentWave).To(Equal("w1"))
		g.Expect(regionState(out.status, "c").State).To(Equal(wavegatev1alpha1.RegionPending))
		g.Expect(out.status.Convergence).To(Equal("0/3"))
		g.Expect(reasons(out.events)).To(ContainElement("WaveStarted"))

		// The first wave converges at the new version and bakes before c.
		w.observed["a"], w.observed["b"] = observed{version: "2.1.0", converged: true}, observed{version: "2.1.0", converged: true}
		out, apply = takeStep(ro, w)
		ro.Status = out.status
		g.Expect(apply).To(BeEmpty())
		g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		w.now = w.now.Add(out.requeue)
		out, apply = takeStep(ro, w)
		g.Expect(apply).To(Equal([]string{"c"}))
		g.Expect(out.status.CurrentWave).To(Equal("w2"))
	})
	t.Run("in the middle of a rollout, applied regions are applied again", func(t *testing.T) {
		g := NewWithT(t)
		ro := Rollout("r")
		w := newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
		out, apply := takeStep(ro, w)
		ro.Status = out.status
		g.Expect(apply).To(Equal([]string{"a", "b"}))

		ro.Generation++
		ro.Spec.Version = "2.1.0"
		out, apply = takeStep(ro, w)
		g.Expect(apply).To(Equal([]string{"a", "b"}), "not NotConverged for ever")
		g.Expect(regionState(out.status, "a").State).To(Equal(wavegatev1alpha1.RegionApplied))
	})
	t.Run("a new patch at the same version re-applies regions that look converged", func(t *testing.T) {
		g := NewWithT(t)
		ro := Rollout("r")
		w := newWorld(twoWaves(), map[string]observed{})
		completed(g, ro, w)

		ro.Generation++
		ro.Spec.Patch = JSON(map[string]any{"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "2.0.0", "tier": "gold"}}})
		out, apply := takeStep(ro, w)
		ro.Status = out.status
		g.Expect(apply).To(Equal([]string{"a", "b"}))
		g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseProgressing))
		g.Expect(regionState(out.status, "c").State).To(Equal(wavegatev1alpha1.RegionPending))

		out, apply = takeStep(ro, w)
		g.Expect(apply).To(BeEmpty(), "applied once per revision")
		g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		g.Expect(regionState(out.status, "a").State).To(Equal(wavegatev1alpha1.RegionConverged))
	})
	t.Run("an edit of anything else does not restart", func(t *testing.T) {
		g := NewWithT(t)
		ro := Rollout("r")
		w := newWorld(twoWaves(), map[string]observed{})
		completed(g, ro, w)
		ro.Generation++
		ro.Spec.ProgressDeadline = &metav1.Duration{Duration: time.Hour}
		out, apply := takeStep(ro, w)
		g.Expect(apply).To(BeEmpty())
		g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseComplete))
	})
}

// BenchmarkStep measures the controller's own work for 1,000 rollouts over
// 20 regions, without the API server: one step each, as after a restart.
func BenchmarkStep(b *testing.B) {
	var regions []string
	for i := range 20 {
		regions = append(regions, fmt.Sprintf("r%02d", i))
	}
	var waves []wavegatev1alpha1.Wave
	for i := 0; i < 20; i += 5 {
		waves = append(waves, Wave(fmt.Sprintf("w%d", i/5), regions[i:i+5]...))
	}
	w := newWorld(WavePlan("p", waves...), map[string]observed{})
	for _, r := range regions {
		w.observed[r] = done()
	}
	rollouts := make([]*wavegatev1alpha1.ConfigRollout, 1000)
	for i := range rollouts {
		rollouts[i] = Rollout(fmt.Sprintf("r%04d", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, ro := range rollouts {
			takeStep(ro, w)
		}
	}
}
