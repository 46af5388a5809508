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

// Package region holds the Region reconciler: it reports in status whether a
// region's failover pairing is complete (Ready) or still pending, as while a
// folder of Regions that name each other is applied in any order. The
// safety rules do not wait for it: a one-sided pair already counts as a pair
// (internal/regions).
package region

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/clusters"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=regions,verbs=get;list;watch
// +kubebuilder:rbac:groups=wavegate.io,resources=regions/status,verbs=get;update;patch

// Reconciler keeps Region status current.
type Reconciler struct {
	Reader client.Reader
	Client client.Client
	Now    func() time.Time
	// Clusters connects to regions that are clusters of their own; nil
	// means this manager does not (Connected is then not reported).
	Clusters *clusters.Registry
	// ProbeInterval is how often a regional cluster is probed; 30s when zero.
	ProbeInterval time.Duration
}

// Reconcile sets a Region's Ready condition and observedGeneration.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	rg := &wavegatev1alpha1.Region{}
	if err := r.Reader.Get(ctx, req.NamespacedName, rg); err != nil {
		if apierrors.IsNotFound(err) && r.Clusters != nil {
			r.Clusters.Forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	var pair *wavegatev1alpha1.Region
	if name := rg.Spec.PairedRegion; name != "" {
		p := &wavegatev1alpha1.Region{}
		switch err := r.Reader.Get(ctx, client.ObjectKey{Name: name}, p); {
		case apierrors.IsNotFound(err):
		case err != nil:
			return ctrl.Result{}, err
		default:
			pair = p
		}
	}
	before := rg.DeepCopy()
	rg.Status = status(rg, pair, r.Now())
	var result ctrl.Result
	if r.Clusters != nil {
		result = r.probe(ctx, rg)
	}
	if equality.Semantic.DeepEqual(before.Status, rg.Status) {
		return result, nil
	}
	if err := r.Client.Status().Patch(ctx, rg, client.MergeFrom(before)); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to patch the status of Region %s: %w", rg.Name, err)
	}
	return result, nil
}

// probe reports in status whether the hub reaches the region's cluster, and
// asks to be called again to probe it again.
func (r *Reconciler) probe(ctx context.Context, rg *wavegatev1alpha1.Region) ctrl.Result {
	if rg.Spec.Cluster == nil {
		r.Clusters.Forget(rg.Name)
		meta.RemoveStatusCondition(&rg.Status.Conditions, wavegatev1alpha1.ConditionConnected)
		rg.Status.Cluster = nil
		return ctrl.Result{}
	}
	connected(rg, r.Clusters.Probe(ctx, rg), r.Now())
	every := r.ProbeInterval
	if every <= 0 {
		every = 30 * time.Second
	}
	return ctrl.Result{RequeueAfter: every}
}

// connected sets the Connected condition and status.cluster from a probe.
// lastContact moves only when the cluster answered.
func connected(rg *wavegatev1alpha1.Region, h clusters.Health, now time.Time) {
	c := metav1.Condition{Type: wavegatev1alpha1.ConditionConnected, ObservedGeneration: rg.Generation,
		Status: metav1.ConditionFalse, Reason: h.Reason, Message: h.Message, LastTransitionTime: metav1.Time{Time: now}}
	st := rg.Status.Cluster
	if st == nil {
		st = &wavegatev1alpha1.RegionClusterStatus{}
	}
	if h.Connected {
		c.Status = metav1.ConditionTrue
		st.ServerVersion = h.ServerVersion
		st.LastContact = &metav1.Time{Time: now.Truncate(time.Second)}
	}
	meta.SetStatusCondition(&rg.Status.Conditions, c)
	rg.Status.Cluster = st
}

// status returns a Region's status given its pair (nil when the pair does
// not exist or the region names none). A condition's lastTransitionTime is
// now only when its status changes.
func status(rg, pair *wavegatev1alpha1.Region, now time.Time) wavegatev1alpha1.RegionStatus {
	st := *rg.Status.DeepCopy()
	st.ObservedGeneration = rg.Generation
	ready := metav1.Condition{Type: wavegatev1alpha1.ConditionReady, ObservedGeneration: rg.Generation, LastTransitionTime: metav1.Time{Time: now}}
	name := rg.Spec.PairedRegion
	switch {
	case name == "":
		ready.Status, ready.Reason, ready.Message = metav1.ConditionTrue, wavegatev1alpha1.ReasonNoPair, "the region has no failover pair"
	case pair == nil:
		ready.Status, ready.Reason = metav1.ConditionFalse, wavegatev1alpha1.ReasonPairPending
		ready.Message = fmt.Sprintf("Region %s does not exist yet; create it with spec.pairedRegion %s. Meanwhile the two count as a failover pair for every safety rule", name, rg.Name)
	case pair.Spec.PairedRegion == rg.Name:
		ready.Status, ready.Reason, ready.Message = metav1.ConditionTrue, wavegatev1alpha1.ReasonPaired, fmt.Sprintf("paired with %s, which names this region back", name)
	case pair.Spec.PairedRegion == "":
		ready.Status, ready.Reason = metav1.ConditionFalse, wavegatev1alpha1.ReasonPairPending
		ready.Message = fmt.Sprintf("Region %s does not name %s back as its pair yet; set its spec.pairedRegion to %s. Meanwhile the two count as a failover pair for every safety rule", name, rg.Name, rg.Name)
	default:
		ready.Status, ready.Reason = metav1.ConditionFalse, wavegatev1alpha1.ReasonPairConflict
		ready.Message = fmt.Sprintf("Region %s names %s as its pair, not %s; a region has one failover pair, so correct one of them", name, pair.Spec.PairedRegion, rg.Name)
	}
	meta.SetStatusCondition(&st.Conditions, ready)
	return st
}

// SetupWithManager registers the reconciler. A Region's status depends on
// its pair, so a change to any Region also looks again at the region it
// names and at every region that names it.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	// Its own status writes (a probe's lastContact) need no second look.
	spec := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("region").
		For(&wavegatev1alpha1.Region{}, spec).
		Watches(&wavegatev1alpha1.Region{}, handler.EnqueueRequestsFromMapFunc(r.related), spec).
		Complete(r)
}

// related are the regions whose status may change with obj: the one it
// names and those that name it.
func (r *Reconciler) related(ctx context.Context, obj client.Object) []reconcile.Request {
	rg, ok := obj.(*wavegatev1alpha1.Region)
	if !ok {
		return nil
	}
	var out []reconcile.Request
	if rg.Spec.PairedRegion != "" {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Name: rg.Spec.PairedRegion}})
	}
	list := &wavegatev1alpha1.RegionList{}
	if err := r.Reader.List(ctx, list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list Regions to enqueue")
		return out
	}
	for _, other := range list.Items {
		if other.Spec.PairedRegion == rg.Name && other.Name != rg.Spec.PairedRegion {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Name: other.Name}})
		}
	}
	return out
}
