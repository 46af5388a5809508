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
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/clusters"
)

// Regions that are clusters of their own (Region spec.cluster): their
// targets are found, watched and patched in that cluster, through the
// connection the Region controller keeps (clusters.Registry). Every object
// there belongs to the region unless its own region label names another.

// regionalReadTimeout bounds the first read of a regional cluster's targets
// (its informer syncing); an unreachable cluster must not hold a worker.
const regionalReadTimeout = 10 * time.Second

// regionalTargets replaces, for every region of the plan that is a cluster,
// what the local list found with the targets in that cluster, and notes in
// w which regions are clusters and the client that reaches each. A region
// whose cluster is not reached makes the rollout wait, naming the region (the
// first such): it is never skipped. A region in spec.skipRegions is left
// alone, so skipping is the way past a cluster that is gone.
func (r *Reconciler) regionalTargets(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, inventory []wavegatev1alpha1.Region,
	w *world, targets map[string][]*unstructured.Unstructured) *failure {
	w.clustered, w.patchers = map[string]bool{}, map[string]client.Client{}
	wanted := planRegions(w.plan, ro.Spec.SkipRegions)
	var first *failure
	for i := range inventory {
		rg := &inventory[i]
		if rg.Spec.Cluster == nil {
			continue
		}
		// Objects of this cluster labelled with a region that is a cluster
		// of its own are not that region's targets.
		delete(targets, rg.Name)
		w.clustered[rg.Name] = true
		if !wanted[rg.Name] {
			continue
		}
		c, h := r.cluster(rg.Name)
		if c == nil {
			first = cmp.Or(first, &failure{reason: wavegatev1alpha1.ReasonClusterNotConnected,
				message: fmt.Sprintf("region %s is a cluster the hub does not reach (%s: %s); the rollout waits for it rather than skip it", rg.Name, h.Reason, h.Message)})
			continue
		}
		w.patchers[rg.Name] = c.Client
		found, f := r.listRegional(ctx, c, ro)
		if f != nil {
			first = cmp.Or(first, f)
			continue
		}
		targets[rg.Name] = found
	}
	return first
}

func (r *Reconciler) cluster(region string) (*clusters.Cluster, clusters.Health) {
	if r.Clusters == nil {
		return nil, clusters.Health{Reason: wavegatev1alpha1.ReasonUnreachable, Message: "this manager does not connect to regional clusters"}
	}
	return r.Clusters.Get(region)
}

// onlyClusters reports whether every region the rollout can reach is a
// cluster of its own (false without a plan).
func onlyClusters(plan *wavegatev1alpha1.WavePlan, skip []wavegatev1alpha1.SkipRegion, inventory []wavegatev1alpha1.Region) bool {
	wanted := planRegions(plan, skip)
	if len(wanted) == 0 {
		return false
	}
	clustered := map[string]bool{}
	for i := range inventory {
		if inventory[i].Spec.Cluster != nil {
			clustered[inventory[i].Name] = true
		}
	}
	for region := range wanted {
		if !clustered[region] {
			return false
		}
	}
	return true
}

// planRegions are the plan's regions but those the rollout skips.
func planRegions(plan *wavegatev1alpha1.WavePlan, skip []wavegatev1alpha1.SkipRegion) map[string]bool {
	out := map[string]bool{}
	if plan == nil {
		return out
	}
	for _, w := range plan.Spec.Waves {
		for _, region := range w.Regions {
			out[region] = true
		}
	}
	for _, s := range skip {
		delete(out, s.Name)
	}
	return out
}

// listRegional lists the rollout's targets in a regional cluster, through
// that cluster's cache, and watches them there so a change (a pin, a
// finished workload rollout) moves the rollout at once.
func (r *Reconciler) listRegional(ctx context.Context, c *clusters.Cluster, ro *wavegatev1alpha1.ConfigRollout) ([]*unstructured.Unstructured, *failure) {
	gvk, opts, invalid := listOptions(ro)
	if invalid != nil {
		return nil, invalid
	}
	ctx, cancel := context.WithTimeout(ctx, regionalReadTimeout)
	defer cancel()
	src, err := r.regionalSource(ctx, c)
	if err != nil {
		return nil, notReadable(c.Region, gvk, err)
	}
	items, err := r.read(ctx, kindKey{src, gvk}, ro, opts)
	if err != nil {
		return nil, notReadable(c.Region, gvk, err)
	}
	// As the agent there judges it: the object's own region label, else
	// its Namespace's, else the cluster's region.
	namespaces := namespaceLabels{reader: c.Cache, seen: map[string]map[string]string{}}
	var out []*unstructured.Unstructured
	for i := range items {
		t := &items[i]
		if name := ro.Spec.Target.Name; name != "" && t.GetName() != name {
			continue
		}
		region, err := namespaces.regionOf(ctx, t)
		if err != nil {
			return nil, notReadable(c.Region, gvk, err)
		}
		if region != "" && region != c.Region {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

func notReadable(region string, gvk schema.GroupVersionKind, err error) *failure {
	return &failure{reason: wavegatev1alpha1.ReasonClusterNotConnected,
		message: fmt.Sprintf("the %s targets in region %s's cluster cannot be read: %v; the rollout waits for them rather than skip the region", gvk.Kind, region, err)}
}

// regionalSource is the target cache of a regional connection, made (and
// started, until the connection is dropped) the first time it is read. A
// kubeconfig that changes brings a new connection, so a new cache.
func (r *Reconciler) regionalSource(ctx context.Context, c *clusters.Cluster) (*targetSource, error) {
	if src, ok := r.regional.Load(c); ok {
		return src.(*targetSource), nil
	}
	select {
	case <-c.Done:
		// A connection dropped since the worker got it: never build on it.
		return nil, fmt.Errorf("the connection to region %s's cluster was replaced; looking again", c.Region)
	default:
	}
	src, err := r.selection.newTargetSource(c.Region, c.Config, cache.Options{HTTPClient: c.HTTPClient, Mapper: c.Mapper}, c.Client, c.Done)
	if err != nil {
		return nil, err
	}
	if actual, loaded := r.regional.LoadOrStore(c, src); loaded {
		return actual.(*targetSource), nil // this one was never started
	}
	runCtx, cancel := context.WithCancel(context.Background())
	go func() {
		<-c.Done
		cancel()
	}()
	go func() { _ = src.cache.Start(runCtx) }()
	// A read of a cache that has not started yet fails: wait for the start
	// (with no informer yet, that is all WaitForCacheSync waits for).
	if !src.cache.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the target cache of region %s's cluster did not start: %w", c.Region, context.Cause(ctx))
	}
	return src, nil
}
