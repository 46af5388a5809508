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

package rollout

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/enqueue"
)

// Field indexes on ConfigRollouts.
const (
	indexTargetGVK = "spec.target.gvk"
	indexDependsOn = "spec.dependsOn"
)

// SetupWithManager registers the reconciler. Besides its own kind it watches
// Freezes, WavePlans and Regions (any of them can move every rollout), the
// rollouts it depends on, and, from the first rollout that names a kind on,
// the target objects of that kind: a pin added to a target shows in status
// within seconds, not at the next timer.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &wavegatev1alpha1.ConfigRollout{}, indexTargetGVK, targetGVKIndex); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &wavegatev1alpha1.ConfigRollout{}, indexDependsOn, func(o client.Object) []string {
		return o.(*wavegatev1alpha1.ConfigRollout).Spec.DependsOn
	}); err != nil {
		return err
	}
	// The targets have a cache of their own, which keeps only the objects
	// some rollout selects (selection.go).
	r.selection = newSelection(mgr.GetScheme(), nil)
	local, err := r.selection.newTargetSource("", mgr.GetConfig(), cache.Options{HTTPClient: mgr.GetHTTPClient(), Mapper: mgr.GetRESTMapper()}, mgr.GetAPIReader(), nil)
	if err != nil {
		return err
	}
	if err := mgr.Add(local.cache); err != nil {
		return err
	}
	r.local = local
	all := handler.EnqueueRequestsFromMapFunc(enqueue.All(r.Reader, func() client.ObjectList { return &wavegatev1alpha1.ConfigRolloutList{} }))
	c, err := ctrl.NewControllerManagedBy(mgr).
		// A rollout's own status writes need no second look; spec changes do.
		For(&wavegatev1alpha1.ConfigRollout{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A Freeze's count of paused rollouts moves as they pause; only its
		// spec and whether it is active can move a rollout.
		Watches(&wavegatev1alpha1.Freeze{}, all, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, freezeActiveChanged))).
		Watches(&wavegatev1alpha1.WavePlan{}, all).
		// A Region's probe writes its lastContact every 30 s; only its spec
		// and whether its cluster is connected can move a rollout.
		Watches(&wavegatev1alpha1.Region{}, all, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, connectedChanged))).
		Watches(&wavegatev1alpha1.ConfigRollout{}, handler.EnqueueRequestsFromMapFunc(r.dependents)).
		// Each rollout is reconciled by one worker at a time; sixteen workers
		// keep a thousand rollouts from queueing behind each status write.
		WithOptions(controller.Options{MaxConcurrentReconciles: 16}).
		Build(r)
	if err != nil {
		return err
	}
	r.watchSource = c.Watch
	// The leader stops watching a target kind once no rollout names it.
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(sweepInterval):
			}
			if err := r.stopUnusedWatches(ctx); err != nil {
				ctrl.LoggerFrom(ctx).Error(err, "Failed to stop watching unused target kinds")
			}
		}
	}))
}

// targetGVKIndex indexes a rollout by the kind of its targets.
func targetGVKIndex(o client.Object) []string {
	gvk, err := targetGVK(o.(*wavegatev1alpha1.ConfigRollout))
	if err != nil {
		return nil
	}
	return []string{gvk.String()}
}

// freezeActiveChanged passes a Freeze update that turns it active or
// inactive.
var freezeActiveChanged = predicate.Funcs{UpdateFunc: func(e ctrlevent.UpdateEvent) bool {
	before, ok1 := e.ObjectOld.(*wavegatev1alpha1.Freeze)
	after, ok2 := e.ObjectNew.(*wavegatev1alpha1.Freeze)
	return !ok1 || !ok2 || before.Status.Active != after.Status.Active
}}

// connectedChanged passes a Region update that connects or disconnects its
// cluster.
var connectedChanged = predicate.Funcs{UpdateFunc: func(e ctrlevent.UpdateEvent) bool {
	before, ok1 := e.ObjectOld.(*wavegatev1alpha1.Region)
	after, ok2 := e.ObjectNew.(*wavegatev1alpha1.Region)
	if !ok1 || !ok2 {
		return true
	}
	connected := func(rg *wavegatev1alpha1.Region) bool {
		return meta.IsStatusConditionTrue(rg.Status.Conditions, wavegatev1alpha1.ConditionConnected)
	}
	return connected(before) != connected(after)
}}

// sweepInterval is how often unused target informers are looked for.
const sweepInterval = time.Minute

// stopUnusedWatches removes the informer of every target kind no rollout
// names any more, in this cluster and in the regional ones: an informer
// holds objects in memory, so one left behind by a deleted rollout would
// cost memory for as long as the manager runs. It also forgets the watches
// of regional connections that were dropped (their caches stopped).
func (r *Reconciler) stopUnusedWatches(ctx context.Context) error {
	list := &wavegatev1alpha1.ConfigRolloutList{}
	if err := r.Reader.List(ctx, list); err != nil {
		return err
	}
	used := map[schema.GroupVersionKind]bool{}
	for i := range list.Items {
		if gvk, err := targetGVK(&list.Items[i]); err == nil {
			used[gvk] = true
		}
	}
	var errs []error
	r.watching.Range(func(v, _ any) bool {
		switch k := v.(kindKey); {
		case k.src.gone():
			r.watching.Delete(k)
			r.selection.forget(k.src)
		case !used[k.gvk]:
			errs = append(errs, r.stopUnused(ctx, k))
		}
		return true
	})
	r.regional.Range(func(c, src any) bool {
		if src := src.(*targetSource); src.gone() {
			r.regional.Delete(c)
			r.selection.forget(src)
		}
		return true
	})
	return errors.Join(errs...)
}

// stopUnused stops watching gvk unless a rollout that names it appeared
// since the sweep listed them, or its informer is still listing (a reader
// waiting on it would wait in vain); the next sweep looks again.
func (r *Reconciler) stopUnused(ctx context.Context, k kindKey) error {
	defer r.selection.lock(k)()
	if all, err := r.targetsOfKind(ctx, k.gvk); err != nil || len(all) > 0 || !r.synced(ctx, k) {
		return err
	}
	return r.stopWatching(ctx, k, nil)
}

// dependents are the rollouts whose dependsOn names the changed rollout.
func (r *Reconciler) dependents(ctx context.Context, o client.Object) []reconcile.Request {
	return r.requests(ctx, nil, client.MatchingFields{indexDependsOn: o.GetName()})
}

// rolloutsOf maps a changed target object to the rollouts that select it.
func (r *Reconciler) rolloutsOf(gvk schema.GroupVersionKind) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		return r.requests(ctx, func(ro *wavegatev1alpha1.ConfigRollout) bool { return selectorMatches(ro, o) },
			client.MatchingFields{indexTargetGVK: gvk.String()})
	}
}

func (r *Reconciler) requests(ctx context.Context, keep func(*wavegatev1alpha1.ConfigRollout) bool, opts ...client.ListOption) []reconcile.Request {
	list := &wavegatev1alpha1.ConfigRolloutList{}
	if err := r.Reader.List(ctx, list, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list ConfigRollouts to enqueue")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		if keep == nil || keep(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}
