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
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// kubeconfigs is the hub namespace holding the regional clusters' kubeconfigs.
const kubeconfigs = "region-kubeconfigs"

// regionalCluster starts a regional cluster (its own API server and etcd),
// stores its kubeconfig in the hub and creates the Region naming it, and
// the ConfigMap app/settings at version 1.0.0 in it.
func regionalCluster(t *testing.T, region string, annotations map[string]string) *testenv.Regional {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	rc, err := testenv.StartRegional(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases"))
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = rc.Stop() })
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kubeconfigs}}
	if err := env.Client.Create(ctx, ns); err != nil {
		g.Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
	}
	g.Expect(env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: kubeconfigs, Name: region},
		Data:       map[string][]byte{"value": rc.Kubeconfig},
	})).To(Succeed())
	g.Expect(env.Client.Create(ctx, Region(region, InCluster(kubeconfigs, region)))).To(Succeed())
	g.Expect(rc.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}})).To(Succeed())
	g.Expect(rc.Client.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "settings",
			Labels: map[string]string{wavegatev1alpha1.LabelVersion: "1.0.0"}, Annotations: annotations},
		Data: map[string]string{"mode": "old"},
	})).To(Succeed())
	return rc
}

func regionalSettings(g Gomega, rc *testenv.Regional) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{}
	g.Expect(rc.Client.Get(context.Background(), client.ObjectKey{Namespace: "app", Name: "settings"}, cm)).To(Succeed())
	return cm
}

func regionCondition(g Gomega, name, conditionType string) metav1.Condition {
	rg := &wavegatev1alpha1.Region{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: name}, rg)).To(Succeed())
	for _, c := range rg.Status.Conditions {
		if c.Type == conditionType {
			return c
		}
	}
	return metav1.Condition{}
}

func TestARolloutMovesTargetsInRegionalClustersWaveByWave(t *testing.T) {
	east := regionalCluster(t, "rc-east", nil)
	west := regionalCluster(t, "rc-west", nil)
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, WavePlan("regional", Wave("w1", "rc-east"), Wave("w2", "rc-west")))).To(Succeed())
	// In east's cluster, a Namespace labelled with west: its objects are
	// west's, as east's agent judges them, so east's wave leaves them alone.
	g.Expect(east.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere",
		Labels: map[string]string{wavegatev1alpha1.LabelRegion: "rc-west"}}})).To(Succeed())
	g.Expect(east.Client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "elsewhere", Name: "settings",
		Labels: map[string]string{wavegatev1alpha1.LabelVersion: "1.0.0"}}, Data: map[string]string{"mode": "old"}})).To(Succeed())
	startController(t)

	g.Eventually(func(g Gomega) {
		for _, r := range []string{"rc-east", "rc-west"} {
			c := regionCondition(g, r, wavegatev1alpha1.ConditionConnected)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %s", r, c.Message)
			g.Expect(c.Reason).To(Equal(wavegatev1alpha1.ReasonReachable))
			rg := &wavegatev1alpha1.Region{}
			g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: r}, rg)).To(Succeed())
			g.Expect(rg.Status.Cluster).NotTo(BeNil())
			g.Expect(rg.Status.Cluster.ServerVersion).NotTo(BeEmpty())
			g.Expect(rg.Status.Cluster.LastContact).NotTo(BeNil())
		}
	}).Should(Succeed())

	g.Expect(env.Client.Create(ctx, configMapRollout("regional", "regional"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "regional")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		g.Expect(ro.Status.CurrentWave).To(Equal("w1"))
		g.Expect(regionalSettings(g, east).Data["mode"]).To(Equal("new"))
		g.Expect(regionState(ro, "rc-east").State).To(Equal(wavegatev1alpha1.RegionConverged))
	}).Should(Succeed())
	g.Expect(regionalSettings(g, west).Data["mode"]).To(Equal("old"), "the second wave's cluster was patched before the first baked")

	bakeThrough(g, "regional", 2)
	g.Expect(regionalSettings(g, west).Data["mode"]).To(Equal("new"))
	elsewhere := &corev1.ConfigMap{}
	g.Expect(east.Client.Get(ctx, client.ObjectKey{Namespace: "elsewhere", Name: "settings"}, elsewhere)).To(Succeed())
	g.Expect(elsewhere.Data["mode"]).To(Equal("old"), "an object of east's cluster in a Namespace labelled rc-west is not east's target")
	g.Expect(get(g, "regional").Status.Convergence).To(Equal("2/2"))
}

func TestAPinInARegionalClusterBlocksTheRollout(t *testing.T) {
	regionalCluster(t, "rp-east", nil)
	west := regionalCluster(t, "rp-west", pin("1.9.3", "key rotation hold"))
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, WavePlan("regional-pin", Wave("w1", "rp-east"), Wave("w2", "rp-west")))).To(Succeed())
	startController(t)
	g.Expect(env.Client.Create(ctx, configMapRollout("regional-pin", "regional-pin"))).To(Succeed())
	// The first wave bakes (its region converged) before the clock moves.
	g.Eventually(func(g Gomega) {
		st := get(g, "regional-pin").Status
		g.Expect(st.Phase).To(Equal(wavegatev1alpha1.PhaseBaking))
		g.Expect(st.CurrentWave).To(Equal("w1"))
	}).Should(Succeed())
	clock.Advance(61 * time.Minute)

	g.Eventually(func(g Gomega) {
		ro := get(g, "regional-pin")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionBlocked).Reason).To(Equal(wavegatev1alpha1.ReasonPinnedBuild))
		g.Expect(regionState(ro, "rp-west").State).To(Equal(wavegatev1alpha1.RegionPinned))
	}).Should(Succeed())
	g.Expect(regionalSettings(g, west).Data["mode"]).To(Equal("old"), "a pinned target is never patched")
}

func TestARegionWhoseKubeconfigIsMissingOrWrongIsNotConnectedAndBlocksItsRollouts(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kubeconfigs}}
	if err := env.Client.Create(ctx, ns); err != nil {
		g.Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
	}
	g.Expect(env.Client.Create(ctx, Region("rx-missing", InCluster(kubeconfigs, "rx-missing")))).To(Succeed())
	g.Expect(env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: kubeconfigs, Name: "rx-garbled"},
		Data:       map[string][]byte{"value": []byte("this is not a kubeconfig")},
	})).To(Succeed())
	g.Expect(env.Client.Create(ctx, Region("rx-garbled", InCluster(kubeconfigs, "rx-garbled")))).To(Succeed())
	g.Expect(env.Client.Create(ctx, WavePlan("unreachable", Wave("w1", "rx-missing"), Wave("w2", "rx-garbled")))).To(Succeed())
	startController(t)
	g.Expect(env.Client.Create(ctx, configMapRollout("unreachable", "unreachable"))).To(Succeed())

	g.Eventually(func(g Gomega) {
		missing := regionCondition(g, "rx-missing", wavegatev1alpha1.ConditionConnected)
		g.Expect(missing.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(missing.Reason).To(Equal(wavegatev1alpha1.ReasonKubeconfigNotFound))
		g.Expect(missing.Message).To(ContainSubstring("Secret region-kubeconfigs/rx-missing does not exist"))
		garbled := regionCondition(g, "rx-garbled", wavegatev1alpha1.ConditionConnected)
		g.Expect(garbled.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(garbled.Reason).To(Equal(wavegatev1alpha1.ReasonInvalidKubeconfig))

		ro := get(g, "unreachable")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		blocked := condition(ro, wavegatev1alpha1.ConditionBlocked)
		g.Expect(blocked.Reason).To(Equal(wavegatev1alpha1.ReasonClusterNotConnected))
		g.Expect(blocked.Message).To(ContainSubstring("region rx-missing is a cluster the hub does not reach"))
	}).Should(Succeed())
}
