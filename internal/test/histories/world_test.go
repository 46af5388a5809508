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

package histories

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"pgregory.net/rapid"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/audit/invariants"
	"github.com/wavegate/wavegate/internal/check"
)

// The estate every history runs in: four waves, two failover pairs across
// waves, and a region outside the plan (it counts as the last wave).
var (
	waves = []struct {
		name    string
		regions []string
		bake    time.Duration
	}{
		{"canary", []string{"eastus2euap"}, time.Hour},
		{"pilot", []string{"westcentralus"}, 2 * time.Hour},
		{"broad-1", []string{"eastus", "westeurope"}, 6 * time.Hour},
		{"broad-2", []string{"westus", "northeurope"}, 6 * time.Hour},
	}
	pairs     = map[string]string{"westus": "eastus", "northeurope": "westeurope"}
	regions   = []string{"eastus2euap", "westcentralus", "eastus", "westeurope", "westus", "northeurope", "brazilsouth"}
	start     = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	bgGroup   = invariants.DefaultBreakGlassGroup
	wgManager = invariants.DefaultControllerUser
)

// identity is who sends a request.
type identity struct {
	user   string
	groups []string
}

var (
	human      = identity{"alice@example.com", []string{"dev", "system:authenticated"}}
	automation = identity{"system:serviceaccount:ops:cleanup", []string{"system:serviceaccounts", "system:authenticated"}}
	breakGlass = identity{"oncall@example.com", []string{bgGroup, "system:authenticated"}}
	controller = identity{wgManager, []string{"system:serviceaccounts", "system:authenticated"}}
	kubernetes = identity{"system:serviceaccount:kube-system:root-ca-cert-publisher", []string{"system:serviceaccounts", "system:authenticated"}}
)

// world is one history in progress: the decision path and the checker,
// fed the same admitted requests, on one simulated clock.
type world struct {
	now     time.Time
	gate    *check.Checker
	checker *invariants.Checker
	// objects are the regional objects stored, by namespace/name.
	objects map[string]*unstructured.Unstructured
	// namespaces are the Namespaces and their region labels.
	namespaces map[string]string
	freezes    map[string]bool
	uid        int
	// history is what happened, for the failure message.
	history []string
}

func newWorld(t *rapid.T) *world {
	state := estate()
	w := &world{now: start, objects: map[string]*unstructured.Unstructured{}, namespaces: map[string]string{}, freezes: map[string]bool{}}
	gate, err := check.New(context.Background(), state, check.Options{
		Clock: func() time.Time { return w.now }, ControllerUser: wgManager, BreakGlassGroup: bgGroup, Namespace: invariants.DefaultNamespace,
	})
	if err != nil {
		t.Fatalf("the decision path: %v", err)
	}
	checker, err := invariants.New(invariants.Options{State: state})
	if err != nil {
		t.Fatalf("the checker: %v", err)
	}
	w.gate, w.checker = gate, checker
	for _, obj := range state {
		if obj.GetKind() == "Namespace" {
			w.namespaces[obj.GetName()] = obj.GetLabels()[wavegatev1alpha1.LabelRegion]
		}
	}
	return w
}

// estate is the state both sides start from.
func estate() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	add := func(o runtime.Object) {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			panic(err)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(wavegatev1alpha1.GroupVersion.WithKind(strings.TrimPrefix(fmt.Sprintf("%T", o), "*v1alpha1.")))
		out = append(out, u)
	}
	for _, r := range regions {
		rg := &wavegatev1alpha1.Region{}
		rg.Name = r
		rg.Spec.PairedRegion = pairs[r]
		add(rg)
	}
	plan := &wavegatev1alpha1.WavePlan{}
	plan.Name = wavegatev1alpha1.DefaultWavePlan
	for _, wv := range waves {
		plan.Spec.Waves = append(plan.Spec.Waves, wavegatev1alpha1.Wave{Name: wv.name, Regions: wv.regions, BakeTime: duration(wv.bake)})
	}
	add(plan)
	policy := &wavegatev1alpha1.AutomationPolicy{}
	policy.Name, policy.Generation = "cleanup", 1
	policy.Spec.Identities.ServiceAccounts = []string{"ops/cleanup"}
	policy.Spec.Scope.Regions = []string{wavegatev1alpha1.AllRegions}
	policy.Spec.MaxDeletionsPerHour = 1000
	policy.Status.ObservedGeneration = 1
	policy.Status.Conditions = append(policy.Status.Conditions, condition(wavegatev1alpha1.ConditionReady, "True"))
	add(policy)
	for _, r := range append([]string{""}, regions...) {
		ns := &unstructured.Unstructured{}
		ns.SetAPIVersion("v1")
		ns.SetKind("Namespace")
		ns.SetName(namespaceOf(r))
		if r != "" {
			ns.SetLabels(map[string]string{wavegatev1alpha1.LabelRegion: r})
		}
		out = append(out, ns)
	}
	return out
}

// namespaceOf is the Namespace first labelled for a region; "shared" has no
// region of its own.
func namespaceOf(region string) string {
	if region == "" {
		return "shared"
	}
	return "app-" + region
}

// request is one generated request.
type request struct {
	who    identity
	verb   string // create, update or delete
	object *unstructured.Unstructured
}

func (r request) String() string {
	o := r.object
	desc := fmt.Sprintf("%s %s %s/%s", r.verb, o.GetKind(), o.GetNamespace(), o.GetName())
	if o.GetNamespace() == "" {
		desc = fmt.Sprintf("%s %s %s", r.verb, o.GetKind(), o.GetName())
	}
	if labels := o.GetLabels(); len(labels) > 0 {
		desc += fmt.Sprintf(" labels=%v", labels)
	}
	if ann := o.GetAnnotations(); len(ann) > 0 {
		desc += fmt.Sprintf(" annotations=%v", ann)
	}
	if refs := o.GetOwnerReferences(); len(refs) > 0 {
		desc += fmt.Sprintf(" owner=%s", refs[0].UID)
	}
	if data, ok := o.Object["data"]; ok {
		desc += fmt.Sprintf(" data=%v", data)
	}
	if data, ok := o.Object["binaryData"]; ok {
		desc += fmt.Sprintf(" binaryData=%v", data)
	}
	if spec, ok := o.Object["spec"]; ok && o.GetKind() == "Freeze" {
		desc += fmt.Sprintf(" spec=%v", spec)
	}
	return desc + " as " + r.who.user
}

// send judges a request on the decision path and, when it is admitted,
// hands it to the checker as the API server's audit log would show it.
func (w *world) send(t *rapid.T, r request) bool {
	verdict, err := w.gate.Check(context.Background(), check.Request{Object: r.object, User: r.who.user, Groups: r.who.groups, Delete: r.verb == "delete"})
	if err != nil {
		t.Fatalf("%s: the decision path failed: %v", r, err)
	}
	outcome := "admitted"
	if !verdict.Allowed {
		outcome = "denied: " + verdict.Message()
	}
	w.history = append(w.history, fmt.Sprintf("%s  %s: %s", w.now.Format("Jan 2 15:04"), r, outcome))
	if !verdict.Allowed {
		return false
	}
	write := invariants.Write{At: w.now, User: r.who.user, Groups: r.who.groups, Verb: r.verb, Object: r.object.Object}
	if r.verb == "delete" {
		gvk := r.object.GroupVersionKind()
		write.Object, write.APIGroup, write.Resource = nil, gvk.Group, invariants.Plural(gvk.Kind)
		write.Namespace, write.Name = r.object.GetNamespace(), r.object.GetName()
	}
	ev, err := write.Event()
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	w.checker.Add(ev)
	w.remember(r)
	return true
}

// remember keeps what the generator picks from next.
func (w *world) remember(r request) {
	o := r.object
	switch {
	case o.GetKind() == "Namespace":
		w.namespaces[o.GetName()] = o.GetLabels()[wavegatev1alpha1.LabelRegion]
	case o.GetKind() == "Freeze":
		w.freezes[o.GetName()] = r.verb != "delete"
	case r.verb == "delete":
		delete(w.objects, o.GetNamespace()+"/"+o.GetName())
	default:
		w.objects[o.GetNamespace()+"/"+o.GetName()] = o.DeepCopy()
	}
}

// holds fails the test when the checker found a violation, with the
// history that led to it.
func (w *world) holds(t *rapid.T) {
	vs := w.checker.Violations()
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s", v)
	}
	t.Fatalf("an admitted request broke the promise:%s\nhistory:\n  %s", b.String(), strings.Join(w.history, "\n  "))
}

// configMap is a regional ConfigMap with a payload written as data or as
// binaryData (the same bytes are the same change).
func configMap(namespace, name string, labels, annotations map[string]string, payload string, binary bool) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion("v1")
	o.SetKind("ConfigMap")
	o.SetNamespace(namespace)
	o.SetName(name)
	if len(labels) > 0 {
		o.SetLabels(labels)
	}
	if len(annotations) > 0 {
		o.SetAnnotations(annotations)
	}
	switch {
	case payload == "":
	case binary:
		o.Object["binaryData"] = map[string]any{"settings": base64.StdEncoding.EncodeToString([]byte(payload))}
	default:
		o.Object["data"] = map[string]any{"settings": payload}
	}
	return o
}

func duration(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }

func condition(kind, status string) metav1.Condition {
	return metav1.Condition{Type: kind, Status: metav1.ConditionStatus(status), Reason: kind, LastTransitionTime: metav1.NewTime(start)}
}
