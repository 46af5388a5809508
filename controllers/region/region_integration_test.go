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

package region_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var (
	env   *testenv.Env
	clock = NewFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		return setup.Manager(mgr, setup.ForTests(clock.Now))
	}))
}

// ready returns a Region's Ready condition once it is written for the
// Region's current generation.
func ready(g Gomega, name string) metav1.Condition {
	rg := &wavegatev1alpha1.Region{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: name}, rg)).To(Succeed())
	g.Expect(rg.Status.ObservedGeneration).To(Equal(rg.Generation))
	c := meta.FindStatusCondition(rg.Status.Conditions, wavegatev1alpha1.ConditionReady)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.ObservedGeneration).To(Equal(rg.Generation))
	return *c
}

// SPEC §3 Region: two Regions that name each other apply in one kubectl
// apply, in any order; the first shows PairPending until the second exists,
// and a one-sided pair counts as a pair meanwhile (issue 12, gap 11).
func TestRegionsThatNameEachOtherShowPairPendingUntilBothExist(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	c, warnings, err := env.ClientWithWarnings()
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.Create(ctx, Region("pp-east", PairedWith("pp-west")))).To(Succeed())
	g.Expect(warnings.Take()).To(HaveLen(1))
	g.Expect(c.Create(ctx, Region("pp-central"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		r := ready(g, "pp-east")
		g.Expect(r.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(r.Reason).To(Equal(wavegatev1alpha1.ReasonPairPending))
		g.Expect(r.Message).To(HavePrefix("Region pp-west does not exist yet"))
		g.Expect(ready(g, "pp-central")).To(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", wavegatev1alpha1.ReasonNoPair)))
	}).Should(Succeed())

	// The second Region, first without its pair, as a GitOps tool may
	// apply a half-written folder: the first one's pair counts already.
	g.Expect(c.Create(ctx, Region("pp-west"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		r := ready(g, "pp-east")
		g.Expect(r.Reason).To(Equal(wavegatev1alpha1.ReasonPairPending))
		g.Expect(r.Message).To(HavePrefix("Region pp-west does not name pp-east back as its pair yet"))
	}).Should(Succeed())
	g.Eventually(func() error {
		return c.Create(ctx, WavePlan("pp-plan", Wave("w1", "pp-central", "pp-east", "pp-west")))
	}).Should(MatchError(ContainSubstring("regions pp-east and pp-west are a failover pair and may not share wave w1")), "a one-sided pair is a pair for the wave rules")

	west := &wavegatev1alpha1.Region{}
	g.Expect(c.Get(ctx, client.ObjectKey{Name: "pp-west"}, west)).To(Succeed())
	west.Spec.PairedRegion = "pp-east"
	g.Expect(c.Update(ctx, west)).To(Succeed())
	g.Eventually(func(g Gomega) {
		for _, name := range []string{"pp-east", "pp-west"} {
			g.Expect(ready(g, name)).To(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", wavegatev1alpha1.ReasonPaired)), name)
		}
	}).Should(Succeed(), "the pair's change reaches the Region that names it")

	t.Run("deleting one side turns the other PairPending again", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(c.Delete(ctx, west)).To(Succeed())
		g.Eventually(func(g Gomega) {
			g.Expect(ready(g, "pp-east").Reason).To(Equal(wavegatev1alpha1.ReasonPairPending))
		}).Should(Succeed())
	})
}
