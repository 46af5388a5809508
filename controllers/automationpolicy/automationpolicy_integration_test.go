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

package automationpolicy_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
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
		opts := setup.ForTests(clock.Now)
		return setup.Manager(mgr, opts)
	}))
}

func getPolicy(g Gomega, name string) *wavegatev1alpha1.AutomationPolicy {
	ap := &wavegatev1alpha1.AutomationPolicy{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: name}, ap)).To(Succeed())
	return ap
}

func ready(ap *wavegatev1alpha1.AutomationPolicy) metav1.ConditionStatus {
	for _, c := range ap.Status.Conditions {
		if c.Type == wavegatev1alpha1.ConditionReady {
			return c.Status
		}
	}
	return metav1.ConditionUnknown
}

func cm(ns, name, protection string) *corev1.ConfigMap {
	c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{},
		Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: ns + "-" + name}}, Data: map[string]string{"k": name}}
	if protection != "" {
		c.Labels[wavegatev1alpha1.LabelProtection] = protection
	}
	return c
}

// cleaner is the cleanup service account, as the API server would identify it.
func cleaner(t *testing.T) client.Client {
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:aoai-system:cleanup", Groups: []string{"system:masters"}}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return c
}

func namespace(g Gomega, name, region string) {
	g.Eventually(func() error {
		return env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{wavegatev1alpha1.LabelRegion: region}, Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: name}}})
	}).Should(Succeed())
}

// The outage: a cleanup driven by one global configuration deleted untagged
// resources nobody had marked as protected.
func TestReplayOfTheCleanupOutage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Region("ap-eastus"))).To(Succeed())
	namespace(g, "aoai-internal", "ap-eastus")
	g.Expect(env.Client.Create(ctx, cm("aoai-internal", "endpoint-eus", ""))).To(Succeed())
	g.Expect(env.Client.Create(ctx, cm("aoai-internal", "scratch-1", wavegatev1alpha1.ProtectionDeletable))).To(Succeed())
	g.Expect(env.Client.Create(ctx, cm("aoai-internal", "keys", wavegatev1alpha1.ProtectionProtected))).To(Succeed())
	for i := range 3 {
		g.Expect(env.Client.Create(ctx, cm("aoai-internal", fmt.Sprintf("tmp-%d", i), wavegatev1alpha1.ProtectionDeletable))).To(Succeed())
	}
	g.Expect(env.Client.Create(ctx, Policy("aoai-storage-cleanup", []string{"ap-eastus"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"aoai-system/cleanup"}
		p.Spec.Scope.Namespaces = []string{"aoai-internal"}
		p.Spec.Scope.Resources = []wavegatev1alpha1.GroupResource{{Resource: "configmaps"}}
		p.Spec.MaxDeletionsPerHour = 3
	}))).To(Succeed())

	g.Eventually(func(g Gomega) {
		ap := getPolicy(g, "aoai-storage-cleanup")
		g.Expect(ready(ap)).To(Equal(metav1.ConditionFalse))
		g.Expect(ap.Status.UntaggedCount).To(BeEquivalentTo(1))
		g.Expect(ap.Status.Untagged).To(ConsistOf(wavegatev1alpha1.ObjectRef{Kind: "ConfigMap", Namespace: "aoai-internal", Name: "endpoint-eus"}))
	}).Should(Succeed())

	bot := cleaner(t)
	del := func(name string) error {
		return bot.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "aoai-internal", Name: name}})
	}
	g.Eventually(func(g Gomega) {
		err := del("scratch-1")
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		g.Expect(err.Error()).To(HaveSuffix("[wavegate:automation-scope] AutomationPolicy aoai-storage-cleanup is not Ready: 1 resource in scope is untagged; tag them before the automation may run"))
	}).Should(Succeed(), "while one resource in scope is untagged, every delete by the account is denied")

	endpoint := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "aoai-internal", Name: "endpoint-eus"}, endpoint)).To(Succeed())
	endpoint.Labels = map[string]string{wavegatev1alpha1.LabelProtection: wavegatev1alpha1.ProtectionProtected}
	g.Expect(env.Client.Update(ctx, endpoint)).To(Succeed())
	g.Eventually(func() metav1.ConditionStatus { return ready(getPolicy(g, "aoai-storage-cleanup")) }).
		Should(Equal(metav1.ConditionTrue), "tagging is noticed through watches: the controller has no timer")

	g.Eventually(func() error { return del("scratch-1") }).Should(Succeed(), "deletable objects may now be deleted")
	err := del("keys")
	g.Expect(err).To(MatchError(HaveSuffix("[wavegate:protected-delete] ConfigMap aoai-internal/keys is not tagged wavegate.io/protection=deletable; automation may not delete it")))

	g.Expect(del("tmp-0")).To(Succeed())
	g.Expect(del("tmp-1")).To(Succeed())
	err = del("tmp-2")
	g.Expect(err).To(HaveOccurred(), "the breaker trips at maxDeletionsPerHour + 1")
	g.Expect(strings.Contains(err.Error(), "tripped its mass-deletion breaker: 3 deletions in the last hour (maxDeletionsPerHour 3)")).To(BeTrue(), "%v", err)
}

// The outage: a workflow read "not found" from a tool that did not cover one
// cloud and treated it as unused.
func TestReplayOfTheDecommissionOutage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Region("ap-chinaeast2"))).To(Succeed())
	g.Expect(env.Client.Create(ctx, Region("ap-westus"))).To(Succeed())
	namespace(g, "dns-westus", "ap-westus")
	g.Expect(env.Client.Create(ctx, cm("dns-westus", "zone", wavegatev1alpha1.ProtectionDeletable))).To(Succeed())
	g.Expect(env.Client.Create(ctx, Policy("decommission", []string{"ap-westus", "ap-chinaeast2"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"aoai-system/cleanup"}
		p.Spec.Scope.Namespaces = []string{"dns-westus"}
	}))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ap := getPolicy(g, "decommission")
		g.Expect(ready(ap)).To(Equal(metav1.ConditionTrue))
		// What kubectl wait --for=condition=Ready reads: the condition of
		// the current generation; nothing else is said of a Ready policy.
		g.Expect(ap.Status.Conditions).To(ConsistOf(And(HaveField("Type", wavegatev1alpha1.ConditionReady), HaveField("ObservedGeneration", ap.Generation))))
	}).Should(Succeed())

	// The inventory loses a region the scope names.
	g.Expect(env.Client.Delete(ctx, Region("ap-chinaeast2"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ap := getPolicy(g, "decommission")
		g.Expect(ap.Status.UncoveredRegions).To(Equal([]string{"ap-chinaeast2"}))
		g.Expect(ready(ap)).To(Equal(metav1.ConditionFalse))
	}).Should(Succeed())
	g.Eventually(func(g Gomega) {
		err := cleaner(t).Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dns-westus", Name: "zone"}})
		g.Expect(err).To(MatchError(ContainSubstring("[wavegate:automation-scope] AutomationPolicy decommission is not Ready: scope region ap-chinaeast2 is not in the region inventory")))
	}).Should(Succeed())
}

// A scope resource the cluster does not serve cannot be scanned: the policy
// says so, with the API server's words, instead of retrying in silence, and
// the gate denies the automation's deletes until it is fixed.
func TestAScopeResourceNotServedStallsThePolicy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Region("ap-northeurope"))).To(Succeed())
	namespace(g, "widgets-neu", "ap-northeurope")
	g.Expect(env.Client.Create(ctx, cm("widgets-neu", "w", wavegatev1alpha1.ProtectionDeletable))).To(Succeed())
	g.Expect(env.Client.Create(ctx, Policy("widget-cleanup", []string{"ap-northeurope"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"widgets/cleanup"}
		p.Spec.Scope.Resources = []wavegatev1alpha1.GroupResource{{Group: "example.com", Resource: "widgets"}, {Resource: "configmaps"}}
	}))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ap := getPolicy(g, "widget-cleanup")
		g.Expect(ap.Status.ObservedGeneration).To(Equal(ap.Generation))
		g.Expect(ap.Status.Conditions).To(ConsistOf(
			And(HaveField("Type", wavegatev1alpha1.ConditionReady), HaveField("Status", metav1.ConditionFalse),
				HaveField("Reason", "ResourceNotServed"), HaveField("Message", ContainSubstring("widgets.example.com"))),
			And(HaveField("Type", wavegatev1alpha1.ConditionStalled), HaveField("Status", metav1.ConditionTrue),
				HaveField("Reason", "ResourceNotServed")),
		))
	}).Should(Succeed())

	// The scope is corrected: Ready, and Stalled is removed.
	ap := getPolicy(g, "widget-cleanup")
	ap.Spec.Scope.Resources = []wavegatev1alpha1.GroupResource{{Resource: "configmaps"}}
	g.Expect(env.Client.Update(ctx, ap)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ap := getPolicy(g, "widget-cleanup")
		g.Expect(ap.Status.Conditions).To(ConsistOf(And(HaveField("Type", wavegatev1alpha1.ConditionReady), HaveField("Status", metav1.ConditionTrue),
			HaveField("ObservedGeneration", ap.Generation))))
	}).Should(Succeed())
}

// Only the exact values protected and deletable are tags: a typo counts as
// protected for the gate, so the scan reports it as untagged until it is
// fixed.
func TestAMistypedProtectionIsReportedAsUntagged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Region("ap-southindia"))).To(Succeed())
	namespace(g, "typos-sin", "ap-southindia")
	g.Expect(env.Client.Create(ctx, cm("typos-sin", "tagged", wavegatev1alpha1.ProtectionDeletable))).To(Succeed())
	g.Expect(env.Client.Create(ctx, cm("typos-sin", "typo", "Deletable"))).To(Succeed())
	g.Expect(env.Client.Create(ctx, Policy("typo-cleanup", []string{"ap-southindia"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"typos/cleanup"}
		p.Spec.Scope.Namespaces = []string{"typos-sin"}
		p.Spec.Scope.Resources = []wavegatev1alpha1.GroupResource{{Resource: "configmaps"}}
	}))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ap := getPolicy(g, "typo-cleanup")
		g.Expect(ap.Status.ObservedGeneration).To(Equal(ap.Generation))
		g.Expect(ready(ap)).To(Equal(metav1.ConditionFalse))
		g.Expect(ap.Status.Untagged).To(ConsistOf(wavegatev1alpha1.ObjectRef{Kind: "ConfigMap", Namespace: "typos-sin", Name: "typo"}))
	}).Should(Succeed())
}
