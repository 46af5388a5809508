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

package facts

import (
	"context"
	"fmt"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/regions"
)

// Feed keeps an Index current from a manager's informer cache.
type Feed struct {
	mu      sync.Mutex
	waiting []func() bool
}

// Synced reports whether every informer feeding the Index has synced. Until
// then the gate denies: it would judge against facts it does not have.
func (f *Feed) Synced() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, synced := range f.waiting {
		if !synced() {
			return false
		}
	}
	return true
}

// Track registers a sync check (such as a metadata informer's HasSynced).
func (f *Feed) Track(synced func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiting = append(f.waiting, synced)
}

// WatchAll feeds ix with Regions, WavePlans, Freezes, ConfigRollouts,
// AutomationPolicies, ChangeRecords and Namespace region labels.
func (f *Feed) WatchAll(ctx context.Context, c cache.Cache, ix *Index) error {
	if err := f.WatchInventory(ctx, c, ix); err != nil {
		return err
	}
	return f.WatchNamespaces(ctx, c, ix)
}

// WatchInventory feeds the index with Wavegate's own kinds from c: the
// cluster's own cache, or an agent's hub.
func (f *Feed) WatchInventory(ctx context.Context, c cache.Cache, ix *Index) error {
	return f.watchEach(ctx, c,
		watch(&wavegatev1alpha1.Region{}, ix.SetRegion, ix.DeleteRegion),
		watch(&wavegatev1alpha1.WavePlan{}, ix.SetWavePlan, ix.DeleteWavePlan),
		watch(&wavegatev1alpha1.Freeze{}, ix.SetFreeze, ix.DeleteFreeze),
		watch(&wavegatev1alpha1.ConfigRollout{}, ix.SetConfigRollout, ix.DeleteConfigRollout),
		watch(&wavegatev1alpha1.AutomationPolicy{}, ix.SetAutomationPolicy, ix.DeleteAutomationPolicy),
		watch(&wavegatev1alpha1.ChangeRecord{}, ix.SetChangeRecord, ix.DeleteChangeRecord),
	)
}

// WatchNamespaces feeds the index with the Namespaces' region labels.
func (f *Feed) WatchNamespaces(ctx context.Context, c cache.Cache, ix *Index) error {
	return f.watchEach(ctx, c,
		watch(regions.Namespace(), func(ns *metav1.PartialObjectMetadata) { ix.SetNamespace(ns.Name, ns.Labels) }, ix.DeleteNamespace))
}

// WatchLocalFreezes feeds the index with the Freezes of an agent's own
// cluster, beside its hub's: a Freeze created there (wavegate pause
// --context <regional>) stops changes even while the hub is unreachable.
// They are indexed as local/<name>, so they never replace a hub Freeze of
// the same name.
func (f *Feed) WatchLocalFreezes(ctx context.Context, c cache.Cache, ix *Index) error {
	return f.watchEach(ctx, c, watch(&wavegatev1alpha1.Freeze{},
		func(frz *wavegatev1alpha1.Freeze) {
			local := frz.DeepCopy()
			local.Name = LocalFreezeName(frz.Name)
			ix.SetFreeze(local)
		},
		func(name string) { ix.DeleteFreeze(LocalFreezeName(name)) }))
}

// RefreshHubFreezes makes the index's hub Freezes exactly list, as read
// from the hub just now; the agent's own Freezes (local/<name>) stay. An
// agent calls it on every heartbeat, so the Freezes it judges by are never
// older than its last sync, even while an informer waits to re-list after
// an outage.
func RefreshHubFreezes(ix *Index, list []wavegatev1alpha1.Freeze) {
	listed := make(map[string]bool, len(list))
	for i := range list {
		listed[list[i].Name] = true
		ix.SetFreeze(&list[i])
	}
	for _, name := range ix.FreezeNames() {
		if !listed[name] && !strings.HasPrefix(name, LocalFreezeName("")) {
			ix.DeleteFreeze(name)
		}
	}
}

// LocalFreezeName is how an agent names a Freeze of its own cluster.
func LocalFreezeName(name string) string { return "local/" + name }

// watcher binds one kind to the Index's setter and deleter.
type watcher struct {
	obj      client.Object
	handlers toolscache.ResourceEventHandlerFuncs
}

func watch[T client.Object](obj T, set func(T), del func(name string)) watcher {
	onSet := func(o any) {
		if t, ok := o.(T); ok {
			set(t)
		}
	}
	return watcher{obj: obj, handlers: toolscache.ResourceEventHandlerFuncs{
		AddFunc:    onSet,
		UpdateFunc: func(_, o any) { onSet(o) },
		DeleteFunc: func(o any) {
			if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = tomb.Obj
			}
			if t, ok := o.(client.Object); ok {
				del(t.GetName())
			}
		},
	}}
}

func (f *Feed) watchEach(ctx context.Context, c cache.Cache, ws ...watcher) error {
	for _, w := range ws {
		inf, err := c.GetInformer(ctx, w.obj)
		if err != nil {
			return fmt.Errorf("failed to get the informer for %T: %w", w.obj, err)
		}
		reg, err := inf.AddEventHandler(w.handlers)
		if err != nil {
			return fmt.Errorf("failed to watch %T: %w", w.obj, err)
		}
		f.Track(reg.HasSynced)
	}
	return nil
}
