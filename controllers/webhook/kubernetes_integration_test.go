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
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// These tests replay what Kubernetes' own controllers and everyday tools do
// in a real cluster, which the gate must not get in the way of.

// recordedObjects lists the objects named by every change record.
func recordedObjects(g Gomega) []string {
	records := &wavegatev1alpha1.ChangeRecordList{}
	g.Expect(env.Client.List(context.Background(), records)).To(Succeed())
	var out []string
	for _, r := range records.Items {
		for _, e := range r.Spec.Entries {
			out = append(out, e.Object)
		}
	}
	return out
}

func TestObjectsWithoutAPayloadAndKubernetesOwnObjectsAreNoChange(t *testing.T) {
	gateFixture(t)
	ctx := context.Background()
	east := newNamespace(t, map[string]string{wavegatev1alpha1.LabelRegion: "g-eastus"})
	weu := newNamespace(t, map[string]string{wavegatev1alpha1.LabelRegion: "g-westeurope"})
	alice, _ := clientAs(t, "alice")

	t.Run("a region-labelled Namespace in a second region", func(t *testing.T) {
		for _, r := range []string{"g-eastus", "g-westeurope", "g-centralus"} {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("second-%s-%d", r, time.Now().UnixNano()%100000),
				Labels: map[string]string{wavegatev1alpha1.LabelRegion: r}}}
			NewWithT(t).Expect(alice.Create(ctx, ns)).To(Succeed(), "a Namespace carries no configuration")
		}
	})
	rootCA := func(ns string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kube-root-ca.crt"}, Data: map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----"}}
	}
	t.Run("the root CA ConfigMap the controller manager publishes in every namespace", func(t *testing.T) {
		kcm, _ := clientAs(t, "system:kube-controller-manager")
		publisher, _ := clientAs(t, "system:serviceaccount:kube-system:root-ca-cert-publisher")
		NewWithT(t).Expect(kcm.Create(ctx, rootCA(east))).To(Succeed())
		NewWithT(t).Expect(publisher.Create(ctx, rootCA(weu))).To(Succeed(), "the same data in a later wave")
	})
	t.Run("default ServiceAccounts and their tokens", func(t *testing.T) {
		sac, _ := clientAs(t, "system:serviceaccount:kube-system:service-account-controller")
		for _, ns := range []string{east, weu} {
			g := NewWithT(t)
			g.Expect(sac.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}})).To(Succeed())
			g.Expect(alice.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "builder"}})).To(Succeed(),
				"an empty ServiceAccount carries no configuration")
			g.Expect(alice.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "builder-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "builder"}},
				Type:       corev1.SecretTypeServiceAccountToken,
			})).To(Succeed(), "a service account token carries no configuration")
		}
	})
	t.Run("nothing is recorded for them", func(t *testing.T) {
		recorded := strings.Join(recordedObjects(NewWithT(t)), "\n")
		for _, ns := range []string{east, weu} {
			for _, ref := range []string{"ConfigMap " + ns + "/kube-root-ca.crt", "ServiceAccount " + ns + "/", "Secret " + ns + "/"} {
				NewWithT(t).Expect(recorded).NotTo(ContainSubstring(ref))
			}
		}
		NewWithT(t).Expect(recorded).NotTo(ContainSubstring("Namespace second-"))
	})
	t.Run("a human's configuration is still a change", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(alice.Create(ctx, rootCA(east).DeepCopy())).NotTo(Succeed(), "it exists already")
		data := func(ns, name string) *corev1.ConfigMap {
			return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"endpoint": "https://example/" + east}}
		}
		g.Expect(alice.Create(ctx, data(east, "endpoint"))).To(Succeed())
		err := alice.Create(ctx, data(weu, "endpoint"))
		g.Expect(err).To(MatchError(ContainSubstring("[wavegate:change-velocity] change ")), "the same payload in a second region, an hour early")
		g.Expect(err).To(MatchError(ContainSubstring("reached g-eastus 0s ago")))
	})
}

func TestOnlyAPayloadChangeEntersARegion(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	plan := annotated(wavegatev1alpha1.AnnotationPlan, "gate-plan")
	shared := func(cm *corev1.ConfigMap) { cm.Data = map[string]string{"feature": "on"} }

	// b exists in g-westeurope (wave w2) from before: made outside any region,
	// then its Namespace was given a region.
	weu := newNamespace(t, nil)
	b := configMap(weu, "b", plan, shared)
	g.Expect(env.Client.Create(ctx, b)).To(Succeed())
	ctl, _ := clientAs(t, controllerUser)
	nsObj := &corev1.Namespace{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: weu}, nsObj)).To(Succeed())
	nsObj.Labels[wavegatev1alpha1.LabelRegion] = "g-westeurope"
	g.Expect(ctl.Update(ctx, nsObj)).To(Succeed())

	// The same payload now enters g-eastus (wave w1).
	east := newNamespace(t, nil)
	g.Expect(env.Client.Create(ctx, configMap(east, "a", inRegion("g-eastus"), plan, shared))).To(Succeed())
	g.Eventually(func(g Gomega) {
		err := env.Client.Create(ctx, configMap(weu, "probe", plan, shared), client.DryRunAll)
		g.Expect(err).To(MatchError(ContainSubstring("[wavegate:change-velocity]")), "the gate sees b's namespace in g-westeurope")
	}).Should(Succeed())

	t.Run("labels and annotations are not a change", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(b), b)).To(Succeed())
		b.Labels = map[string]string{"owner": "team-a"}
		b.Annotations["note"] = "reviewed"
		g.Expect(env.Client.Update(ctx, b)).To(Succeed())
	})
	t.Run("finalizers are not a change", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(b), b)).To(Succeed())
		b.Finalizers = []string{"example.com/keep"}
		g.Expect(env.Client.Update(ctx, b)).To(Succeed())
		b.Finalizers = nil
		g.Expect(env.Client.Update(ctx, b)).To(Succeed())
	})
	t.Run("a change of the payload is judged", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Create(ctx, configMap(east, "a2", inRegion("g-eastus"), plan, func(cm *corev1.ConfigMap) { cm.Data = map[string]string{"feature": "off"} }))).To(Succeed())
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(b), b)).To(Succeed())
		b.Data = map[string]string{"feature": "off"}
		expectDenied(g, env.Client.Update(ctx, b), "[wavegate:change-velocity] change "+shortHash(g, east, "a2")+" reached g-eastus 0s ago (wave w1, bake 1h); g-westeurope may follow after "+
			rfc3339(clock.Now().Add(time.Hour))+"; use a ConfigRollout")
	})
}

// shortHash is how messages name the change of a ConfigMap without a change id.
func shortHash(g Gomega, ns, name string) string {
	records := &wavegatev1alpha1.ChangeRecordList{}
	g.Expect(env.Client.List(context.Background(), records)).To(Succeed())
	for _, r := range records.Items {
		for _, e := range r.Spec.Entries {
			if e.Object == "ConfigMap "+ns+"/"+name {
				return strings.TrimPrefix(r.Spec.ChangeID, "sha256:")[:8] + "…"
			}
		}
	}
	g.Expect(name).To(BeEmpty(), "no record names %s/%s", ns, name)
	return ""
}

// withFreeze creates a Freeze and waits until the gate enforces it in
// region; the Freeze is deleted when the test ends.
func withFreeze(t *testing.T, frz *wavegatev1alpha1.Freeze, region string) {
	t.Helper()
	ctx := context.Background()
	g := NewWithT(t)
	g.Expect(env.Client.Create(ctx, frz)).To(Succeed())
	probeNS := newNamespace(t, nil)
	g.Eventually(func(g Gomega) {
		err := env.Client.Create(ctx, configMap(probeNS, "probe", inRegion(region)), client.DryRunAll)
		g.Expect(err).To(MatchError(ContainSubstring("[wavegate:freeze]")))
	}).Should(Succeed())
	t.Cleanup(func() {
		g := NewWithT(t)
		g.Expect(env.Client.Delete(ctx, frz)).To(Succeed())
		g.Eventually(func() error {
			return env.Client.Create(ctx, configMap(probeNS, "probe", inRegion(region)), client.DryRunAll)
		}).Should(Succeed())
	})
}

func TestAFreezeOfEveryRegionLeavesObjectsInNoRegionAlone(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	empty := newNamespace(t, nil)
	plain := configMap(ns, "plain")
	g.Expect(env.Client.Create(ctx, plain)).To(Succeed())
	withFreeze(t, Freeze("gate-everything", []string{"*"}, func(f *wavegatev1alpha1.Freeze) { f.Spec.Reason = "every region is on fire" }), "g-eastus")

	g.Expect(env.Client.Delete(ctx, plain)).To(Succeed(), "kubectl delete configmap in a namespace of no region")
	g.Expect(env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: empty}})).To(Succeed(),
		"a Namespace of no region, holding nothing protected")
	expectDenied(g, env.Client.Create(ctx, configMap(ns, "regional", inRegion("g-westus"))),
		"[wavegate:freeze] region g-westus is frozen by Freeze gate-everything: every region is on fire; wait for the freeze to end or use break-glass")
}

func TestRemovingFinalizersDuringAFreeze(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	held := func(name string) *corev1.ConfigMap {
		cm := configMap(ns, name, inRegion("g-westus"))
		cm.Finalizers = []string{"example.com/hold"}
		g.Expect(env.Client.Create(ctx, cm)).To(Succeed())
		g.Expect(env.Client.Delete(ctx, cm)).To(Succeed())
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm)).To(Succeed())
		g.Expect(cm.DeletionTimestamp).NotTo(BeNil())
		return cm
	}
	done, changed := held("done"), held("changed")
	withFreeze(t, Freeze("gate-westus", []string{"g-westus"}, func(f *wavegatev1alpha1.Freeze) { f.Spec.Reason = "West US network outage" }), "g-westus")

	operator, _ := clientAs(t, "system:serviceaccount:apps:operator")
	done.Finalizers = nil
	g.Expect(operator.Update(ctx, done)).To(Succeed(), "finishing a deletion is not a change")
	g.Expect(apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(done), done))).To(BeTrue())

	changed.Finalizers = nil
	changed.Data = map[string]string{"key": "sneaked in"}
	expectDenied(g, operator.Update(ctx, changed),
		"[wavegate:freeze] region g-westus is frozen by Freeze gate-westus: West US network outage; wait for the freeze to end or use break-glass")
	t.Cleanup(func() {
		g := NewWithT(t)
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(changed), changed)).To(Succeed())
		changed.Finalizers = nil
		g.Expect(env.Client.Update(ctx, changed)).To(Succeed())
	})
}

func deployment(ns, name string, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/" + name + ":1.0"}}},
			},
		},
	}
}

func scaleTo(c client.Client, d *appsv1.Deployment, replicas int32) error {
	return c.SubResource("scale").Update(context.Background(), d, client.WithSubResourceBody(&autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: d.Name}, Spec: autoscalingv1.ScaleSpec{Replicas: replicas},
	}))
}

func TestScalingARegionalWorkloadIsGatedLikeTheWorkload(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	regionalNS := newNamespace(t, map[string]string{wavegatev1alpha1.LabelRegion: "g-westeurope"})
	web := deployment(ns, "web", map[string]string{wavegatev1alpha1.LabelRegion: "g-westeurope"})
	plain := deployment(ns, "plain", nil)
	inside := deployment(regionalNS, "inside", nil)
	for _, d := range []*appsv1.Deployment{web, plain, inside} {
		g.Expect(env.Client.Create(ctx, d)).To(Succeed())
	}
	withFreeze(t, Freeze("gate-scale", []string{"g-westeurope"}, func(f *wavegatev1alpha1.Freeze) { f.Spec.Reason = "West Europe capacity incident" }), "g-westeurope")
	want := "[wavegate:freeze] region g-westeurope is frozen by Freeze gate-scale: West Europe capacity incident; wait for the freeze to end or use break-glass"

	g.Eventually(func(g Gomega) { expectDenied(g, scaleTo(env.Client, web, 5), want) }).Should(Succeed(),
		"kubectl scale of a Deployment labelled with a frozen region")
	expectDenied(g, scaleTo(env.Client, inside, 5), want)
	g.Expect(scaleTo(env.Client, plain, 5)).To(Succeed(), "a Deployment in no region")

	hpa, _ := clientAs(t, "system:serviceaccount:kube-system:horizontal-pod-autoscaler")
	g.Expect(scaleTo(hpa, web, 4)).To(Succeed(), "autoscaling goes on during a freeze")

	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(web), web)).To(Succeed())
	web.Status.ObservedGeneration = web.Generation
	g.Expect(env.Client.Status().Update(ctx, web)).To(Succeed(), "status is not gated")

	carol, warnings := clientAs(t, "carol", "wavegate:break-glass")
	g.Expect(scaleTo(carol, web, 6)).To(Succeed())
	g.Expect(warnings.Take()).To(ConsistOf(strings.Replace(want, "wait for the freeze to end or use break-glass", "admitted as break-glass for carol", 1)))

	t.Run("a label removed from the workload is forgotten", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(web), web)).To(Succeed())
		delete(web.Labels, wavegatev1alpha1.LabelRegion)
		g.Expect(carol.Update(ctx, web)).To(Succeed())
		g.Eventually(func() error { return scaleTo(env.Client, web, 2) }).Should(Succeed())
	})
}

func automationCondition(g Gomega) string {
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: gateConfiguration}, cfg)).To(Succeed())
	for _, w := range cfg.Webhooks {
		if w.Name != webhookconfig.WebhookDeleteAutomation {
			continue
		}
		for _, c := range w.MatchConditions {
			if c.Name == webhookconfig.AutomationConditionName {
				return c.Expression
			}
		}
	}
	g.Expect("the delete-automation condition").To(BeEmpty(), "is missing")
	return ""
}

func TestTheGateKnowsDeleteAutomationByTheIdentitiesOfThePolicies(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	for _, name := range []string{"untagged", "untagged-2"} {
		g.Expect(env.Client.Create(ctx, configMap(ns, name))).To(Succeed())
	}
	policy := Policy("gate-sync", []string{"g-eastus"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"sync-auto/cleaner"}
		p.Spec.Identities.Groups = []string{"sync-cleaners"}
		p.Spec.Scope.Namespaces = []string{ns}
	})
	g.Expect(env.Client.Create(ctx, policy)).To(Succeed())
	g.Eventually(automationCondition).Should(And(ContainSubstring(`"system:serviceaccount:sync-auto:cleaner"`), ContainSubstring(`"sync-cleaners"`)))

	cleaner, _ := clientAs(t, "system:serviceaccount:sync-auto:cleaner")
	g.Eventually(func(g Gomega) {
		expectDeniedWith(g, cleaner.Delete(ctx, configMap(ns, "untagged")), fmt.Sprintf(
			"[wavegate:protected-delete] ConfigMap %s/untagged is not tagged wavegate.io/protection=deletable; automation may not delete it", ns))
	}).Should(Succeed(), "automation's delete of an untagged object in a namespace of no region is judged")
	alice, _ := clientAs(t, "alice")
	g.Expect(alice.Delete(ctx, configMap(ns, "untagged-2"))).To(Succeed())

	t.Run("a configuration applied again is brought up to date", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: gateConfiguration}, cfg)).To(Succeed())
			g.Expect(webhookconfig.SetAutomation(cfg, nil)).To(BeTrue())
			g.Expect(env.Client.Update(ctx, cfg)).To(Succeed())
		}).Should(Succeed())
		g.Eventually(automationCondition).Should(ContainSubstring("sync-auto:cleaner"))
	})
	t.Run("a policy deleted takes its identities away", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Delete(ctx, policy)).To(Succeed())
		g.Eventually(automationCondition).ShouldNot(ContainSubstring("sync-auto:cleaner"))
	})
}
