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

package rollout_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/convergence"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

func pin(version, reason string) map[string]string {
	a := map[string]string{wavegatev1alpha1.AnnotationPinnedVersion: version}
	if reason != "" {
		a[wavegatev1alpha1.AnnotationPinReason] = reason
	}
	return a
}

func configMapIn(g Gomega, region string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "app-" + region, Name: "settings"}, cm)).To(Succeed())
	return cm
}

// bakeThrough advances the clock through each wave's bake, once that wave
// is baking, until the rollout completes.
func bakeThrough(g Gomega, name string, waves int) {
	for i := range waves {
		g.Eventually(func(g Gomega) {
			st := get(g, name).Status
			g.Expect(st.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
			g.Expect(*st.CurrentWaveIndex).To(BeEquivalentTo(i))
		}).Should(Succeed())
		clock.Advance(61 * time.Minute)
	}
	g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, name).Status.Phase }).Should(Equal(wavegatev1alpha1.PhaseComplete))
}

// The outage: a failover pair pinned to an old build while tooling reported success.
func TestAPinnedPairBlocksTheRolloutAndNeverReportsSuccess(t *testing.T) {
	inventory(t, "pins", map[string]string{"australiaeast": "australiasoutheast"}, []string{"australiaeast"}, []string{"australiasoutheast"})
	settings(t, "australiaeast", pin("1.9.3", "hotfix hold"))
	settings(t, "australiasoutheast", pin("1.9.3", ""))
	startController(t)
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), configMapRollout("msi-auto-keys", "pins"))).To(Succeed())

	g.Eventually(func(g Gomega) {
		ro := get(g, "msi-auto-keys")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		blocked := condition(ro, wavegatev1alpha1.ConditionBlocked)
		g.Expect(blocked.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(blocked.Reason).To(Equal(wavegatev1alpha1.ReasonPinnedBuild))
		g.Expect(blocked.Message).To(Equal("pinned, so never patched: australiaeast at 1.9.3 (hotfix hold), australiasoutheast at 1.9.3 (no reason given); remove the pins or change spec.version"))
		stalled := condition(ro, wavegatev1alpha1.ConditionStalled)
		g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue), "kstatus: Blocked is Stalled")
		g.Expect(stalled.Message).To(Equal(blocked.Message))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionReady).Reason).To(Equal(wavegatev1alpha1.ReasonPinnedBuild))
		g.Expect(conditionTypes(ro)).To(Equal([]string{"Blocked=True", "Converged=False", "Ready=False", "Stalled=True"}))
		g.Expect(regionState(ro, "australiaeast").State).To(Equal(wavegatev1alpha1.RegionPinned))
		g.Expect(regionState(ro, "australiasoutheast").State).To(Equal(wavegatev1alpha1.RegionPinned))
	}).Should(Succeed())
	g.Expect(configMapIn(g, "australiaeast").Data["mode"]).To(Equal("old"), "a pinned target is never patched")

	ro := get(g, "msi-auto-keys")
	aue := convergence.InRegionAndPairs(ro, "australiaeast", []string{"australiasoutheast"})
	g.Expect(convergence.Converged(aue)).To(BeFalse())
	g.Expect(aue[1]).To(Equal(convergence.Region{Region: "australiasoutheast", Detail: "Pinned at 1.9.3"}),
		"australiaeast is not converged because of its pair as well")

	for _, r := range []string{"australiaeast", "australiasoutheast"} {
		cm := configMapIn(g, r)
		cm.Annotations = nil
		g.Expect(env.Client.Update(context.Background(), cm)).To(Succeed())
	}
	bakeThrough(g, "msi-auto-keys", 2)
	ro = get(g, "msi-auto-keys")
	g.Expect(ro.Status.Convergence).To(Equal("2/2"))
	g.Expect(conditionTypes(ro)).To(Equal([]string{"Converged=True", "Ready=True"}), "Blocked and Stalled are removed once the pins are")
	g.Expect(convergence.Converged(convergence.InRegionAndPairs(ro, "australiaeast", []string{"australiasoutheast"}))).To(BeTrue())
}

func TestDriftAfterCompletionTurnsConvergedFalseThroughWatches(t *testing.T) {
	inventory(t, "drift", nil, []string{"dr1"})
	settings(t, "dr1", nil)
	stop := startController(t)
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), configMapRollout("drift", "drift"))).To(Succeed())
	bakeThrough(g, "drift", 1)
	g.Expect(condition(get(g, "drift"), wavegatev1alpha1.ConditionConverged).Status).To(Equal(metav1.ConditionTrue))

	// With timers out of the picture, only the watch on targets can notice.
	stop()
	startControllerWith(t, time.Hour)
	cm := configMapIn(g, "dr1")
	cm.Annotations = pin("1.0.0", "rollback")
	g.Expect(env.Client.Update(context.Background(), cm)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "drift")
		g.Expect(condition(ro, wavegatev1alpha1.ConditionConverged).Status).To(Equal(metav1.ConditionFalse))
		g.Expect(regionState(ro, "dr1").State).To(Equal(wavegatev1alpha1.RegionPinned))
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked), "never Complete while a region is pinned")
	}).Should(Succeed(), "with a requeue of an hour, only the watch on targets can have noticed the pin (in well under 2 s on an idle machine)")
}

func deployment(region string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "token-service"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app-" + region, Name: "token-service",
			Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: "deploy-" + region}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "token-service", wavegatev1alpha1.LabelVersion: "1.9.3"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "token-service:1.9.3"}}},
			},
		},
	}
}

func deploymentRollout(name, plan string) *wavegatev1alpha1.ConfigRollout {
	return Rollout(name, WithPlan(plan), func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "token-service"}
		r.Spec.Patch = JSON(map[string]any{"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "2.0.0"}},
		}}})
	})
}

func TestAWorkloadConvergesOnlyOnceItHasRolledOut(t *testing.T) {
	inventory(t, "workload", nil, []string{"wl1"})
	g := NewWithT(t)
	ctx := context.Background()
	g.Eventually(func() error { return env.Client.Create(ctx, deployment("wl1", 2)) }).Should(Succeed())
	startController(t)
	g.Expect(env.Client.Create(ctx, deploymentRollout("workload", "workload"))).To(Succeed())

	g.Eventually(func(g Gomega) {
		ro := get(g, "workload")
		g.Expect(regionState(ro, "wl1").State).To(Equal(wavegatev1alpha1.RegionNotConverged))
		g.Expect(regionState(ro, "wl1").ObservedVersion).To(Equal("2.0.0"))
		g.Expect(regionState(ro, "wl1").Message).To(ContainSubstring("observedGeneration"))
	}).Should(Succeed())
	g.Consistently(func() wavegatev1alpha1.RegionState { return regionState(get(g, "workload"), "wl1").State }).
		WithTimeout(time.Second).Should(Equal(wavegatev1alpha1.RegionNotConverged), "the patch is applied, the replicas are not")

	// What the Deployment controller would report once the new pods are up.
	d := &appsv1.Deployment{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "app-wl1", Name: "token-service"}, d)).To(Succeed())
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, ReadyReplicas: 2}
	g.Expect(env.Client.Status().Update(ctx, d)).To(Succeed())
	g.Eventually(func() wavegatev1alpha1.RegionState { return regionState(get(g, "workload"), "wl1").State }).Should(Equal(wavegatev1alpha1.RegionConverged))
}

func TestAFreezeMidBakePausesAndTheBakeEndsLaterByTheFrozenTime(t *testing.T) {
	inventory(t, "frozen", nil, []string{"fz1"}, []string{"fz2"})
	settings(t, "fz1", nil)
	settings(t, "fz2", nil)
	startController(t)
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, configMapRollout("frozen", "frozen"))).To(Succeed())
	var bakeUntil time.Time
	g.Eventually(func(g Gomega) {
		ro := get(g, "frozen")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		bakeUntil = ro.Status.BakeUntil.Time
	}).Should(Succeed())

	clock.Advance(10 * time.Minute)
	frz := Freeze("frozen-fz1", []string{"fz1"})
	g.Expect(env.Client.Create(ctx, frz)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "frozen")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhasePaused))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionPaused).Message).To(Equal("paused by Freeze frozen-fz1, which covers region fz1 of wave w1"))
		g.Expect(conditionTypes(ro)).To(Equal([]string{"Converged=False", "Paused=True", "Ready=False"}))
	}).Should(Succeed())

	clock.Advance(20 * time.Minute)
	g.Expect(env.Client.Delete(ctx, frz)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "frozen")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking), "it resumes by itself")
		g.Expect(ro.Status.BakeUntil.Time).To(Equal(bakeUntil.Add(20*time.Minute)), "frozen time is not bake time")
		g.Expect(conditionTypes(ro)).NotTo(ContainElement(HavePrefix("Paused")), "Paused is removed on resume")
	}).Should(Succeed())

	clock.Advance(45 * time.Minute) // 75m after the bake started: still baking
	g.Consistently(func() *metav1.Time { return regionState(get(g, "frozen"), "fz2").AppliedAt }).WithTimeout(500 * time.Millisecond).Should(BeNil())
	clock.Advance(6 * time.Minute)
	g.Eventually(func() *metav1.Time { return regionState(get(g, "frozen"), "fz2").AppliedAt }).ShouldNot(BeNil())
}

func TestARestartedControllerNeitherRepeatsNorSkipsAStep(t *testing.T) {
	inventory(t, "restart", nil, []string{"rs1", "rs2"}, []string{"rs3"})
	for _, r := range []string{"rs1", "rs2", "rs3"} {
		settings(t, r, nil)
	}
	stop := startController(t)
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), configMapRollout("restart", "restart"))).To(Succeed())
	g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, "restart").Status.Phase }).Should(Equal(wavegatev1alpha1.PhaseBaking))
	before := get(g, "restart")
	versions := map[string]string{}
	for _, r := range []string{"rs1", "rs2"} {
		versions[r] = configMapIn(g, r).ResourceVersion
	}
	stop()

	clock.Advance(30 * time.Minute)
	startController(t)
	// The new controller looks again every 100ms: for a second, it must find
	// nothing to redo and nothing to skip.
	g.Consistently(func(g Gomega) {
		after := get(g, "restart")
		g.Expect(after.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		g.Expect(after.Status.BakeStartedAt).To(Equal(before.Status.BakeStartedAt), "the bake is not restarted")
		for _, r := range []string{"rs1", "rs2"} {
			g.Expect(regionState(after, r).AppliedAt).To(Equal(regionState(before, r).AppliedAt))
			g.Expect(configMapIn(g, r).ResourceVersion).To(Equal(versions[r]), "%s was patched again", r)
		}
		g.Expect(regionState(after, "rs3").AppliedAt).To(BeNil(), "the bake is not skipped")
	}).WithTimeout(time.Second).Should(Succeed())

	clock.Advance(31 * time.Minute)
	g.Eventually(func() *metav1.Time { return regionState(get(g, "restart"), "rs3").AppliedAt }).ShouldNot(BeNil())
}

func TestAMissingTargetAndAMissedDeadlineBlock(t *testing.T) {
	inventory(t, "missing", nil, []string{"ms1"})
	inventory(t, "deadline", nil, []string{"dl1"})
	g := NewWithT(t)
	ctx := context.Background()
	g.Eventually(func() error { return env.Client.Create(ctx, deployment("dl1", 1)) }).Should(Succeed())
	startController(t)

	g.Expect(env.Client.Create(ctx, configMapRollout("missing", "missing"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "missing")
		g.Expect(regionState(ro, "ms1").State).To(Equal(wavegatev1alpha1.RegionMissing))
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionBlocked).Reason).To(Equal(wavegatev1alpha1.ReasonTargetMissing))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionBlocked).Message).To(Equal("no ConfigMap settings found in ms1; create it or skip the region in spec.skipRegions"))
	}).Should(Succeed())

	late := deploymentRollout("deadline", "deadline")
	late.Spec.ProgressDeadline = &metav1.Duration{Duration: 30 * time.Minute}
	g.Expect(env.Client.Create(ctx, late)).To(Succeed())
	g.Eventually(func() wavegatev1alpha1.RegionState { return regionState(get(g, "deadline"), "dl1").State }).Should(Equal(wavegatev1alpha1.RegionNotConverged))
	clock.Advance(31 * time.Minute)
	g.Eventually(func(g Gomega) {
		ro := get(g, "deadline")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		blocked := condition(ro, wavegatev1alpha1.ConditionBlocked)
		g.Expect(blocked.Reason).To(Equal(wavegatev1alpha1.ReasonProgressDeadlineExceeded))
		g.Expect(blocked.Message).To(HavePrefix("not converged within progressDeadline 30m0s: dl1 (Deployment app-dl1/token-service:"))
	}).Should(Succeed())
}

// SPEC: a target kind the cluster does not serve, or a patch the API server
// rejects, is Failed with the API server's message, never a silent retry loop.
func TestAKindNotServedAndARejectedPatchFailWithTheAPIServersMessage(t *testing.T) {
	inventory(t, "failing", nil, []string{"fl1"})
	settings(t, "fl1", nil)
	startController(t)
	g := NewWithT(t)
	ctx := context.Background()

	widgets := Rollout("widgets", WithPlan("failing"), func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "example.com/v1", Kind: "Widget", Name: "w"}
		r.Spec.Patch = JSON(map[string]any{"spec": map[string]any{"size": 2}})
	})
	g.Expect(env.Client.Create(ctx, widgets)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "widgets")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseFailed))
		stalled := condition(ro, wavegatev1alpha1.ConditionStalled)
		g.Expect(stalled.Reason).To(Equal(wavegatev1alpha1.ReasonKindNotServed))
		g.Expect(stalled.Message).To(ContainSubstring(`no matches for kind "Widget" in version "example.com/v1"`))
		g.Expect(conditionTypes(ro)).To(Equal([]string{"Converged=Unknown", "Ready=False", "Stalled=True"}), "Failed is Stalled, not Blocked")
	}).Should(Succeed())

	bad := configMapRollout("bad-patch", "failing")
	bad.Spec.Patch = JSON(map[string]any{"metadata": map[string]any{"labels": map[string]any{
		wavegatev1alpha1.LabelVersion: "2.0.0", "not a label key!": "x",
	}}})
	g.Expect(env.Client.Create(ctx, bad)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "bad-patch")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseFailed))
		stalled := condition(ro, wavegatev1alpha1.ConditionStalled)
		g.Expect(stalled.Reason).To(Equal(wavegatev1alpha1.ReasonPatchFailed))
		g.Expect(stalled.Message).To(And(
			HavePrefix("the API server rejected the patch in region fl1: ConfigMap app-fl1/settings: "),
			ContainSubstring("not a label key!"), HaveSuffix("; change spec.patch")))
		g.Expect(regionState(ro, "fl1").AppliedAt).To(BeNil())
	}).Should(Succeed())
	g.Expect(configMapIn(g, "fl1").Data["mode"]).To(Equal("old"))
	g.Eventually(func(g Gomega) {
		evs := &eventsv1.EventList{}
		g.Expect(env.Client.List(ctx, evs)).To(Succeed())
		var reasons []string
		for _, e := range evs.Items {
			if e.Regarding.Name == "bad-patch" {
				reasons = append(reasons, e.Reason)
			}
		}
		g.Expect(reasons).To(ContainElement(wavegatev1alpha1.EventFailed))
		g.Expect(reasons).NotTo(ContainElement(wavegatev1alpha1.EventRegionApplied))
	}).Should(Succeed())

	// A corrected patch is a new generation: it goes on from there.
	ro := get(g, "bad-patch")
	ro.Spec.Patch = configMapRollout("bad-patch", "failing").Spec.Patch
	g.Expect(env.Client.Update(ctx, ro)).To(Succeed())
	bakeThrough(g, "bad-patch", 1)
	g.Expect(conditionTypes(get(g, "bad-patch"))).To(Equal([]string{"Converged=True", "Ready=True"}))
}

// SPEC §8: the controller's identity is exempt from multi-region, so it
// never patches an object annotated wavegate.io/regions: the rollout fails
// naming the object, and the object is left as it was.
func TestTheControllerNeverPatchesAnObjectAnnotatedWithRegions(t *testing.T) {
	inventory(t, "annotated", nil, []string{"an1"})
	settings(t, "an1", map[string]string{wavegatev1alpha1.AnnotationRegions: "an1"})
	startController(t)
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), configMapRollout("annotated", "annotated"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "annotated")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseFailed))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Message).To(Equal("ConfigMap app-an1/settings is annotated wavegate.io/regions=an1 in region an1; " +
			"Wavegate never patches an object that configures several regions at once; split it into one object per region, or narrow spec.target"))
	}).Should(Succeed())
	g.Expect(configMapIn(g, "an1").Data["mode"]).To(Equal("old"))
}

// SPEC §3: editing spec.version or spec.patch starts the change again from
// the first wave; Complete always means the current generation is observed
// everywhere (issue 12, gap 3).
func TestEditingAVersionAfterCompleteStartsAgainFromTheFirstWave(t *testing.T) {
	inventory(t, "edit", nil, []string{"ed1"}, []string{"ed2"})
	settings(t, "ed1", nil)
	settings(t, "ed2", nil)
	startController(t)
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, configMapRollout("edit", "edit"))).To(Succeed())
	bakeThrough(g, "edit", 2)

	ro := get(g, "edit")
	ro.Spec.Version = "3.0.0"
	ro.Spec.Patch = JSON(map[string]any{
		"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "3.0.0"}},
		"data":     map[string]any{"mode": "newer"},
	})
	g.Expect(env.Client.Update(ctx, ro)).To(Succeed())

	// The first wave is applied again and bakes; the second waits for it.
	g.Eventually(func(g Gomega) {
		ro := get(g, "edit")
		g.Expect(ro.Status.ObservedGeneration).To(Equal(ro.Generation))
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		g.Expect(ro.Status.CurrentWave).To(Equal("w1"))
		g.Expect(ro.Status.Convergence).To(Equal("1/2"))
		g.Expect(regionState(ro, "ed1").State).To(Equal(wavegatev1alpha1.RegionConverged))
		g.Expect(regionState(ro, "ed2").State).To(Equal(wavegatev1alpha1.RegionPending))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	}).Should(Succeed())
	g.Expect(configMapIn(g, "ed1").Data["mode"]).To(Equal("newer"))
	g.Expect(configMapIn(g, "ed2").Data["mode"]).To(Equal("new"), "the second wave waits for the first one's bake")

	clock.Advance(61 * time.Minute)
	g.Eventually(func(g Gomega) {
		ro := get(g, "edit")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		g.Expect(ro.Status.CurrentWave).To(Equal("w2"))
	}).Should(Succeed())
	clock.Advance(61 * time.Minute)
	g.Eventually(func(g Gomega) {
		ro := get(g, "edit")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseComplete))
		g.Expect(ro.Status.Convergence).To(Equal("2/2"))
		g.Expect(conditionTypes(ro)).To(Equal([]string{"Converged=True", "Ready=True"}))
	}).Should(Succeed())
	g.Expect(configMapIn(g, "ed2").Data["mode"]).To(Equal("newer"))
}

// Issue 12, gap 10: a Freeze on a region the rollout skips does not pause it.
func TestAFreezeOnASkippedRegionDoesNotPauseTheRollout(t *testing.T) {
	inventory(t, "skipfreeze", nil, []string{"sf1", "sf2"})
	settings(t, "sf1", nil)
	startController(t)
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Freeze("sf2-outage", []string{"sf2"}))).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx, Freeze("sf2-outage", nil)) })
	ro := configMapRollout("skipfreeze", "skipfreeze")
	ro.Spec.SkipRegions = []wavegatev1alpha1.SkipRegion{{Name: "sf2", Reason: "separate sovereign rollout"}}
	g.Expect(env.Client.Create(ctx, ro)).To(Succeed())
	bakeThrough(g, "skipfreeze", 1)
	ro = get(g, "skipfreeze")
	g.Expect(ro.Status.PausedBy).To(BeEmpty())
	g.Expect(regionState(ro, "sf2").State).To(Equal(wavegatev1alpha1.RegionSkipped))
	g.Expect(configMapIn(g, "sf1").Data["mode"]).To(Equal("new"))
}
