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
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/check"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var (
	env *testenv.Env
	now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

const controllerUser = "wavegate-controller"

// Only the webhooks run: the fixture's rollout and policy status is written
// by the test, as the controllers would.
func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.Defaults()
		opts.Now = func() time.Time { return now }
		opts.ControllerUser = controllerUser
		opts.AutomationScanResources = "configmaps"
		opts.GateConfiguration = "gate"
		return errors.Join(setup.Webhooks(mgr, opts), setup.AutomationIdentities(mgr, opts))
	}))
}

type op int

const (
	create op = iota
	update
	remove
)

type parityCase struct {
	name   string
	user   string
	groups []string
	op     op
	obj    client.Object
}

func cm(ns, name string, labels, annotations map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations},
		Data:       map[string]string{"name": ns + "/" + name},
	}
}

func region(r string) map[string]string { return map[string]string{wavegatev1alpha1.LabelRegion: r} }

func protection(p string, extra map[string]string) map[string]string {
	l := map[string]string{wavegatev1alpha1.LabelProtection: p}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

func ann(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// namespace carries no change id: a Namespace carries no change at all, so
// region-labelled Namespaces in several regions are no velocity violation.
func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// deployment is a Deployment manifest as written by hand: none of the
// fields the API server defaults (strategy, revisionHistoryLimit, the pod's
// restartPolicy, dnsPolicy, a container's terminationMessagePath...).
func deployment(ns, name string, labels map[string]string) *appsv1.Deployment {
	app := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: app},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
}

// fixture builds the state every case is judged against, in the live cluster.
func fixture(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	for _, r := range []*wavegatev1alpha1.Region{Region("p-east"), Region("p-west", PairedWith("p-east")), Region("p-central"), Region("p-weu")} {
		g.Expect(env.Client.Create(ctx, r)).To(Succeed())
	}
	g.Expect(env.Client.Create(ctx, WavePlan("default", Wave("w1", "p-east"), Wave("w2", "p-weu", "p-central"), Wave("w3", "p-west")))).To(Succeed())
	for name, east := range map[string]wavegatev1alpha1.RegionState{"p-keys": wavegatev1alpha1.RegionPinned, "p-ok": wavegatev1alpha1.RegionConverged} {
		g.Expect(env.Client.Create(ctx, Rollout(name))).To(Succeed())
		ro := &wavegatev1alpha1.ConfigRollout{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: name}, ro)).To(Succeed())
		eastVersion := "1.9.3"
		if east == wavegatev1alpha1.RegionConverged {
			eastVersion = ro.Spec.Version
		}
		// Status for the current generation: convergence counts only then.
		ro.Status.ObservedGeneration = ro.Generation
		ro.Status.Regions = []wavegatev1alpha1.RolloutRegionStatus{
			{Name: "p-east", State: east, ObservedVersion: eastVersion, Message: "hold"},
			{Name: "p-west", State: wavegatev1alpha1.RegionConverged, ObservedVersion: ro.Spec.Version},
		}
		g.Expect(env.Client.Status().Update(ctx, ro)).To(Succeed())
	}
	for name, untagged := range map[string]int32{"p-cleanup": 0, "p-broken": 2} {
		p := Policy(name, []string{"p-east"}, func(p *wavegatev1alpha1.AutomationPolicy) {
			p.Spec.Identities.ServiceAccounts = []string{"auto/" + strings.TrimPrefix(name, "p-")}
			p.Spec.Scope.Namespaces = []string{"p-auto"}
			p.Spec.Scope.Resources = []wavegatev1alpha1.GroupResource{{Resource: "configmaps"}}
		})
		g.Expect(env.Client.Create(ctx, p)).To(Succeed())
		p.Status.ObservedGeneration = p.Generation
		p.Status.UntaggedCount = untagged
		status := metav1.ConditionTrue
		if untagged > 0 {
			status = metav1.ConditionFalse
		}
		p.Status.Conditions = []metav1.Condition{{Type: wavegatev1alpha1.ConditionReady, Status: status, Reason: "Scanned", Message: "scanned", LastTransitionTime: metav1.NewTime(now)}}
		g.Expect(env.Client.Status().Update(ctx, p)).To(Succeed())
	}
	objs := []client.Object{
		namespace("p-app", nil), namespace("p-ns-central", region("p-central")), namespace("p-auto", region("p-east")), namespace("p-east-ns", region("p-east")),
		cm("p-app", "old-central", region("p-central"), nil),
		cm("p-app", "protected-cm", protection("protected", nil), nil),
		cm("p-app", "plain", nil, nil),
		cm("p-app", "west-del", protection("deletable", region("p-west")), nil),
		cm("p-auto", "del-ok", protection("deletable", nil), nil),
		cm("p-auto", "untagged", nil, nil),
		cm("p-east-ns", "existing", nil, nil),
		cm("p-app", "vel-east", region("p-east"), ann(wavegatev1alpha1.AnnotationChangeID, "vel-1")),
		cm("kube-system", "sys", region("p-central"), nil),
		// Issue 12: protection typos, protected objects in automation's
		// scope, a Namespace labelled deletable, a change by its payload.
		cm("p-app", "typo", protection("Protected", nil), nil),
		cm("p-auto", "keep", protection("protected", nil), nil),
		cm("p-auto", "typo-del", protection("Deletable", nil), nil),
		namespace("p-deletable", protection("deletable", region("p-east"))),
		cm("p-deletable", "tmp", protection("deletable", nil), nil),
		deployment("p-app", "web", region("p-east")),
	}
	for _, o := range objs {
		g.Eventually(func() error { return env.Client.Create(ctx, o) }).Should(Succeed(), "%s", o.GetName())
	}
	// A chain of owners: deleting chain-top deletes chain-middle (tagged
	// deletable), whose garbage collection deletes the protected
	// chain-bottom (§11 S3).
	var owner client.Object
	for _, o := range []*corev1.ConfigMap{
		cm("p-east-ns", "chain-top", nil, nil),
		cm("p-east-ns", "chain-middle", protection("deletable", nil), nil),
		cm("p-east-ns", "chain-bottom", protection("protected", nil), nil),
	} {
		if owner != nil {
			o.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.GetName(), UID: owner.GetUID()}}
		}
		g.Expect(env.Client.Create(ctx, o)).To(Succeed(), "%s", o.GetName())
		owner = o
	}
	// The freeze comes last: it would deny creating the fixture in p-central.
	g.Expect(env.Client.Create(ctx, Freeze("p-freeze", []string{"p-central"}, func(f *wavegatev1alpha1.Freeze) {
		f.Spec.Ticket = "INC-7"
		f.Spec.Exemptions.Groups = []string{"oncall"}
	}))).To(Succeed())
}

func cases() []parityCase {
	alice := func(c parityCase) parityCase { c.user = "alice"; return c }
	regions := wavegatev1alpha1.AnnotationRegions
	requires := wavegatev1alpha1.AnnotationRequires
	changeID := wavegatev1alpha1.AnnotationChangeID
	lease := &coordinationv1.Lease{TypeMeta: metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "p-app", Name: "leader", Labels: region("p-central")}}
	cs := []parityCase{
		alice(parityCase{name: "an unlabelled ConfigMap", obj: cm("p-app", "c1", nil, nil)}),
		alice(parityCase{name: "a new change in one region", obj: cm("p-app", "c2", region("p-east"), nil)}),
		alice(parityCase{name: "a change in a frozen region", obj: cm("p-app", "c3", region("p-central"), nil)}),
		{name: "an exempt group in a frozen region", user: "bob", groups: []string{"oncall"}, obj: cm("p-app", "c4", region("p-central"), nil)},
		{name: "the global break-glass group", user: "carol", groups: []string{"wavegate:break-glass"}, obj: cm("p-app", "c5", region("p-central"), nil)},
		alice(parityCase{name: "a namespace label in a frozen region", obj: cm("p-ns-central", "c6", nil, nil)}),
		alice(parityCase{name: "an unknown region", obj: cm("p-app", "c7", region("chinaeast9"), nil)}),
		alice(parityCase{name: "every region at once", obj: cm("p-app", "c8", nil, ann(regions, "*"))}),
		alice(parityCase{name: "two regions at once", obj: cm("p-app", "c9", nil, ann(regions, "p-east,p-west"))}),
		alice(parityCase{name: "one region by annotation", obj: cm("p-app", "c10", nil, ann(regions, "p-east"))}),
		{name: "the controller for two regions", user: controllerUser, obj: cm("p-app", "c11", nil, ann(regions, "p-east,p-west"))},
		alice(parityCase{name: "requires a pinned rollout", obj: cm("p-app", "c12", region("p-east"), ann(requires, "p-keys"))}),
		alice(parityCase{name: "requires a converged rollout", obj: cm("p-app", "c13", region("p-east"), ann(requires, "p-ok"))}),
		alice(parityCase{name: "requires a missing rollout", obj: cm("p-app", "c14", region("p-east"), ann(requires, "p-none"))}),
		alice(parityCase{name: "a change into a later wave before the bake", obj: cm("p-app", "c15", region("p-weu"), ann(changeID, "vel-1"))}),
		alice(parityCase{name: "a change into the failover pair", obj: cm("p-app", "c16", region("p-west"), ann(changeID, "vel-1"))}),
		alice(parityCase{name: "the same change where it already is", obj: cm("p-app", "c17", region("p-east"), ann(changeID, "vel-1"))}),
		alice(parityCase{name: "a new change in a later wave", obj: cm("p-app", "c18", region("p-weu"), ann(changeID, "vel-2"))}),
		{name: "the controller in a frozen region", user: controllerUser, obj: cm("p-app", "c19", region("p-central"), nil)},
		alice(parityCase{name: "kube-system is not gated", obj: cm("kube-system", "c20", region("p-central"), nil)}),
		alice(parityCase{name: "Leases are not gated", obj: lease}),
		alice(parityCase{name: "no plan named by the object", obj: cm("p-app", "c22", region("p-east"), ann(changeID, "vel-3", wavegatev1alpha1.AnnotationPlan, "nope"))}),
		alice(parityCase{name: "a namespace in a frozen region", obj: namespace("p-new-central", region("p-central"))}),
		alice(parityCase{name: "an unlabelled namespace", obj: namespace("p-new", nil)}),
		alice(parityCase{name: "a namespace in another region", obj: namespace("p-new-weu", region("p-weu"))}),
		{name: "the controller manager publishes the root CA in a regional namespace", user: "system:kube-controller-manager",
			obj: cm("p-east-ns", "kube-root-ca.crt", nil, nil)},
		{name: "the controller manager in a frozen region", user: "system:kube-controller-manager", obj: cm("p-app", "c25", region("p-central"), nil)},
		{name: "a kube-system service account in a frozen namespace", user: "system:serviceaccount:kube-system:root-ca-cert-publisher",
			obj: cm("p-ns-central", "kube-root-ca.crt", nil, nil)},
		// Updates
		alice(parityCase{name: "removing the region label", op: update, obj: cm("p-app", "old-central", nil, nil)}),
		alice(parityCase{name: "changing data in a frozen region", op: update, obj: func() client.Object {
			c := cm("p-app", "old-central", region("p-central"), nil)
			c.Data["more"] = "x"
			return c
		}()}),
		alice(parityCase{name: "changing data in a namespace's region", op: update, obj: func() client.Object {
			c := cm("p-east-ns", "existing", nil, nil)
			c.Data["more"] = "x"
			return c
		}()}),
		alice(parityCase{name: "adding a frozen region label", op: update, obj: cm("p-app", "plain", region("p-central"), nil)}),
		alice(parityCase{name: "adding every region", op: update, obj: cm("p-app", "plain", nil, ann(regions, "*"))}),
		alice(parityCase{name: "adding an unknown region", op: update, obj: cm("p-app", "plain", region("chinaeast9"), nil)}),
		{name: "break-glass update in a frozen region", user: "bob", groups: []string{"oncall"}, op: update, obj: cm("p-app", "old-central", nil, nil)},
		alice(parityCase{name: "adding requires of a pinned rollout", op: update, obj: cm("p-east-ns", "existing", nil, ann(requires, "p-keys"))}),
		alice(parityCase{name: "relabelling an object in a frozen region", op: update, obj: cm("p-app", "old-central", protection("deletable", region("p-central")), nil)}),
		alice(parityCase{name: "annotating an object where its change already is", op: update, obj: cm("p-app", "vel-east", region("p-east"), ann(changeID, "vel-1", "note", "x"))}),
		// Deletes
		alice(parityCase{name: "deleting a protected object", op: remove, obj: cm("p-app", "protected-cm", nil, nil)}),
		{name: "break-glass delete of a protected object", user: "carol", groups: []string{"wavegate:break-glass"}, op: remove, obj: cm("p-app", "protected-cm", nil, nil)},
		alice(parityCase{name: "deleting an untagged object", op: remove, obj: cm("p-app", "plain", nil, nil)}),
		alice(parityCase{name: "deleting the owner of the owner of a protected object", op: remove, obj: cm("p-east-ns", "chain-top", nil, nil)}),
		alice(parityCase{name: "deleting a namespace with a protected object", op: remove, obj: namespace("p-app", nil)}),
		{name: "automation deletes a deletable object in scope", user: "system:serviceaccount:auto:cleanup", op: remove, obj: cm("p-auto", "del-ok", nil, nil)},
		{name: "automation deletes an untagged object", user: "system:serviceaccount:auto:cleanup", op: remove, obj: cm("p-auto", "untagged", nil, nil)},
		alice(parityCase{name: "deleting in a frozen region", op: remove, obj: cm("p-app", "old-central", nil, nil)}),
		{name: "automation whose policy is not Ready", user: "system:serviceaccount:auto:broken", op: remove, obj: cm("p-auto", "del-ok", nil, nil)},
		{name: "automation outside its scope", user: "system:serviceaccount:auto:cleanup", op: remove, obj: cm("p-app", "west-del", nil, nil)},
		{name: "automation deletes an unregional untagged object", user: "system:serviceaccount:auto:cleanup", op: remove, obj: cm("p-app", "plain", nil, nil)},
		{name: "automation in kube-system is not gated", user: "system:serviceaccount:auto:cleanup", op: remove, obj: cm("kube-system", "sys", nil, nil)},
		{name: "the garbage collector is not judged", user: "system:serviceaccount:kube-system:generic-garbage-collector", op: remove, obj: cm("p-app", "protected-cm", nil, nil)},
		{name: "the controller manager deletes a protected object", user: "system:kube-controller-manager", op: remove, obj: cm("p-app", "protected-cm", nil, nil)},
		alice(parityCase{name: "deleting a deletable object in a regional namespace", op: remove, obj: cm("p-auto", "del-ok", nil, nil)}),
		alice(parityCase{name: "deleting a namespace that holds nothing protected", op: remove, obj: namespace("p-ns-central", nil)}),
		// Issue 12 gap 1: automation may delete no Namespace, not even one
		// labelled deletable that holds only deletable objects.
		{name: "automation deletes a deletable namespace", user: "system:serviceaccount:auto:cleanup", op: remove, obj: namespace("p-deletable", nil)},
		{name: "automation deletes a namespace holding protected objects", user: "system:serviceaccount:auto:cleanup", op: remove, obj: namespace("p-auto", nil)},
		// Gap 5: automation may not lower protection; a human may.
		{name: "automation relabels a protected object deletable", user: "system:serviceaccount:auto:cleanup", op: update,
			obj: cm("p-auto", "keep", protection("deletable", nil), nil)},
		{name: "automation removes a protected label outside every region", user: "system:serviceaccount:auto:cleanup", op: update,
			obj: cm("p-app", "protected-cm", nil, nil)},
		{name: "automation raises protection", user: "system:serviceaccount:auto:cleanup", op: update, obj: cm("p-auto", "del-ok", protection("protected", nil), nil)},
		alice(parityCase{name: "a human relabels a protected object deletable", op: update, obj: cm("p-app", "protected-cm", protection("deletable", nil), nil)}),
		// Gap 6: only exactly deletable is deletable.
		alice(parityCase{name: "deleting an object with a mistyped protection", op: remove, obj: cm("p-app", "typo", nil, nil)}),
		{name: "automation deletes an object labelled Deletable", user: "system:serviceaccount:auto:cleanup", op: remove, obj: cm("p-auto", "typo-del", nil, nil)},
		alice(parityCase{name: "creating an object with a mistyped protection", obj: cm("p-app", "c-typo", protection("protect", nil), nil)}),
		// Gap 12: the change identity does not depend on what the API server
		// defaults. A manifest without defaults is the change the cluster
		// recorded with them; a Namespace without spec is no change.
		alice(parityCase{name: "the same Deployment without defaults into the failover pair", obj: deployment("p-app", "web-west", region("p-west"))}),
		alice(parityCase{name: "the same Deployment without defaults where it already is", obj: deployment("p-east-ns", "web", nil)}),
		alice(parityCase{name: "a Namespace manifest without spec", op: update, obj: namespace("p-east-ns", map[string]string{wavegatev1alpha1.LabelRegion: "p-east", "team": "x"})}),
	}
	return cs
}

type verdict struct {
	Allowed bool
	Message string
}

// live sends the case to the API server as a server-side dry run.
func live(t *testing.T, c parityCase) verdict {
	ctx := context.Background()
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: c.user, Groups: append([]string{"system:masters"}, c.groups...)}
	cl, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	obj := c.obj.DeepCopyObject().(client.Object)
	switch c.op {
	case create:
		err = cl.Create(ctx, obj, client.DryRunAll)
	case update:
		current := c.obj.DeepCopyObject().(client.Object)
		NewWithT(t).Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(obj), current)).To(Succeed())
		obj.SetResourceVersion(current.GetResourceVersion())
		err = cl.Update(ctx, obj, client.DryRunAll)
	case remove:
		err = cl.Delete(ctx, obj, client.DryRunAll)
	}
	if err == nil {
		return verdict{Allowed: true}
	}
	// A gate that has not synced yet answers "retry": a verdict of its own,
	// which the Eventually of a first request waits out.
	if strings.Contains(err.Error(), "have not synced yet") {
		return verdict{Message: err.Error()}
	}
	var status apierrors.APIStatus
	NewWithT(t).Expect(errors.As(err, &status) && apierrors.IsForbidden(err)).To(BeTrue(), "the API server failed the request for another reason: %v", err)
	_, msg, _ := strings.Cut(err.Error(), "denied the request: ")
	return verdict{Message: msg}
}

// offline judges the case with `wavegate check` logic against the exported state.
func offline(t *testing.T, state []*unstructured.Unstructured, c parityCase) verdict {
	g := NewWithT(t)
	checker, err := check.New(context.Background(), state, check.Options{Now: now, ControllerUser: controllerUser, BreakGlassGroup: "wavegate:break-glass", Namespace: "wavegate-system"})
	g.Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{}
	u.Object, err = runtime.DefaultUnstructuredConverter.ToUnstructured(c.obj)
	g.Expect(err).NotTo(HaveOccurred())
	v, err := checker.Check(context.Background(), check.Request{Object: u, User: c.user, Groups: c.groups, Delete: c.op == remove})
	g.Expect(err).NotTo(HaveOccurred())
	return verdict{Allowed: v.Allowed, Message: v.Message()}
}

func TestCheckGivesTheWebhooksVerdicts(t *testing.T) {
	fixture(t)
	g := NewWithT(t)
	// Wait until the gate's informers have the fixture, and the leader has
	// written the delete-automation identities into the gate's configuration.
	g.Eventually(func() verdict { return live(t, cases()[2]) }).Should(And(HaveField("Allowed", false), HaveField("Message", Not(ContainSubstring("have not synced yet")))))
	g.Eventually(func(g Gomega) {
		cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: "gate"}, cfg)).To(Succeed())
		want := webhookconfig.Configuration(webhookconfig.Options{Automation: webhookconfig.AutomationOf([]*wavegatev1alpha1.AutomationPolicy{
			Policy("p", nil, func(p *wavegatev1alpha1.AutomationPolicy) {
				p.Spec.Identities.ServiceAccounts = []string{"auto/broken", "auto/cleanup"}
			}),
		})})
		g.Expect(cfg.Webhooks[len(cfg.Webhooks)-1].MatchConditions).To(Equal(want.Webhooks[len(want.Webhooks)-1].MatchConditions))
	}).Should(Succeed())

	data, err := check.ExportState(context.Background(), env.Client, "configmaps")
	g.Expect(err).NotTo(HaveOccurred())
	state, err := manifest.Read(strings.NewReader(string(data)))
	g.Expect(err).NotTo(HaveOccurred())

	cs := cases()
	g.Expect(len(cs)).To(BeNumerically(">=", 40))
	denied := 0
	allowed := map[string]bool{}
	for _, c := range cs {
		t.Run(c.name, func(t *testing.T) {
			want := live(t, c)
			got := offline(t, state, c)
			NewWithT(t).Expect(got).To(Equal(want))
			allowed[c.name] = want.Allowed
			if !want.Allowed {
				denied++
			}
		})
	}
	g.Expect(allowed).To(HaveKeyWithValue("requires a converged rollout", true),
		"a rollout converged for its current generation at its version satisfies requires")
	g.Expect(allowed).To(HaveKeyWithValue("deleting the owner of the owner of a protected object", false),
		"the garbage collector would delete the protected object two owners down")
	g.Expect(denied).To(BeNumerically(">=", 20), "the corpus covers denials")
	g.Expect(denied).To(BeNumerically("<=", len(cs)-10), "and admissions")
}
