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

package failclosed

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
)

// gateName is the gate's configuration as config/webhook installs it.
const gateName = "gate"

func gate(g Gomega) *admissionregistrationv1.ValidatingWebhookConfiguration {
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: gateName}, cfg)).To(Succeed())
	return cfg
}

// probe is a request the gate receives whatever it is configured with.
func probe() error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "probe", Labels: map[string]string{wavegatev1alpha1.LabelRegion: "eastus"}}}
	return env.Client.Create(context.Background(), cm, client.DryRunAll)
}

// withGateOpen runs fn while the gate's entries fail open, to create what
// the gate would otherwise refuse with no replica serving.
func withGateOpen(t *testing.T, fn func()) {
	t.Helper()
	g := NewWithT(t)
	setFailurePolicy := func(p admissionregistrationv1.FailurePolicyType) {
		g.Eventually(func(g Gomega) {
			cfg := gate(g)
			for i := range cfg.Webhooks {
				cfg.Webhooks[i].FailurePolicy = &p
			}
			g.Expect(env.Client.Update(context.Background(), cfg)).To(Succeed())
		}).Should(Succeed())
	}
	setFailurePolicy(admissionregistrationv1.Ignore)
	g.Eventually(probe).Should(Succeed(), "the API server applies the open configuration")
	defer func() {
		setFailurePolicy(admissionregistrationv1.Fail)
		g.Eventually(probe).ShouldNot(Succeed(), "the API server applies the closed configuration")
	}()
	fn()
}

// syncAutomation writes the identities into the gate's configuration, as the
// leader's controller does, and waits until the API server applies them.
func syncAutomation(t *testing.T, a *webhookconfig.Automation) {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		cfg := gate(g)
		if webhookconfig.SetAutomation(cfg, a) {
			g.Expect(env.Client.Update(context.Background(), cfg)).To(Succeed())
		}
	}).Should(Succeed())
}

func deployment(ns, name string, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1.0"}}},
			},
		},
	}
}

// TestTheAPIServerSendsTheGateWhatGatedSays runs requests against a cluster
// in which every replica is down after Wavegate had synced its
// delete-automation identities: a request fails ("failed calling webhook")
// exactly when the gate would have judged it. Each case's expected answer is
// also what webhookconfig.Gated, which `wavegate check` uses, says.
func TestTheAPIServerSendsTheGateWhatGatedSays(t *testing.T) {
	ctx := context.Background()
	g := NewWithT(t)
	region := map[string]string{wavegatev1alpha1.LabelRegion: "eastus"}
	cm := func(ns, name string, labels, annotations map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations}, Data: map[string]string{"k": name}}
	}
	withGateOpen(t, func() {
		for _, o := range []client.Object{
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fc-plain"}},
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fc-east", Labels: region}},
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fc-doomed"}},
			cm("fc-plain", "untagged", nil, nil),
			cm("fc-plain", "protected", map[string]string{wavegatev1alpha1.LabelProtection: wavegatev1alpha1.ProtectionProtected}, nil),
			cm("fc-plain", "deletable", map[string]string{wavegatev1alpha1.LabelProtection: wavegatev1alpha1.ProtectionDeletable}, nil),
			cm("fc-plain", "regional", region, nil),
			cm("fc-plain", "global", nil, map[string]string{wavegatev1alpha1.AnnotationRegions: "*"}),
			cm("fc-east", "inside", nil, nil),
			deployment("fc-plain", "web", region),
			deployment("fc-plain", "plain-web", nil),
			deployment("fc-east", "east-web", nil),
		} {
			g.Expect(env.Client.Create(ctx, o)).To(Succeed(), "%s", o.GetName())
		}
		held := cm("fc-plain", "finalizing", region, nil)
		held.Finalizers = []string{"example.com/hold"}
		g.Expect(env.Client.Create(ctx, held)).To(Succeed())
		g.Expect(env.Client.Delete(ctx, held)).To(Succeed())
	})
	automation := &webhookconfig.Automation{Users: []string{"system:serviceaccount:auto:cleaner"}, Groups: []string{"cleaners"}}
	syncAutomation(t, automation)
	t.Cleanup(func() { syncAutomation(t, nil) })
	g.Eventually(func() error { return env.Client.Delete(ctx, cm("fc-plain", "untagged", nil, nil), client.DryRunAll) }).Should(Succeed(),
		"the API server applies the identities")

	get := func(obj client.Object) client.Object {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		return obj
	}
	type request struct {
		name     string
		user     string
		groups   []string
		op       string
		sub      string
		resource string
		obj      client.Object // the object of a create, the stored one of an update or delete
		change   func(client.Object)
		want     bool
	}
	addAnnotation := func(o client.Object) { o.SetAnnotations(map[string]string{"note": "x"}) }
	dropFinalizers := func(o client.Object) { o.SetFinalizers(nil) }
	dropFinalizersAndData := func(o client.Object) {
		o.SetFinalizers(nil)
		o.(*corev1.ConfigMap).Data = map[string]string{"k": "other"}
	}
	cases := []request{
		{name: "a human deletes an untagged object in a namespace without a region", user: "alice", op: "DELETE", obj: cm("fc-plain", "untagged", nil, nil), want: false},
		{name: "a human deletes a deletable object", user: "alice", op: "DELETE", obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "deletable"}}), want: false},
		{name: "delete automation deletes an untagged object", user: "system:serviceaccount:auto:cleaner", op: "DELETE", obj: cm("fc-plain", "untagged", nil, nil), want: true},
		{name: "delete automation by group", user: "bot", groups: []string{"cleaners"}, op: "DELETE", obj: cm("fc-plain", "untagged", nil, nil), want: true},
		{name: "a human deletes a protected object", user: "alice", op: "DELETE", obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "protected"}}), want: true},
		{name: "a human deletes a regional object", user: "alice", op: "DELETE", obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "regional"}}), want: true},
		{name: "a human deletes an object for every region", user: "alice", op: "DELETE", obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "global"}}), want: true},
		{name: "a human deletes in a regional namespace", user: "alice", op: "DELETE", obj: cm("fc-east", "inside", nil, nil), want: true},
		{name: "a human deletes a Namespace", user: "alice", op: "DELETE", resource: "namespaces", obj: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fc-doomed"}}, want: true},
		{name: "the namespace controller deletes", user: "system:serviceaccount:kube-system:namespace-controller", op: "DELETE", obj: cm("fc-east", "inside", nil, nil), want: false},
		{name: "the controller manager deletes a regional object", user: "system:kube-controller-manager", op: "DELETE",
			obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "regional"}}), want: false},
		{name: "the controller manager creates a regional object", user: "system:kube-controller-manager", op: "CREATE", obj: cm("fc-plain", "kcm", region, nil), want: false},
		{name: "the root CA publisher in a regional namespace", user: "system:serviceaccount:kube-system:root-ca-cert-publisher", op: "CREATE",
			obj: cm("fc-east", "kube-root-ca.crt", nil, nil), want: false},
		{name: "a human creates a regional object", user: "alice", op: "CREATE", obj: cm("fc-plain", "new-regional", region, nil), want: true},
		{name: "a human creates an object in no region", user: "alice", op: "CREATE", obj: cm("fc-plain", "new-plain", nil, nil), want: false},
		{name: "a human updates only an annotation of a regional object", user: "alice", op: "UPDATE",
			obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "regional"}}), change: addAnnotation, want: true},
		{name: "removing a finalizer from a regional object being deleted", user: "alice", op: "UPDATE",
			obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "finalizing"}}), change: dropFinalizers, want: false},
		{name: "removing a finalizer and changing the data", user: "alice", op: "UPDATE",
			obj: get(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "finalizing"}}), change: dropFinalizersAndData, want: true},
		{name: "a human scales a regional Deployment", user: "alice", op: "UPDATE", sub: "scale", resource: "deployments",
			obj: get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "web"}}), want: true},
		{name: "a human scales a Deployment the API server cannot tell from a regional one", user: "alice", op: "UPDATE", sub: "scale", resource: "deployments",
			obj: get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-plain", Name: "plain-web"}}), want: true},
		{name: "the autoscaler scales in a regional namespace", user: "system:serviceaccount:kube-system:horizontal-pod-autoscaler", op: "UPDATE", sub: "scale", resource: "deployments",
			obj: get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-east", Name: "east-web"}}), want: false},
		{name: "a human scales in a regional namespace", user: "alice", op: "UPDATE", sub: "scale", resource: "deployments",
			obj: get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-east", Name: "east-web"}}), want: true},
		{name: "a status update in a regional namespace", user: "alice", op: "UPDATE", sub: "status", resource: "deployments",
			obj: get(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "fc-east", Name: "east-web"}}), want: false},
	}
	opts := webhookconfig.Options{Namespace: "wavegate-system", Automation: automation}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			cfg := rest.CopyConfig(env.Config)
			cfg.Impersonate = rest.ImpersonationConfig{UserName: c.user, Groups: append([]string{"system:masters"}, c.groups...)}
			cl, err := client.New(cfg, client.Options{Scheme: env.Scheme})
			g.Expect(err).NotTo(HaveOccurred())

			resource, group := c.resource, ""
			if resource == "" {
				resource = "configmaps"
			}
			if resource == "deployments" {
				group = "apps"
			}
			a := webhookconfig.Request{Operation: c.op, Group: group, Version: "v1", Resource: resource, SubResource: c.sub,
				Namespace: c.obj.GetNamespace(), Name: c.obj.GetName(), User: c.user, Groups: c.groups}
			if c.obj.GetNamespace() == "fc-east" {
				a.NamespaceLabels = map[string]string{wavegatev1alpha1.LabelRegion: "eastus"}
			}
			if resource == "namespaces" {
				a.NamespaceLabels = c.obj.GetLabels()
			}
			obj := c.obj.DeepCopyObject().(client.Object)
			switch {
			case c.op == "CREATE":
				a.Object = asMap(g, obj)
				err = cl.Create(ctx, obj, client.DryRunAll)
			case c.op == "DELETE":
				a.OldObject = asMap(g, obj)
				err = cl.Delete(ctx, obj, client.DryRunAll)
			case c.sub == "scale":
				scale := &autoscalingv1.Scale{
					ObjectMeta: metav1.ObjectMeta{Namespace: obj.GetNamespace(), Name: obj.GetName()}, Spec: autoscalingv1.ScaleSpec{Replicas: 3},
				}
				a.Object, a.OldObject = asMap(g, scale), asMap(g, scale)
				err = cl.SubResource("scale").Update(ctx, obj, client.WithSubResourceBody(scale), client.DryRunAll)
			case c.sub == "status":
				obj.(*appsv1.Deployment).Status.ObservedGeneration = 7
				a.Object, a.OldObject = asMap(g, obj), asMap(g, c.obj)
				err = cl.Status().Update(ctx, obj, client.DryRunAll)
			default:
				c.change(obj)
				a.Object, a.OldObject = asMap(g, obj), asMap(g, c.obj)
				err = cl.Update(ctx, obj, client.DryRunAll)
			}
			gated := err != nil && strings.Contains(err.Error(), "failed calling webhook")
			g.Expect(err == nil || gated).To(BeTrue(), "the API server refused for another reason: %v", err)
			g.Expect(gated).To(Equal(c.want), "the API server %s the gate: %v", map[bool]string{true: "called", false: "did not call"}[gated], err)
			g.Expect(webhookconfig.Gated(opts, a)).To(Equal(c.want), "wavegate check's mirror disagrees")
		})
	}

	t.Run("with every replica down, finalization completes", func(t *testing.T) {
		g := NewWithT(t)
		held := &corev1.ConfigMap{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "fc-plain", Name: "finalizing"}, held)).To(Succeed())
		held.Finalizers = nil
		g.Expect(env.Client.Update(ctx, held)).To(Succeed())
		g.Expect(apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(held), held))).To(BeTrue())
	})
}

// asMap is an object as the API server hands it to match conditions.
func asMap(g Gomega, obj runtime.Object) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	g.Expect(err).NotTo(HaveOccurred())
	return m
}
