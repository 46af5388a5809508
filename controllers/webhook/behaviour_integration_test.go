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

package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

func TestRegionPairingWarnsUntilBothSidesPointAtEachOther(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	c, warnings, err := env.ClientWithWarnings()
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.Create(ctx, Region("bh-first"))).To(Succeed())
	g.Expect(c.Create(ctx, Region("bh-second", PairedWith("bh-first")))).To(Succeed())
	g.Expect(warnings.Take()).To(ConsistOf(
		"Region bh-first does not name bh-second back as its pair yet; set its spec.pairedRegion to bh-second"))

	first := &wavegatev1alpha1.Region{}
	g.Expect(c.Get(ctx, client.ObjectKey{Name: "bh-first"}, first)).To(Succeed())
	first.Spec.PairedRegion = "bh-second"
	g.Expect(c.Update(ctx, first)).To(Succeed())
	g.Expect(warnings.Take()).To(BeEmpty(), "a pair that points both ways needs no warning")

	first.Spec.PairedRegion = ""
	g.Expect(c.Update(ctx, first)).To(Succeed())
	g.Expect(warnings.Take()).To(ConsistOf(
		"Region bh-second may still name bh-first as its pair; update its spec.pairedRegion"))
}

// SPEC §3 Region: two Regions that name each other apply in one kubectl
// apply, in any order; a one-sided pair already counts as a pair (issue 12,
// gap 11).
func TestRegionsThatNameEachOtherApplyInAnyOrder(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	c, warnings, err := env.ClientWithWarnings()
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.Create(ctx, Region("ao-east", PairedWith("ao-west")))).To(Succeed(), "the pair does not exist yet")
	g.Expect(warnings.Take()).To(ConsistOf(
		"Region ao-west does not exist yet; create it with spec.pairedRegion ao-east. Until then Region ao-east is not Ready (PairPending), and the two already count as a failover pair for every safety rule"))
	g.Expect(c.Create(ctx, Region("ao-central"))).To(Succeed())
	expectInvalid(g, c.Create(ctx, WavePlan("ao-plan", Wave("w1", "ao-central", "ao-east"), Wave("w2", "ao-west"))),
		"spec.waves[1].regions[0]", `Invalid value: "ao-west": region ao-west is not in the region inventory; create the Region first or fix the name (unknown is not safe)`)

	g.Expect(c.Create(ctx, Region("ao-west", PairedWith("ao-east")))).To(Succeed())
	g.Expect(warnings.Take()).To(BeEmpty(), "the pair names it back")

	t.Run("a pair that names a third region is still rejected", func(t *testing.T) {
		expectInvalid(NewWithT(t), c.Create(ctx, Region("ao-third", PairedWith("ao-east"))),
			"spec.pairedRegion", `Invalid value: "ao-east": Region ao-east is already paired with ao-west; a region has one failover pair, so unpair them first`)
	})
}

func TestRolloutDependencyCyclesAreRejected(t *testing.T) {
	fixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	c, warnings, err := env.ClientWithWarnings()
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.Create(ctx, Rollout("bh-a", WithPlan("fx-plan"), DependingOn("bh-b")))).To(Succeed())
	g.Expect(warnings.Take()).To(ConsistOf(
		"ConfigRollout bh-b does not exist yet; this rollout waits until it exists and has converged"))
	g.Expect(c.Create(ctx, Rollout("bh-c", WithPlan("fx-plan"), DependingOn("bh-a")))).To(Succeed())

	err = c.Create(ctx, Rollout("bh-b", WithPlan("fx-plan"), DependingOn("bh-c")))
	expectInvalid(g, err, "spec.dependsOn[0]",
		`Invalid value: "bh-c": depending on bh-c forms a cycle (bh-b -> bh-c -> bh-a -> bh-b); remove one of these dependencies`)

	g.Expect(c.Create(ctx, Rollout("bh-b", WithPlan("fx-plan")))).To(Succeed(), "the same rollout without the cycle is fine")
}

func TestAnObjectStaysEditableAfterARegionItNamesIsRemoved(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Region("bh-gone"))).To(Succeed())
	g.Expect(env.Client.Create(ctx, Region("bh-stays"))).To(Succeed())
	frz := Freeze("bh-freeze", []string{"bh-gone"})
	g.Expect(env.Client.Create(ctx, frz)).To(Succeed())
	g.Expect(env.Client.Delete(ctx, Region("bh-gone"))).To(Succeed())

	frz.Labels = map[string]string{"team": "sre"}
	g.Expect(env.Client.Update(ctx, frz)).To(Succeed(), "a metadata-only update is admitted")

	frz.Spec.Regions = []string{"bh-gone", "bh-stays"}
	g.Expect(env.Client.Update(ctx, frz)).To(Succeed(), "regions the object already named are not judged again")

	frz.Spec.Regions = []string{"bh-gone", "bh-stays", "bh-never"}
	expectInvalid(g, env.Client.Update(ctx, frz), "spec.regions[2]",
		`Invalid value: "bh-never": region bh-never is not in the region inventory; create the Region first or fix the name (unknown is not safe)`)

	stored := &wavegatev1alpha1.Freeze{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(frz), stored)).To(Succeed())
	g.Expect(stored.Spec.Regions).To(ConsistOf("bh-gone", "bh-stays"), "a rejected update changes nothing")
}

func TestAFreezeMayExpireInTheFutureButNotBeMovedIntoThePast(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	now := clock.Now()
	frz := Freeze("bh-expiring", []string{"*"}, ExpiringAt(now.Add(4*time.Hour)))
	g.Expect(env.Client.Create(ctx, frz)).To(Succeed())
	// A freeze of every region would stop every other test's changes.
	t.Cleanup(func() { _ = env.Client.Delete(ctx, frz) })

	frz.Spec.ExpiresAt = &metav1.Time{Time: now.Add(-time.Minute)}
	expectInvalid(g, env.Client.Update(ctx, frz), "spec.expiresAt", fmt.Sprintf(
		`Invalid value: %q: must be in the future (now is %s); to end a freeze, delete it`,
		now.Add(-time.Minute).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
}
