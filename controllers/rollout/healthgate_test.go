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
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/health"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

func errorRate() wavegatev1alpha1.HealthCheck {
	return wavegatev1alpha1.HealthCheck{Name: "error-rate", Query: `errors{region="{{ .Region }}"}`, Max: ptr.To("0.01")}
}

func withChecks(action wavegatev1alpha1.UnhealthyAction) Option[wavegatev1alpha1.ConfigRollout] {
	return func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.HealthChecks = []wavegatev1alpha1.HealthCheck{errorRate()}
		r.Spec.OnUnhealthy = action
	}
}

// stepWithHealth takes a step in which region a's error-rate reads v, and
// carries the outcome into the rollout's status for the next step.
func stepWithHealth(ro *wavegatev1alpha1.ConfigRollout, w *world, verdicts map[string]health.Verdict) (outcome, progress) {
	w.checks = checksOf(ro, w.plan)
	w.health = map[string]map[string]health.Verdict{}
	for region, v := range verdicts {
		w.health[region] = map[string]health.Verdict{"error-rate": v}
	}
	p := step(ro, w)
	results := make([]applied, 0, len(p.apply)+len(p.revert))
	for _, region := range p.apply {
		results = append(results, applied{region: region})
	}
	for _, region := range p.revert {
		results = append(results, applied{region: region, revert: true})
	}
	out := settle(ro, w, p, results)
	ro.Status = out.status
	return out, p
}

func TestAFailureThresholdOfBadEvaluationsHaltsTheRollout(t *testing.T) {
	g := NewWithT(t)
	ro := Rollout("r", withChecks(wavegatev1alpha1.UnhealthyHalt))
	w := newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
	_, p := stepWithHealth(ro, w, nil)
	g.Expect(p.apply).To(ConsistOf("a", "b"))

	bad := health.Judge(errorRate(), 0.07, nil)
	good := health.Judge(errorRate(), 0.001, nil)
	w.observed = map[string]observed{"a": done(), "b": done(), "c": pending()}
	out, _ := stepWithHealth(ro, w, map[string]health.Verdict{"a": bad, "b": good})
	g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking), "one bad evaluation of two is not yet unhealthy")
	g.Expect(regionStatus(out.status, "a").Health).To(ConsistOf(HaveField("Failures", int32(1))))

	w.now = w.now.Add(30 * time.Second)
	out, p = stepWithHealth(ro, w, map[string]health.Verdict{"a": bad, "b": good})
	g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
	g.Expect(regionStatus(out.status, "a").State).To(Equal(wavegatev1alpha1.RegionUnhealthy))
	g.Expect(p.unhealthy).To(ConsistOf(unhealthyRegion{region: "a", check: "error-rate", why: "0.07 above max 0.01"}))
	g.Expect(reasons(out.events)).To(ContainElements("RegionUnhealthy", "RolloutHalted"))
	g.Expect(stalledReason(out.status)).To(Equal(wavegatev1alpha1.ReasonUnhealthy))
	g.Expect(condition(out.status, wavegatev1alpha1.ConditionStalled)).To(Equal("region a is unhealthy: health check error-rate: 0.07 above max 0.01 (2 evaluations in a row); " +
		"no further region is applied; fix the region and edit spec.version or spec.patch to roll out again"))

	// Long after the bake would have ended, nothing more is applied, and a
	// good value does not undo the halt.
	w.now = w.now.Add(3 * time.Hour)
	out, p = stepWithHealth(ro, w, map[string]health.Verdict{"a": good})
	g.Expect(p.apply).To(BeEmpty())
	g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
	g.Expect(regionStatus(out.status, "a").State).To(Equal(wavegatev1alpha1.RegionUnhealthy))
}

func TestTheNextWaveWaitsForAHealthyEvaluationAfterTheBake(t *testing.T) {
	g := NewWithT(t)
	ro := Rollout("r", withChecks(wavegatev1alpha1.UnhealthyHalt))
	w := newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
	stepWithHealth(ro, w, nil)
	w.observed = map[string]observed{"a": done(), "b": done(), "c": pending()}
	good := health.Judge(errorRate(), 0.001, nil)
	stepWithHealth(ro, w, map[string]health.Verdict{"a": good, "b": good})

	w.now = w.now.Add(61 * time.Minute)
	_, p := stepWithHealth(ro, w, nil)
	g.Expect(p.apply).To(BeEmpty(), "the bake is over, but no region was evaluated after it")
	_, p = stepWithHealth(ro, w, map[string]health.Verdict{"a": good, "b": good})
	g.Expect(p.apply).To(ConsistOf("c"))
}

func TestRevertRestoresEveryChangedRegionUnlessAFreezeHoldsIt(t *testing.T) {
	g := NewWithT(t)
	ro := Rollout("r", withChecks(wavegatev1alpha1.UnhealthyRevert))
	w := newWorld(twoWaves(), map[string]observed{"a": pending(), "b": pending(), "c": pending()})
	stepWithHealth(ro, w, nil)
	for i := range ro.Status.Regions {
		if rs := &ro.Status.Regions[i]; rs.AppliedAt != nil {
			rs.Replaced = []wavegatev1alpha1.Replaced{{Target: "ConfigMap app-" + rs.Name + "/settings", Patch: JSON(map[string]any{"data": map[string]any{"mode": "old"}})}}
		}
	}
	w.freezes = []wavegatev1alpha1.Freeze{*Freeze("held", []string{"b"})}
	w.observed = map[string]observed{"a": done(), "b": done(), "c": pending()}
	bad := health.Judge(errorRate(), 0.5, nil)
	stepWithHealth(ro, w, map[string]health.Verdict{"a": bad})
	out, p := stepWithHealth(ro, w, map[string]health.Verdict{"a": bad})
	g.Expect(p.revert).To(ConsistOf("a"), "b is held by a Freeze that does not allow reverts")
	g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
	g.Expect(condition(out.status, wavegatev1alpha1.ConditionStalled)).To(ContainSubstring("reverting, held in b (Freeze held does not allow reverts)"))

	w.freezes[0].Spec.AllowReverts = true
	out, p = stepWithHealth(ro, w, nil)
	g.Expect(p.revert).To(ConsistOf("b"))
	g.Expect(out.status.Phase).To(Equal(wavegatev1alpha1.PhaseFailed))
	g.Expect(stalledReason(out.status)).To(Equal(wavegatev1alpha1.ReasonReverted))
	g.Expect(condition(out.status, wavegatev1alpha1.ConditionStalled)).To(And(
		HavePrefix("region a is unhealthy: health check error-rate: 0.5 above max 0.01"), ContainSubstring("reverted in a, b")))
	g.Expect(reasons(out.events)).To(ContainElement("RolloutReverted"))
}

func TestWhatAPatchReplacesIsRecordedKeyByKey(t *testing.T) {
	g := NewWithT(t)
	obj := &unstructured.Unstructured{Object: map[string]any{
		"kind": "ConfigMap", "metadata": map[string]any{"namespace": "n", "name": "s", "labels": map[string]any{"app.kubernetes.io/version": "1.0.0"}},
		"data": map[string]any{"mode": "old", "keep": "x"},
	}}
	patch := []byte(`{"metadata":{"labels":{"app.kubernetes.io/version":"2.0.0"},"annotations":{"new":"y"}},"data":{"mode":"new","added":"z"}}`)
	got, err := replacedBy(obj, patch)
	g.Expect(err).NotTo(HaveOccurred())
	var inv map[string]any
	g.Expect(json.Unmarshal(got.Raw, &inv)).To(Succeed())
	g.Expect(inv).To(Equal(map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app.kubernetes.io/version": "1.0.0"}, "annotations": map[string]any{"new": nil}},
		"data":     map[string]any{"mode": "old", "added": nil},
	}))
	ns, name := splitRef("ConfigMap n/s")
	g.Expect([]string{ns, name}).To(Equal([]string{"n", "s"}))
}

func regionStatus(st wavegatev1alpha1.ConfigRolloutStatus, region string) wavegatev1alpha1.RolloutRegionStatus {
	for _, rs := range st.Regions {
		if rs.Name == region {
			return rs
		}
	}
	return wavegatev1alpha1.RolloutRegionStatus{}
}

func stalledReason(st wavegatev1alpha1.ConfigRolloutStatus) string {
	for _, c := range st.Conditions {
		if c.Type == wavegatev1alpha1.ConditionStalled {
			return c.Reason
		}
	}
	return ""
}
