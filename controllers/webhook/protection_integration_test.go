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
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// TestDeleteAutomationMayNotLowerProtectionNorDeleteANamespace: an
// automation identity cannot relabel a protected object deletable (and then
// delete it), and cannot delete a Namespace, even one labelled deletable:
// what it holds cannot be known to be deletable. The objects name no region,
// so only the protection rules can stop this.
func TestDeleteAutomationMayNotLowerProtectionNorDeleteANamespace(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	g.Expect(env.Client.Create(ctx, Policy("gate-relabeller", []string{"g-eastus"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"gate-auto/relabeller"}
	}))).To(Succeed())
	keep := configMap(ns, "keep", protectedAs(wavegatev1alpha1.ProtectionProtected))
	g.Expect(env.Client.Create(ctx, keep)).To(Succeed())
	bot, _ := clientAs(t, "system:serviceaccount:gate-auto:relabeller", "system:serviceaccounts")

	lower := func(to string) error {
		cm := &corev1.ConfigMap{}
		if err := bot.Get(ctx, client.ObjectKeyFromObject(keep), cm); err != nil {
			return err
		}
		if to == "" {
			delete(cm.Labels, wavegatev1alpha1.LabelProtection)
		} else {
			cm.Labels[wavegatev1alpha1.LabelProtection] = to
		}
		return bot.Update(ctx, cm)
	}
	g.Eventually(func(g Gomega) string {
		return conditionOf(g, webhookconfig.WebhookProtectionLowered, webhookconfig.AutomationConditionName)
	}).
		Should(ContainSubstring(`"system:serviceaccount:gate-auto:relabeller"`), "the gate's configuration knows the identity")
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(keep), &corev1.ConfigMap{})).To(Succeed())
		expectDenied(g, lower(wavegatev1alpha1.ProtectionDeletable), fmt.Sprintf("[wavegate:protected-delete] ConfigMap %s/keep is labelled wavegate.io/protection=protected; "+
			"automation may not change it to labelled wavegate.io/protection=deletable; a human must change its protection", ns))
	}).WithTimeout(5 * time.Second).Should(Succeed())
	expectDenied(g, lower(""), fmt.Sprintf("[wavegate:protected-delete] ConfigMap %s/keep is labelled wavegate.io/protection=protected; "+
		"automation may not change it to untagged; a human must change its protection", ns))

	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(nsObj), nsObj)).To(Succeed())
	nsObj.Labels[wavegatev1alpha1.LabelProtection] = wavegatev1alpha1.ProtectionDeletable
	g.Expect(env.Client.Update(ctx, nsObj)).To(Succeed())
	expectDeniedWith(g, bot.Delete(ctx, nsObj), fmt.Sprintf("[wavegate:protected-delete] Namespace %s may hold objects of any kind that are not tagged wavegate.io/protection=deletable "+
		"and holds objects not tagged deletable (ConfigMap %s/keep); automation may not delete a Namespace; let it delete the deletable objects inside, and a human the Namespace", ns, ns))
}

// conditionOf is the expression of one match condition of one entry of the
// gate's configuration in the cluster.
func conditionOf(g Gomega, webhook, condition string) string {
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: gateConfiguration}, cfg)).To(Succeed())
	for _, w := range cfg.Webhooks {
		for _, c := range w.MatchConditions {
			if w.Name == webhook && c.Name == condition {
				return c.Expression
			}
		}
	}
	g.Expect(webhook+" "+condition).To(BeEmpty(), "is missing")
	return ""
}

// TestOnlyExactlyDeletableIsDeletable: a mistyped protection value counts as
// protected, and the gate warns about it when it is written.
func TestOnlyExactlyDeletableIsDeletable(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	alice, warnings := clientAs(t, "alice")
	typo := configMap(ns, "typo", protectedAs("Protected"))
	g.Expect(alice.Create(ctx, typo)).To(Succeed())
	g.Expect(warnings.Take()).To(ConsistOf(fmt.Sprintf("[wavegate:protected-delete] ConfigMap %s/typo is labelled wavegate.io/protection=Protected, "+
		"which is neither protected nor deletable and counts as protected; label it exactly protected or deletable", ns)))

	expectDenied(g, alice.Delete(ctx, typo), fmt.Sprintf("[wavegate:protected-delete] ConfigMap %s/typo is labelled wavegate.io/protection=Protected, "+
		"which counts as protected; have a human label it wavegate.io/protection=deletable first, or use break-glass", ns))

	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	g.Eventually(func(g Gomega) {
		expectDenied(g, alice.Delete(ctx, nsObj), fmt.Sprintf("[wavegate:protected-delete] Namespace %s contains protected objects (ConfigMap %s/typo); "+
			"delete or relabel them first, or use break-glass", ns, ns))
	}).Should(Succeed(), "the typo protects the Namespace too")
}
