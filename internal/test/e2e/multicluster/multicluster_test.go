//go:build e2e

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

package multicluster

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/realcluster"
)

// configMap creates app/name in a regional cluster as change id, as the
// cluster's administrator.
func configMap(ctx context.Context, region, name, id string) error {
	return env.regional[region].Client.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: name, Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: id}},
		Data:       map[string]string{"id": id},
	})
}

// appNamespaces creates the namespace app in every regional cluster once
// each agent judges.
func appNamespaces(t *testing.T) {
	g := NewWithT(t)
	for _, r := range regions {
		g.Eventually(func() error {
			err := env.regional[r].Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
				Name: "app", Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: "namespace-app-" + r}}})
			return client.IgnoreAlreadyExists(err)
		}, 2*time.Minute).Should(Succeed(), "the agent of %s never admitted the namespace", r)
	}
}

func hubRollout(g Gomega, name string) *wavegatev1alpha1.ConfigRollout {
	ro := &wavegatev1alpha1.ConfigRollout{}
	g.Expect(env.hub.Client.Get(context.Background(), client.ObjectKey{Name: name}, ro)).To(Succeed())
	return ro
}

func regionStatus(ro *wavegatev1alpha1.ConfigRollout, region string) wavegatev1alpha1.RolloutRegionStatus {
	for _, rs := range ro.Status.Regions {
		if rs.Name == region {
			return rs
		}
	}
	return wavegatev1alpha1.RolloutRegionStatus{}
}

func TestEveryRegionalClusterIsConnected(t *testing.T) {
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		for _, r := range regions {
			rg := &wavegatev1alpha1.Region{}
			g.Expect(env.hub.Client.Get(context.Background(), client.ObjectKey{Name: r}, rg)).To(Succeed())
			c := meta(rg.Status.Conditions, wavegatev1alpha1.ConditionConnected)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %s", r, c.Message)
			g.Expect(rg.Status.Cluster.ServerVersion).NotTo(BeEmpty())
		}
	}, time.Minute).Should(Succeed())
}

// wavegate runs the command line against the hub as its administrator.
func wavegate(ctx context.Context, args ...string) (string, error) {
	return wavegateOn(ctx, env.hub.Kubeconfig, args...)
}

// wavegateOn runs the command line with a cluster's admin kubeconfig.
func wavegateOn(ctx context.Context, kubeconfig string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, env.bins.Wavegate, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestStatusShowsEachRegionsClusterConnectivity(t *testing.T) {
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		out, err := wavegate(context.Background(), "status")
		g.Expect(err).NotTo(HaveOccurred(), out)
		for _, r := range regions {
			g.Expect(out).To(MatchRegexp(`(?m)^\s+%s\s.*connected v`, r))
		}
	}, time.Minute).Should(Succeed())
}

func TestPauseAllRegionsOnTheHubStopsEveryRegionalGate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	appNamespaces(t)
	out, err := wavegate(ctx, "pause", "--all-regions", "--reason", "e2e: stop every region")
	g.Expect(err).NotTo(HaveOccurred(), out)
	for _, r := range regions {
		g.Eventually(func() error { return configMap(ctx, r, "paused", "paused-"+r) }, 10*time.Second).
			Should(MatchError(ContainSubstring("[wavegate:freeze]")), "in %s", r)
	}
	out, err = wavegate(ctx, "resume", "--all")
	g.Expect(err).NotTo(HaveOccurred(), out)
	for _, r := range regions {
		g.Eventually(func() error { return configMap(ctx, r, "resumed", "resumed-"+r) }, time.Minute).Should(Succeed(), "in %s", r)
	}
}

func meta(conds []metav1.Condition, t string) metav1.Condition {
	for _, c := range conds {
		if c.Type == t {
			return c
		}
	}
	return metav1.Condition{}
}

func TestARolloutMovesDeploymentsInTwoClustersWaveByWaveAndAPinBlocksIt(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	appNamespaces(t)
	plan := &wavegatev1alpha1.WavePlan{ObjectMeta: metav1.ObjectMeta{Name: "clusters"}}
	plan.Spec.MinBakeTime = &metav1.Duration{Duration: time.Second}
	for i, r := range regions {
		plan.Spec.Waves = append(plan.Spec.Waves, wavegatev1alpha1.Wave{Name: fmt.Sprintf("w%d", i+1), Regions: []string{r}, BakeTime: metav1.Duration{Duration: 3 * time.Second}})
	}
	g.Expect(env.hub.Client.Create(ctx, plan)).To(Succeed())
	for _, r := range regions {
		g.Eventually(func() error {
			return client.IgnoreAlreadyExists(env.regional[r].Client.Create(ctx, realcluster.WebDeployment(r, "1.0.0", 1)))
		}, time.Minute).Should(Succeed())
	}

	g.Expect(env.hub.Client.Create(ctx, realcluster.WebRollout("web-2", "clusters", "2.0.0"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := hubRollout(g, "web-2")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseComplete), "%+v", ro.Status.Conditions)
	}, 3*time.Minute).Should(Succeed())
	ro := hubRollout(g, "web-2")
	east, west := regionStatus(ro, "eastus"), regionStatus(ro, "westus")
	g.Expect(east.ConvergedAt).NotTo(BeNil())
	g.Expect(west.AppliedAt).NotTo(BeNil())
	g.Expect(west.AppliedAt.Sub(east.ConvergedAt.Time)).To(BeNumerically(">=", 3*time.Second), "westus was patched before eastus baked")
	for _, r := range regions {
		d := &appsv1.Deployment{}
		g.Expect(env.regional[r].Client.Get(ctx, client.ObjectKey{Namespace: "app", Name: "web"}, d)).To(Succeed())
		g.Expect(d.Spec.Template.Labels[wavegatev1alpha1.LabelVersion]).To(Equal("2.0.0"), "in %s", r)
		g.Expect(d.Status.UpdatedReplicas).To(BeEquivalentTo(1), "the Deployment in %s rolled out on its fake node", r)
	}

	// A pin in westus: the next rollout stops there, and says so.
	d := &appsv1.Deployment{}
	g.Expect(env.regional["westus"].Client.Get(ctx, client.ObjectKey{Namespace: "app", Name: "web"}, d)).To(Succeed())
	d.Annotations[wavegatev1alpha1.AnnotationPinnedVersion] = "2.0.0"
	d.Annotations[wavegatev1alpha1.AnnotationPinReason] = "key rotation hold"
	g.Eventually(func() error { return env.regional["westus"].Client.Update(ctx, d) }, time.Minute).Should(Succeed())
	g.Expect(env.hub.Client.Create(ctx, realcluster.WebRollout("web-3", "clusters", "3.0.0"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := hubRollout(g, "web-3")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(meta(ro.Status.Conditions, wavegatev1alpha1.ConditionBlocked).Reason).To(Equal(wavegatev1alpha1.ReasonPinnedBuild))
		g.Expect(regionStatus(ro, "westus").State).To(Equal(wavegatev1alpha1.RegionPinned))
	}, 3*time.Minute).Should(Succeed())
}

func TestAFreezeInTheHubStopsARegionalCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	appNamespaces(t)
	frz := &wavegatev1alpha1.Freeze{ObjectMeta: metav1.ObjectMeta{Name: "stop-eastus"}}
	frz.Spec.Regions, frz.Spec.Reason = []string{"eastus"}, "e2e: a freeze from the hub"
	g.Expect(env.hub.Client.Create(ctx, frz)).To(Succeed())
	created := time.Now()
	var denial error
	for i := 0; denial == nil; i++ {
		denial = configMap(ctx, "eastus", fmt.Sprintf("freeze-%d", i), fmt.Sprintf("freeze-%d", i))
		g.Expect(time.Since(created)).To(BeNumerically("<", time.Minute), "the hub's Freeze never reached the agent")
	}
	logf("a Freeze in the hub to the first denial in eastus's cluster: %s", time.Since(created).Round(time.Millisecond))
	g.Expect(denial).To(MatchError(ContainSubstring("[wavegate:freeze]")))
	g.Expect(configMap(ctx, "westus", "not-frozen", "not-frozen")).To(Succeed())
	g.Expect(env.hub.Client.Delete(ctx, frz)).To(Succeed())
	g.Eventually(func() error { return configMap(ctx, "eastus", "thawed", "thawed") }, time.Minute).Should(Succeed())
}

func TestTheSameChangeInASecondClusterInsideTheBakeIsDenied(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	appNamespaces(t)
	plan := &wavegatev1alpha1.WavePlan{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	plan.Spec.Waves = []wavegatev1alpha1.Wave{
		{Name: "first", Regions: []string{"eastus"}, BakeTime: metav1.Duration{Duration: time.Hour}},
		{Name: "second", Regions: []string{"westus"}, BakeTime: metav1.Duration{Duration: time.Hour}},
	}
	g.Expect(client.IgnoreAlreadyExists(env.hub.Client.Create(ctx, plan))).To(Succeed())
	g.Eventually(func() error { return configMap(ctx, "eastus", "velocity", "velocity-1") }, time.Minute).Should(Succeed())
	g.Expect(configMap(ctx, "westus", "velocity", "velocity-1")).To(MatchError(And(
		ContainSubstring("[wavegate:change-velocity] change velocity-1"), ContainSubstring("reached eastus"))))
}

func TestARegionWhoseKubeconfigIsMissingIsNotConnectedAndItsRolloutsAreBlocked(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rg := &wavegatev1alpha1.Region{ObjectMeta: metav1.ObjectMeta{Name: "nowhere"}}
	rg.Spec.Cluster = &wavegatev1alpha1.RegionCluster{KubeconfigSecretRef: wavegatev1alpha1.SecretKeyRef{Namespace: "wavegate-system", Name: "region-nowhere"}}
	g.Expect(env.hub.Client.Create(ctx, rg)).To(Succeed())
	plan := &wavegatev1alpha1.WavePlan{ObjectMeta: metav1.ObjectMeta{Name: "nowhere"}}
	plan.Spec.Waves = []wavegatev1alpha1.Wave{{Name: "only", Regions: []string{"nowhere"}, BakeTime: metav1.Duration{Duration: time.Hour}}}
	g.Expect(env.hub.Client.Create(ctx, plan)).To(Succeed())
	g.Expect(env.hub.Client.Create(ctx, realcluster.WebRollout("nowhere", "nowhere", "9.0.0"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := &wavegatev1alpha1.Region{}
		g.Expect(env.hub.Client.Get(ctx, client.ObjectKey{Name: "nowhere"}, got)).To(Succeed())
		c := meta(got.Status.Conditions, wavegatev1alpha1.ConditionConnected)
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(wavegatev1alpha1.ReasonKubeconfigNotFound))
		ro := hubRollout(g, "nowhere")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(meta(ro.Status.Conditions, wavegatev1alpha1.ConditionBlocked).Reason).To(Equal(wavegatev1alpha1.ReasonClusterNotConnected))
	}, time.Minute).Should(Succeed())
}

// TestTheAgentsExportTheirHubSyncAndMemory reads each agent's metrics: the
// last sync with the hub is recent, and the heap and resident memory are
// logged for docs/benchmarks.md (a measurement, not a bound).
func TestTheAgentsExportTheirHubSyncAndMemory(t *testing.T) {
	g := NewWithT(t)
	for _, r := range regions {
		replica := env.all.Agents[r].Replicas[0]
		g.Eventually(func(g Gomega) {
			v, ok := replica.Metric("wavegate_agent_hub_last_sync_timestamp_seconds")
			g.Expect(ok).To(BeTrue(), "the agent of %s exports no last sync", r)
			last, err := strconv.ParseFloat(v, 64)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(time.Since(time.Unix(int64(last), 0))).To(BeNumerically("<", staleness))
			_, ok = replica.Metric("wavegate_agent_hub_staleness_seconds")
			g.Expect(ok).To(BeTrue())
		}, time.Minute).Should(Succeed())
		heap, _ := replica.Metric("go_memstats_heap_inuse_bytes")
		rss, _ := replica.Metric("process_resident_memory_bytes")
		logf("agent %s: heap in use %s MiB, resident %s MiB", r, mib(heap), mib(rss))
	}
}

func mib(bytes string) string {
	v, err := strconv.ParseFloat(bytes, 64)
	if err != nil {
		return "?"
	}
	return strconv.FormatFloat(v/(1<<20), 'f', 1, 64)
}

// Last: it stops the hub.
func TestZHubDownAgentsJudgeFromCacheThenDenyAndRecover(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	appNamespaces(t)
	g.Eventually(func() error { return configMap(ctx, "eastus", "outage-velocity", "outage-1") }, time.Minute).Should(Succeed())

	g.Expect(env.hub.Stop(ctx)).To(Succeed())
	stopped := time.Now()
	logf("hub stopped")
	// Within the bound: the cached state still judges (the hub's record of
	// outage-1 in eastus denies it in westus), and a Freeze of the regional
	// cluster itself applies.
	g.Expect(configMap(ctx, "westus", "outage-velocity", "outage-1")).To(MatchError(ContainSubstring("[wavegate:change-velocity]")))
	// wavegate pause against the regional cluster, naming its region: the
	// agent cannot check the name against the hub's inventory, admits the
	// Freeze with a warning, and its own Freeze controller makes it active.
	out, err := wavegateOn(ctx, env.regional["eastus"].Kubeconfig, "pause", "--region", "eastus", "--reason", "e2e: pause during a hub outage")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("is active: eastus frozen"))
	g.Eventually(func() error { return configMap(ctx, "eastus", "during-outage", "during-outage") }, 10*time.Second).
		Should(MatchError(ContainSubstring("[wavegate:freeze]")))
	g.Expect(time.Since(stopped)).To(BeNumerically("<", staleness), "the cached-state checks ran past the staleness bound")

	// Past the bound: denied, saying why.
	g.Eventually(func() error { return configMap(ctx, "westus", "past-bound", "past-bound") }, 3*staleness).
		Should(MatchError(ContainSubstring("[wavegate:hub-unreachable]")))
	out, err = wavegateOn(ctx, env.regional["eastus"].Kubeconfig, "resume", "--all")
	g.Expect(err).NotTo(HaveOccurred(), out)

	g.Expect(env.hub.Start(ctx)).To(Succeed())
	logf("hub started again")
	for _, r := range regions {
		g.Eventually(func() error { return configMap(ctx, r, "recovered", "recovered-"+r) }, 2*time.Minute).Should(Succeed(), "%s did not recover", r)
	}
}
