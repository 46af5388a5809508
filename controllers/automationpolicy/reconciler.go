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

// Package automationpolicy holds the AutomationPolicy reconciler. It finds the
// resources in a policy's scope that carry no wavegate.io/protection label and
// the scope regions missing from the inventory; the policy is Ready only when
// there are none. The gate denies the automation's deletes until then: an
// untagged resource is protected, and an uncovered region is unknown.
package automationpolicy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/enqueue"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=automationpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=wavegate.io,resources=automationpolicies/status,verbs=get;update;patch

// maxListed is how many untagged resources status names.
const maxListed = 20

// Condition reasons of an AutomationPolicy.
const (
	ReasonAllTagged        = "AllTagged"
	ReasonUntagged         = "UntaggedResources"
	ReasonUncoveredRegions = "UncoveredRegions"
)

// Reconciler scans each policy's scope.
type Reconciler struct {
	Reader client.Reader
	Client client.Client
	Mapper meta.RESTMapper
	// DefaultResources are scanned when a policy names no resources.
	DefaultResources []schema.GroupResource

	watching  sync.Map
	watchKind func(schema.GroupVersionKind) error
}

// Reconcile recomputes one policy's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ap := &wavegatev1alpha1.AutomationPolicy{}
	if err := r.Reader.Get(ctx, req.NamespacedName, ap); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	inScope, uncovered, err := r.scopeRegions(ctx, ap)
	if err != nil {
		return ctrl.Result{}, err
	}
	untagged, err := r.untagged(ctx, ap, inScope)
	if err != nil {
		return ctrl.Result{}, err
	}
	before := ap.DeepCopy()
	setStatus(ap, untagged, uncovered)
	if equality.Semantic.DeepEqual(before.Status, ap.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Status().Patch(ctx, ap, client.MergeFrom(before)); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to patch the status of AutomationPolicy %s: %w", ap.Name, err)
	}
	return ctrl.Result{}, nil
}

// scopeRegions returns the scope's regions that are in the inventory, and
// those that are not.
func (r *Reconciler) scopeRegions(ctx context.Context, ap *wavegatev1alpha1.AutomationPolicy) (map[string]bool, []string, error) {
	list := &wavegatev1alpha1.RegionList{}
	if err := r.Reader.List(ctx, list); err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	for _, rg := range list.Items {
		known[rg.Name] = true
	}
	if wavegatev1alpha1.IsAllRegions(ap.Spec.Scope.Regions) {
		return known, nil, nil
	}
	inScope := map[string]bool{}
	var uncovered []string
	for _, rg := range ap.Spec.Scope.Regions {
		if known[rg] {
			inScope[rg] = true
		} else {
			uncovered = append(uncovered, rg)
		}
	}
	sort.Strings(uncovered)
	return inScope, uncovered, nil
}

// untagged lists the objects in scope without a protection label, sorted.
func (r *Reconciler) untagged(ctx context.Context, ap *wavegatev1alpha1.AutomationPolicy, regions map[string]bool) ([]wavegatev1alpha1.ObjectRef, error) {
	nsRegion, err := r.namespaceRegions(ctx)
	if err != nil {
		return nil, err
	}
	namespaces := map[string]bool{}
	for _, ns := range ap.Spec.Scope.Namespaces {
		namespaces[ns] = true
	}
	var out []wavegatev1alpha1.ObjectRef
	for _, gr := range r.resources(ap) {
		gvk, err := r.Mapper.KindFor(schema.GroupVersionResource{Group: gr.Group, Resource: gr.Resource})
		if err != nil {
			return nil, fmt.Errorf("scope resource %s is not served by this cluster: %w", gr, err)
		}
		if err := r.ensureWatch(gvk); err != nil {
			return nil, err
		}
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := r.Reader.List(ctx, list); err != nil {
			return nil, fmt.Errorf("failed to list %s: %w", gr, err)
		}
		for _, o := range list.Items {
			if len(namespaces) > 0 && !namespaces[o.Namespace] {
				continue
			}
			region := o.Labels[wavegatev1alpha1.LabelRegion]
			if region == "" {
				region = nsRegion[o.Namespace]
			}
			if !regions[region] || o.Labels[wavegatev1alpha1.LabelProtection] != "" {
				continue
			}
			out = append(out, wavegatev1alpha1.ObjectRef{Kind: gvk.Kind, Namespace: o.Namespace, Name: o.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Kind+"/"+a.Namespace+"/"+a.Name < b.Kind+"/"+b.Namespace+"/"+b.Name
	})
	return out, nil
}

func (r *Reconciler) resources(ap *wavegatev1alpha1.AutomationPolicy) []schema.GroupResource {
	if len(ap.Spec.Scope.Resources) == 0 {
		return r.DefaultResources
	}
	out := make([]schema.GroupResource, len(ap.Spec.Scope.Resources))
	for i, gr := range ap.Spec.Scope.Resources {
		out[i] = schema.GroupResource{Group: gr.Group, Resource: gr.Resource}
	}
	return out
}

func (r *Reconciler) namespaceRegions(ctx context.Context) (map[string]string, error) {
	list := &corev1.NamespaceList{}
	if err := r.Reader.List(ctx, list); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list.Items))
	for _, ns := range list.Items {
		out[ns.Name] = ns.Labels[wavegatev1alpha1.LabelRegion]
	}
	return out, nil
}

// setStatus records what was found; Ready only when nothing is untagged and
// nothing is uncovered.
func setStatus(ap *wavegatev1alpha1.AutomationPolicy, untagged []wavegatev1alpha1.ObjectRef, uncovered []string) {
	st := &ap.Status
	st.ObservedGeneration = ap.Generation
	st.UntaggedCount = int32(len(untagged)) //nolint:gosec // a count of objects
	st.Untagged = untagged[:min(len(untagged), maxListed)]
	st.UncoveredRegions = uncovered
	cond := metav1.Condition{Type: wavegatev1alpha1.ConditionReady, ObservedGeneration: ap.Generation}
	var problems []string
	if len(untagged) > 0 {
		cond.Reason = ReasonUntagged
		problems = append(problems, fmt.Sprintf("%d resources in scope are untagged (first: %s %s/%s); tag each wavegate.io/protection=protected or deletable",
			len(untagged), untagged[0].Kind, untagged[0].Namespace, untagged[0].Name))
	}
	if len(uncovered) > 0 {
		cond.Reason = ReasonUncoveredRegions
		problems = append(problems, fmt.Sprintf("scope regions %s are not in the region inventory", strings.Join(uncovered, ", ")))
	}
	if len(problems) == 0 {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, ReasonAllTagged, "every resource in scope is tagged and every scope region is known"
	} else {
		cond.Status, cond.Message = metav1.ConditionFalse, strings.Join(problems, "; ")
	}
	meta.SetStatusCondition(&st.Conditions, cond)
}

func (r *Reconciler) ensureWatch(gvk schema.GroupVersionKind) error {
	if _, loaded := r.watching.LoadOrStore(gvk, struct{}{}); loaded || r.watchKind == nil {
		return nil
	}
	if err := r.watchKind(gvk); err != nil {
		r.watching.Delete(gvk)
		return err
	}
	return nil
}

// SetupWithManager registers the reconciler. Regions, Namespaces and, from
// the first policy that scopes a kind on, objects of that kind (metadata
// only) trigger a new scan of every policy within seconds.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	all := handler.EnqueueRequestsFromMapFunc(enqueue.All(r.Reader, func() client.ObjectList { return &wavegatev1alpha1.AutomationPolicyList{} }))
	c, err := ctrl.NewControllerManagedBy(mgr).
		For(&wavegatev1alpha1.AutomationPolicy{}).
		Watches(&wavegatev1alpha1.Region{}, all).
		Watches(&corev1.Namespace{}, all).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2}).
		Build(r)
	if err != nil {
		return err
	}
	r.watchKind = func(gvk schema.GroupVersionKind) error {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(gvk)
		return c.Watch(source.Kind(mgr.GetCache(), client.Object(m), all))
	}
	return nil
}
