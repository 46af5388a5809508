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
	"cmp"
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// defaultRelistAfter is Reconciler.RelistAfter's default.
const defaultRelistAfter = 10 * time.Second

// targetReadTimeout bounds a read of targets, which through a new informer
// waits for it to sync.
const targetReadTimeout = time.Minute

// targetReader says where the rollout's targets of kind k are read (the
// source's cache when its informer holds them, else the source's API
// server) and makes sure the kind is watched there. Every decision about a
// kind is taken under its lock.
func (r *Reconciler) targetReader(ctx context.Context, k kindKey, ro *wavegatev1alpha1.ConfigRollout) (client.Reader, error) {
	defer r.selection.lock(k)()
	t := ro.Spec.Target
	r.selection.want(k, t, func() []wavegatev1alpha1.TargetRef {
		all, err := r.targetsOfKind(ctx, k.gvk)
		if err != nil {
			// The filter then covers the rollout at hand; the others ask again.
			ctrl.LoggerFrom(ctx).Error(err, "Failed to list the ConfigRollouts of a target kind", "kind", k.gvk.String())
		}
		return all
	})
	// An informer may exist without a watch (a read started it after the
	// sweep stopped the kind): what it covers is all that counts.
	if r.selection.cached(k, t) {
		return k.src.cache, r.ensureWatch(k)
	}
	if !r.selection.mayRelist(k, cmp.Or(r.RelistAfter, defaultRelistAfter)) || !r.synced(ctx, k) {
		// Too soon to list the kind again, or its informer is still
		// listing (removing it would leave every reader waiting on it).
		return k.src.live, nil
	}
	all, err := r.targetsOfKind(ctx, k.gvk)
	if err != nil {
		// A list of the kind that left out some rollout would cost it a
		// list of its own: read from the API server this once.
		return k.src.live, nil //nolint:nilerr // the API server is the fallback
	}
	// The new informer may leave out what no rollout selects any more.
	return k.src.cache, r.relist(ctx, k, append(all, t))
}

// read lists the rollout's targets of kind k where targetReader says,
// asking the API server to filter by name as the cache's reader does.
func (r *Reconciler) read(ctx context.Context, k kindKey, ro *wavegatev1alpha1.ConfigRollout, opts []client.ListOption) ([]unstructured.Unstructured, error) {
	reader, err := r.targetReader(ctx, k, ro)
	if err != nil {
		return nil, err
	}
	if ns := ro.Spec.Target.Namespace; ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if name := ro.Spec.Target.Name; name != "" && reader == k.src.live {
		opts = append(opts, client.MatchingFields{"metadata.name": name})
	}
	return listTargets(ctx, reader, r.scheme(), k.gvk, opts...)
}

// relist replaces the informer of k with one filtered by keep, and watches
// the kind through it.
func (r *Reconciler) relist(ctx context.Context, k kindKey, keep []wavegatev1alpha1.TargetRef) error {
	if err := r.stopWatching(ctx, k, keep); err != nil {
		return fmt.Errorf("failed to list %s again for a new selection: %w", k.gvk.Kind, err)
	}
	return r.ensureWatch(k)
}

// synced reports whether the target informer of k has synced.
func (r *Reconciler) synced(ctx context.Context, k kindKey) bool {
	inf, err := k.src.cache.GetInformer(ctx, targetObject(r.scheme(), k.gvk), cache.BlockUntilSynced(false))
	return err == nil && inf.HasSynced()
}

// targetsOfKind are the targets of every rollout of gvk the cache holds.
func (r *Reconciler) targetsOfKind(ctx context.Context, gvk schema.GroupVersionKind) ([]wavegatev1alpha1.TargetRef, error) {
	list := &wavegatev1alpha1.ConfigRolloutList{}
	if err := r.Reader.List(ctx, list, client.MatchingFields{indexTargetGVK: gvk.String()}); err != nil {
		return nil, err
	}
	out := make([]wavegatev1alpha1.TargetRef, len(list.Items))
	for i := range list.Items {
		out[i] = list.Items[i].Spec.Target
	}
	return out, nil
}

// stopWatching removes the target informer of k; the next watch or read of
// the kind starts one, with a filter of keep when keep is not nil. The
// caller holds the kind's lock.
func (r *Reconciler) stopWatching(ctx context.Context, k kindKey, keep []wavegatev1alpha1.TargetRef) error {
	// Both before the informer goes: a read that starts the next one
	// records the filter it starts with, which must be the new one and must
	// not then be forgotten.
	saved := r.selection.save(k)
	r.selection.removed(k)
	if keep != nil {
		r.selection.reset(k, keep)
	}
	if err := k.src.cache.RemoveInformer(ctx, targetObject(r.scheme(), k.gvk)); err != nil {
		// The informer lives on: so do its filters.
		r.selection.restore(k, saved)
		return err
	}
	r.watching.Delete(k)
	return nil
}
