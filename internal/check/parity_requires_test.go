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

package check_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/check"
	"github.com/wavegate/wavegate/internal/manifest"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// requiresRollout creates a rollout on the pr-plan and writes its status as
// the controller would, converged in pr-east and its pair pr-west at
// observedVersion; status edits the status before it is written, and
// respec edits the spec after (bumping the generation past the status).
func requiresRollout(g Gomega, name, observedVersion string, status func(*wavegatev1alpha1.ConfigRollout), respec func(*wavegatev1alpha1.ConfigRollout)) {
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Rollout(name, WithPlan("pr-plan")))).To(Succeed())
	ro := &wavegatev1alpha1.ConfigRollout{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: name}, ro)).To(Succeed())
	ro.Status.ObservedGeneration = ro.Generation
	ro.Status.Regions = []wavegatev1alpha1.RolloutRegionStatus{
		{Name: "pr-east", State: wavegatev1alpha1.RegionConverged, ObservedVersion: observedVersion},
		{Name: "pr-west", State: wavegatev1alpha1.RegionConverged, ObservedVersion: observedVersion},
	}
	if status != nil {
		status(ro)
	}
	g.Expect(env.Client.Status().Update(ctx, ro)).To(Succeed())
	if respec != nil {
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: name}, ro)).To(Succeed())
		respec(ro)
		g.Expect(env.Client.Update(ctx, ro)).To(Succeed())
	}
}

// TestCheckAndTheWebhookTrustOnlyCurrentConvergence: requires is satisfied
// only by status written for the rollout's current generation, with the
// region and its pair observed at spec.version; wavegate check and the live
// webhook agree on each case (issue 12, gap 2).
func TestCheckAndTheWebhookTrustOnlyCurrentConvergence(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	for _, r := range []*wavegatev1alpha1.Region{Region("pr-east"), Region("pr-west", PairedWith("pr-east"))} {
		g.Expect(env.Client.Create(ctx, r)).To(Succeed())
	}
	g.Expect(env.Client.Create(ctx, WavePlan("pr-plan", Wave("w1", "pr-east"), Wave("w2", "pr-west")))).To(Succeed())
	g.Expect(env.Client.Create(ctx, namespace("pr-app", nil))).To(Succeed())

	requiresRollout(g, "pr-current", "2.0.0", nil, nil)
	requiresRollout(g, "pr-unobserved", "2.0.0", func(ro *wavegatev1alpha1.ConfigRollout) { ro.Status.ObservedGeneration = 0 }, nil)
	requiresRollout(g, "pr-edited", "2.0.0", nil, func(ro *wavegatev1alpha1.ConfigRollout) { ro.Spec.Paused = true })
	requiresRollout(g, "pr-old-version", "1.9.0", nil, nil)

	requiring := func(name, rollout string) parityCase {
		return parityCase{name: rollout, user: "alice", obj: cm("pr-app", name, region("pr-east"), ann(wavegatev1alpha1.AnnotationRequires, rollout))}
	}
	denial := func(rollout, east, west string) string {
		return "[wavegate:requires] ConfigRollout " + rollout + " has not converged in pr-east (" + east + ") and pr-west (" + west + "); apply this change once it has converged there"
	}
	cases := []struct {
		c    parityCase
		want verdict
	}{
		{requiring("r1", "pr-current"), verdict{Allowed: true}},
		{requiring("r2", "pr-unobserved"), verdict{Message: denial("pr-unobserved",
			"status is for generation 0, not the current 1", "status is for generation 0, not the current 1")}},
		{requiring("r3", "pr-edited"), verdict{Message: denial("pr-edited",
			"status is for generation 1, not the current 2", "status is for generation 1, not the current 2")}},
		{requiring("r4", "pr-old-version"), verdict{Message: denial("pr-old-version",
			"Converged at 1.9.0, not at 2.0.0", "Converged at 1.9.0, not at 2.0.0")}},
	}
	// The gate's informers have every rollout once the edited one is seen
	// at its new generation.
	g.Eventually(func() verdict { return live(t, cases[0].c) }).Should(Equal(verdict{Allowed: true}))
	g.Eventually(func() verdict { return live(t, cases[2].c) }).Should(Equal(cases[2].want))

	data, err := check.ExportState(ctx, env.Client, "configmaps")
	g.Expect(err).NotTo(HaveOccurred())
	state, err := manifest.Read(strings.NewReader(string(data)))
	g.Expect(err).NotTo(HaveOccurred())
	for _, tc := range cases {
		t.Run(tc.c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(live(t, tc.c)).To(Equal(tc.want), "the live webhook")
			g.Expect(offline(t, state, tc.c)).To(Equal(tc.want), "wavegate check")
		})
	}
}
