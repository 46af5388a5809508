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

package check

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
)

// clusterScoped are kinds without a namespace; other kinds default to the
// "default" namespace, as kubectl does.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "StorageClass": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "CustomResourceDefinition": true, "PriorityClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"Region": true, "WavePlan": true, "ConfigRollout": true, "Freeze": true, "AutomationPolicy": true, "ChangeRecord": true,
}

// Options configure a Checker.
type Options struct {
	Now time.Time
	// Clock, when set, is read for every decision instead of Now: a
	// history judged over simulated time (the property tests of
	// internal/test/histories) moves it between requests.
	Clock           func() time.Time
	ControllerUser  string
	BreakGlassGroup string
	// Namespace is Wavegate's own namespace, never gated.
	Namespace string
	// Engine decides with the policies the cluster runs, operators' own
	// included (engine.Modules of its --policy-dir); nil for the embedded
	// policies alone.
	Engine *engine.Engine
}

// Checker judges manifests against a state.
type Checker struct {
	gate          *gate.Gate
	objects       map[string]*unstructured.Unstructured
	namespaceOpts webhookconfig.Options
	// config is the gate's webhook configuration for the identities in
	// configFor (their match condition); built again only when the
	// AutomationPolicies in the state change, not for every manifest.
	config    *admissionregistrationv1.ValidatingWebhookConfiguration
	configFor string
}

// New loads a state: Wavegate's objects feed the facts index exactly as the
// informers would, Namespaces give their region labels, and every other
// object is the stored copy an apply would update or a delete would remove.
func New(ctx context.Context, state []*unstructured.Unstructured, o Options) (*Checker, error) {
	eng := o.Engine
	if eng == nil {
		modules, err := engine.Modules("")
		if err != nil {
			return nil, err
		}
		if eng, err = engine.New(ctx, modules); err != nil {
			return nil, err
		}
	}
	ix := facts.NewIndex()
	clock := o.Clock
	if clock == nil {
		clock = func() time.Time { return o.Now }
	}
	c := &Checker{
		gate: &gate.Gate{
			Engine:  eng,
			Facts:   &facts.Builder{Index: ix, Now: clock, ControllerUser: o.ControllerUser, BreakGlassGroup: o.BreakGlassGroup},
			Records: &records.Memory{Cache: ix},
		},
		objects:       map[string]*unstructured.Unstructured{},
		namespaceOpts: webhookconfig.Options{Namespace: o.Namespace},
	}
	for _, obj := range state {
		if err := c.load(ix, obj); err != nil {
			return nil, fmt.Errorf("state: %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return c, nil
}

func (c *Checker) load(ix *facts.Index, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	if gvk.Group == wavegatev1alpha1.GroupVersion.Group {
		return loadWavegate(ix, obj)
	}
	if gvk.Group == "" && gvk.Kind == "Namespace" {
		ix.SetNamespace(obj.GetName(), obj.GetLabels())
	}
	c.store(obj)
	return nil
}

// loadWavegate feeds one of Wavegate's objects to the index.
func loadWavegate(ix *facts.Index, obj *unstructured.Unstructured) error {
	typed, err := typedObject(obj)
	if err != nil {
		return err
	}
	switch t := typed.(type) {
	case *wavegatev1alpha1.Region:
		ix.SetRegion(t)
	case *wavegatev1alpha1.WavePlan:
		ix.SetWavePlan(t)
	case *wavegatev1alpha1.Freeze:
		ix.SetFreeze(t)
	case *wavegatev1alpha1.ConfigRollout:
		ix.SetConfigRollout(t)
	case *wavegatev1alpha1.AutomationPolicy:
		ix.SetAutomationPolicy(t)
	case *wavegatev1alpha1.ChangeRecord:
		ix.SetChangeRecord(t)
	}
	return nil
}

// unload takes a deleted object out of the index: a Freeze deleted ends,
// a Namespace deleted no longer names a region.
func unload(ix *facts.Index, obj *unstructured.Unstructured) {
	name := obj.GetName()
	switch gvk := obj.GroupVersionKind(); {
	case gvk.Group == "" && gvk.Kind == "Namespace":
		ix.DeleteNamespace(name)
	case gvk.Group != wavegatev1alpha1.GroupVersion.Group:
	case gvk.Kind == "Region":
		ix.DeleteRegion(name)
	case gvk.Kind == "WavePlan":
		ix.DeleteWavePlan(name)
	case gvk.Kind == "Freeze":
		ix.DeleteFreeze(name)
	case gvk.Kind == "ConfigRollout":
		ix.DeleteConfigRollout(name)
	case gvk.Kind == "AutomationPolicy":
		ix.DeleteAutomationPolicy(name)
	case gvk.Kind == "ChangeRecord":
		ix.DeleteChangeRecord(name)
	}
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = wavegatev1alpha1.AddToScheme(s)
	return s
}()

// typedObject converts one of Wavegate's objects, rejecting unknown kinds.
func typedObject(obj *unstructured.Unstructured) (runtime.Object, error) {
	typed, err := scheme.New(obj.GroupVersionKind())
	if err != nil {
		return nil, fmt.Errorf("unknown kind %s in %s", obj.GetKind(), obj.GetAPIVersion())
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", obj.GetKind(), err)
	}
	return typed, nil
}

func key(obj *unstructured.Unstructured) string {
	gk := obj.GroupVersionKind().GroupKind()
	return gk.String() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// store records an object as the cluster would hold it after an apply. The
// checker holds every object, so it knows every chain of owner references
// exactly.
func (c *Checker) store(obj *unstructured.Unstructured) {
	c.objects[key(obj)] = obj
	ix := c.gate.Facts.Index
	uid := string(obj.GetUID())
	if uid != "" {
		self := facts.OwnerRef{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), UID: uid}
		ix.SetOwnersRead(facts.Owner{Namespace: obj.GetNamespace(), Ref: self}, facts.OwnerRefs(obj.GetOwnerReferences()))
	}
	if obj.GetNamespace() != "" {
		protected := facts.CountsAsProtected(obj.GetLabels()[wavegatev1alpha1.LabelProtection])
		ix.SetProtected(obj.GetNamespace(), protectedRef(obj), protected, uid, facts.OwnerRefs(obj.GetOwnerReferences())...)
	}
}

func (c *Checker) forget(obj *unstructured.Unstructured) {
	delete(c.objects, key(obj))
	ix := c.gate.Facts.Index
	if obj.GetNamespace() != "" {
		ix.SetProtected(obj.GetNamespace(), protectedRef(obj), false, "")
	}
	if uid := string(obj.GetUID()); uid != "" {
		ix.ForgetOwners(uid)
	}
}

// protectedRef names an object as the Index names protected objects.
func protectedRef(obj *unstructured.Unstructured) string {
	return obj.GetKind() + " " + obj.GetNamespace() + "/" + obj.GetName()
}

// Request is one manifest to judge.
type Request struct {
	Object *unstructured.Unstructured
	User   string
	Groups []string
	Delete bool
}

// Verdict is the decision on one manifest.
type Verdict struct {
	Operation string           `json:"operation"`
	Allowed   bool             `json:"allowed"`
	Denials   []engine.Verdict `json:"denials,omitempty"`
	Warnings  []engine.Verdict `json:"warnings,omitempty"`
}

// Message is the text the API server would return for a denial.
func (v Verdict) Message() string {
	msgs := make([]string, len(v.Denials))
	for i, d := range v.Denials {
		msgs[i] = d.Msg
	}
	return strings.Join(msgs, "\n")
}

// Check judges one manifest as the API server would receive it, and, when it
// is admitted, applies it to the state for the manifests after it.
func (c *Checker) Check(ctx context.Context, r Request) (Verdict, error) {
	obj := r.Object.DeepCopy()
	if obj.GroupVersionKind().Group == wavegatev1alpha1.GroupVersion.Group {
		if _, err := typedObject(obj); err != nil {
			return Verdict{}, err
		}
	}
	if obj.GetNamespace() == "" && !clusterScoped[obj.GetKind()] {
		obj.SetNamespace("default")
	}
	old := c.objects[key(obj)]
	req, err := c.request(obj, old, r)
	if err != nil {
		return Verdict{}, err
	}
	if !c.gated(req, obj, old) {
		c.apply(obj, r.Delete)
		return Verdict{Operation: req.Operation, Allowed: true}, nil
	}
	dec, _, err := c.gate.Judge(ctx, req)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Operation: req.Operation, Allowed: dec.Allowed(), Denials: dec.Deny, Warnings: dec.Warn}
	if v.Allowed {
		c.apply(obj, r.Delete)
	}
	return v, nil
}

func (c *Checker) apply(obj *unstructured.Unstructured, del bool) {
	if del {
		c.forget(obj)
		unload(c.gate.Facts.Index, obj)
		return
	}
	if obj.GroupVersionKind().Group == wavegatev1alpha1.GroupVersion.Group {
		_ = loadWavegate(c.gate.Facts.Index, obj)
		return
	}
	if obj.GetKind() == "Namespace" {
		c.gate.Facts.Index.SetNamespace(obj.GetName(), obj.GetLabels())
	}
	c.store(obj)
}

// request builds what the API server would send: CREATE when the object is
// absent from the state, UPDATE with the state's copy as the old object, or
// DELETE.
func (c *Checker) request(obj, old *unstructured.Unstructured, r Request) (*facts.Request, error) {
	gvk := obj.GroupVersionKind()
	req := &facts.Request{
		UID: "wavegate-check", User: r.User, Groups: r.Groups,
		Kind: gvk.Kind, Group: gvk.Group, Version: gvk.Version,
		Resource:  resourceOf(gvk),
		Namespace: obj.GetNamespace(), Name: obj.GetName(),
	}
	if req.IsNamespace() {
		// The API server names a Namespace as the namespace of a request
		// about it.
		req.Namespace = obj.GetName()
	}
	var err error
	switch {
	case r.Delete:
		req.Operation = "DELETE"
		if old == nil {
			old = obj
		}
		req.OldObject, err = decode(old)
	case old == nil:
		req.Operation = "CREATE"
		req.Object, err = decode(obj)
	default:
		req.Operation = "UPDATE"
		if req.Object, err = decode(obj); err == nil {
			req.OldObject, err = decode(old)
		}
	}
	return req, err
}

func resourceOf(gvk schema.GroupVersionKind) string {
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	return plural.Resource
}

func decode(obj *unstructured.Unstructured) (*facts.Object, error) {
	raw, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	return facts.DecodeObject(raw)
}

// gated reports whether the API server would call the gate for req: the
// webhook configuration itself is evaluated, with the delete-automation
// identities that Wavegate keeps in it: those of the AutomationPolicies in
// the state.
func (c *Checker) gated(req *facts.Request, obj, old *unstructured.Unstructured) bool {
	opts := c.namespaceOpts
	opts.Automation = c.gate.Facts.Index.Automation()
	a := webhookconfig.Request{
		Operation: req.Operation, Group: req.Group, Version: req.Version, Resource: req.Resource, SubResource: req.SubResource,
		Namespace: req.Namespace, Name: req.Name, User: req.User, Groups: req.Groups,
	}
	switch req.Operation {
	case "DELETE":
		if old == nil {
			old = obj
		}
		a.OldObject = old.Object
	case "CREATE":
		a.Object = obj.Object
	default:
		a.Object, a.OldObject = obj.Object, old.Object
	}
	if req.Kind == "Namespace" && req.Group == "" {
		a.NamespaceLabels = obj.GetLabels()
	} else if ns, ok := c.objects[namespaceKey(req.Namespace)]; ok {
		a.NamespaceLabels = ns.GetLabels()
	}
	if cond := opts.Automation.Condition(); c.config == nil || c.configFor != cond {
		c.config, c.configFor = webhookconfig.Configuration(opts), cond
	}
	return webhookconfig.Matches(c.config, a)
}

// namespaceKey is key() of the Namespace name.
func namespaceKey(name string) string { return "Namespace//" + name }
