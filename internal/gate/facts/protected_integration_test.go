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

package facts_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	ctrl "sigs.k8s.io/controller-runtime"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/access"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// TestTheProtectionScanSeesEveryKindItMayListAndNamesTheRest: protected
// objects of any kind Wavegate may list are found in their Namespace, not
// only those of a fixed list; a kind it may not list is named as unseen.
// The API server's own authorizer answers; here Secrets are refused to it.
func TestTheProtectionScanSeesEveryKindItMayListAndNamesTheRest(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(env.Stop()).To(Succeed()) }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "scan"}}
	g.Expect(env.Client.Create(ctx, ns)).To(Succeed())
	protected := map[string]string{wavegatev1alpha1.LabelProtection: wavegatev1alpha1.ProtectionProtected}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "scan", Name: "front", Labels: protected},
		Spec: networkingv1.IngressSpec{DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: "front", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}
	g.Expect(env.Client.Create(ctx, ing)).To(Succeed())
	g.Expect(env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "scan", Name: "key", Labels: protected}})).To(Succeed())
	g.Expect(env.Client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "scan", Name: "scratch",
		Labels: map[string]string{wavegatev1alpha1.LabelProtection: wavegatev1alpha1.ProtectionDeletable}}})).To(Succeed())

	ix := facts.NewIndex()
	scan := &facts.ProtectionScan{
		Discovery: discovery.NewDiscoveryClientForConfigOrDie(env.Config),
		Metadata:  metadata.NewForConfigOrDie(env.Config),
		Access: func(ctx context.Context, gr schema.GroupResource) (bool, error) {
			if gr == (schema.GroupResource{Resource: "secrets"}) {
				return false, nil
			}
			return access.MayListAndWatch(ctx, env.Client, gr)
		},
		Mapper: env.Client.RESTMapper(), Index: ix, Interval: time.Hour, Log: ctrl.Log,
	}
	go func() { _ = scan.Start(ctx) }()
	g.Eventually(scan.Synced).WithTimeout(30 * time.Second).Should(BeTrue())

	b := &facts.Builder{Index: ix, Now: time.Now, BreakGlassGroup: "wavegate:break-glass"}
	in := b.Build(&facts.Request{Operation: "DELETE", Kind: "Namespace", Resource: "namespaces", Name: "scan", User: "alice"}, nil)
	g.Expect(in.ProtectedInside).To(Equal([]string{"Ingress scan/front"}), "a kind outside any fixed list, and not the deletable ConfigMap")
	g.Expect(in.UnseenKinds).To(Equal([]string{"secrets"}))
	g.Expect(in.UnseenKinds).NotTo(ContainElement("pods"), "Pods are never gated")

	// A chain of owner references through an untagged object: the scan
	// has no informer for it, so it reads it.
	top := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "scan", Name: "top"}}
	g.Expect(env.Client.Create(ctx, top)).To(Succeed())
	middle := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "scan", Name: "middle", OwnerReferences: []metav1.OwnerReference{ownedBy(top)}}}
	g.Expect(env.Client.Create(ctx, middle)).To(Succeed())
	bottom := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "scan", Name: "bottom", Labels: protected, OwnerReferences: []metav1.OwnerReference{ownedBy(middle)}}}
	g.Expect(env.Client.Create(ctx, bottom)).To(Succeed())
	deleteTop := func() []string {
		return b.Build(&facts.Request{Operation: "DELETE", Kind: "ConfigMap", Resource: "configmaps", Namespace: "scan", Name: "top",
			User: "alice", OldObject: &facts.Object{UID: string(top.UID)}}, nil).ProtectedDependents
	}
	g.Eventually(deleteTop).WithTimeout(30*time.Second).Should(Equal([]string{"ConfigMap scan/bottom"}),
		"deleting top deletes middle, and with it the protected bottom")
}

func ownedBy(o metav1.Object) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: o.GetName(), UID: o.GetUID()}
}
