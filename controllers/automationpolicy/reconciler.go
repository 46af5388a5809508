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
	"time"

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
	"github.com/wavegate/wavegate/internal/regions"
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
	// ReasonResourceNotServed: a scope resource is not served by the cluster,
	// so the scope cannot be scanned for it.
	ReasonResourceNotServed = "ResourceNotServed"
	// ReasonResourceNotListable: Wavegate may not list a scope resource, so
	// whether it holds untagged objects is unknown.
	ReasonResourceNotListable = "ResourceNotListable"
)

// rescanNotServed is how often a policy whose scope names a resource the
// cluster does not serve is scanned again: nothing is watched that would
// say when the resource is installed.
const rescanNotServed = time.Minute

// Reconciler scans each policy's scope.
type Reconciler struct {
	Reader client.Reader
	Client client.Client
	Mapper meta.RESTMapper
	// DefaultResources are scanned when a policy names no resources.
	DefaultResources []schema.GroupResource
	// MayList asks the API server whether Wavegate may list and watch a
	// kind; nil means it may.
	MayList func(context.Context, schema.GroupResource) (bool, error)

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
	found, err := r.untagged(ctx, ap, inScope)
	if err != nil {
		return ctrl.Result{}, err
	}
	found.uncovered = uncovered
	before := ap.DeepCopy()
	ap.Status = status(ap, found, time.Now())
	if !equality.Semantic.DeepEqual(before.Status, ap.Status) {
		if err := r.Client.Status().Patch(ctx, ap, client.MergeFrom(before)); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to patch the status of AutomationPolicy %s: %w", ap.Name, err)
		}
	}
	if len(found.notServed) > 0 || len(found.notListable) > 0 {
		return ctrl.Result{RequeueAfter: rescanNotServed}, nil
	}
	return ctrl.Result{}, nil
}

// scan is what a scan of a policy's scope found.
type scan struct {
	// untagged are the objects in scope without a protection label, sorted.
	untagged []wavegatev1alpha1.ObjectRef
	// uncovered are the scope regions that are not in the inventory.
	uncovered []string
	// notServed are the scope resources the cluster does not serve, each
	// with the API server's words.
	notServed []string
	// notListable are the scope resources Wavegate may not list.
	notListable []string
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

// untagged lists the objects in scope without a protection tag (exactly
// protected or deletable), sorted,
// and the scope resources the cluster does not serve.
func (r *Reconciler) untagged(ctx context.Context, ap *wavegatev1alpha1.AutomationPolicy, inScope map[string]bool) (scan, error) {
	var found scan
	nsLabels, err := r.namespaceLabels(ctx)
	if err != nil {
		return found, err
	}
	namespaces := map[string]bool{}
	for _, ns := range ap.Spec.Scope.Namespaces {
		namespaces[ns] = true
	}
	for _, gr := range r.resources(ap) {
		gvk, ok, err := r.scannable(ctx, gr, &found)
		if err != nil {
			return found, err
		}
		if !ok {
			continue
		}
		if err := r.ensureWatch(gvk); err != nil {
			return found, err
		}
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := r.Reader.List(ctx, list); err != nil {
			return found, fmt.Errorf("failed to list %s: %w", gr, err)
		}
		for _, o := range list.Items {
			if len(namespaces) > 0 && !namespaces[o.Namespace] {
				continue
			}
			region := regions.Of(o.Labels, nsLabels[o.Namespace])
			if !inScope[region] || tagged(o.Labels[wavegatev1alpha1.LabelProtection]) {
				continue
			}
			found.untagged = append(found.untagged, wavegatev1alpha1.ObjectRef{Kind: gvk.Kind, Namespace: o.Namespace, Name: o.Name})
		}
	}
	sort.Slice(found.untagged, func(i, j int) bool {
		a, b := found.untagged[i], found.untagged[j]
		return a.Kind+"/"+a.Namespace+"/"+a.Name < b.Kind+"/"+b.Namespace+"/"+b.Name
	})
	return found, nil
}

// scannable finds the kind of a scope resource and whether Wavegate may list
// it; when it cannot be scanned, found says why.
func (r *Reconciler) scannable(ctx context.Context, gr schema.GroupResource, found *scan) (schema.GroupVersionKind, bool, error) {
	gvk, err := r.Mapper.KindFor(schema.GroupVersionResource{Group: gr.Group, Resource: gr.Resource})
	if meta.IsNoMatchError(err) {
		found.notServed = append(found.notServed, fmt.Sprintf("%s (%v)", gr, err))
		return gvk, false, nil
	}
	if err != nil {
		return gvk, false, fmt.Errorf("failed to find the kind of scope resource %s: %w", gr, err)
	}
	if r.MayList != nil {
		ok, err := r.MayList(ctx, gr)
		if err != nil || !ok {
			// Unknown is not safe: what Wavegate cannot list may be untagged.
			if err == nil {
				found.notListable = append(found.notListable, gr.String())
			}
			return gvk, false, err
		}
	}
	return gvk, true, nil
}

// tagged: only the exact values protected and deletable are tags; any other
// value (a typo such as Protected) counts as untagged, so it is reported.
func tagged(protection string) bool {
	return protection == wavegatev1alpha1.ProtectionProtected || protection == wavegatev1alpha1.ProtectionDeletable
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

// namespaceLabels are the labels of every Namespace, by name.
func (r *Reconciler) namespaceLabels(ctx context.Context) (map[string]map[string]string, error) {
	list := regions.NamespaceList()
	if err := r.Reader.List(ctx, list); err != nil {
		return nil, err
	}
	out := make(map[string]map[string]string, len(list.Items))
	for _, ns := range list.Items {
		out[ns.Name] = ns.Labels
	}
	return out, nil
}

// status returns the policy's status for what the scan found, at now.
// Ready is True only when nothing in scope is untagged, every scope region
// is known and every scope resource is served. Stalled is True while a scope
// resource is not served (the scope cannot be scanned without a change to
// the policy or the cluster), and absent otherwise.
func status(ap *wavegatev1alpha1.AutomationPolicy, found scan, now time.Time) wavegatev1alpha1.AutomationPolicyStatus {
	st := *ap.Status.DeepCopy()
	st.ObservedGeneration = ap.Generation
	st.UntaggedCount = int32(len(found.untagged)) //nolint:gosec // a count of objects
	st.Untagged = found.untagged[:min(len(found.untagged), maxListed)]
	st.UncoveredRegions = found.uncovered
	cond := metav1.Condition{Type: wavegatev1alpha1.ConditionReady, ObservedGeneration: ap.Generation, LastTransitionTime: metav1.Time{Time: now}}
	var problems []string
	if n := len(found.untagged); n > 0 {
		cond.Reason = ReasonUntagged
		first := found.untagged[0]
		problems = append(problems, fmt.Sprintf("%d resources in scope are untagged (first: %s %s/%s); tag each wavegate.io/protection=protected or deletable",
			n, first.Kind, first.Namespace, first.Name))
	}
	if len(found.uncovered) > 0 {
		cond.Reason = ReasonUncoveredRegions
		problems = append(problems, fmt.Sprintf("scope regions %s are not in the region inventory", strings.Join(found.uncovered, ", ")))
	}
	if len(found.notListable) > 0 {
		cond.Reason = ReasonResourceNotListable
		problems = append(problems, fmt.Sprintf("Wavegate may not list scope resources %s, so they may hold untagged objects; grant it list and watch on them (a ClusterRole labelled wavegate.io/aggregate-to-protection-scan=true)",
			strings.Join(found.notListable, ", ")))
	}
	notServed := ""
	if len(found.notServed) > 0 {
		cond.Reason = ReasonResourceNotServed
		notServed = fmt.Sprintf("scope resources not served by this cluster: %s; correct scope.resources or install them", strings.Join(found.notServed, ", "))
		problems = append(problems, notServed)
	}
	if len(problems) == 0 {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, ReasonAllTagged, "every resource in scope is tagged and every scope region is known"
	} else {
		cond.Status, cond.Message = metav1.ConditionFalse, strings.Join(problems, "; ")
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	if notServed != "" {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: wavegatev1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
			Reason: ReasonResourceNotServed, Message: notServed, ObservedGeneration: ap.Generation, LastTransitionTime: metav1.Time{Time: now}})
	} else {
		meta.RemoveStatusCondition(&st.Conditions, wavegatev1alpha1.ConditionStalled)
	}
	return st
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
		Watches(regions.Namespace(), all).
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
