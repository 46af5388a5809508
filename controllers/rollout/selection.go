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
	"sync"
	"time"

	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// A target informer holds only the objects some rollout names or selects,
// not every object of its kind: most ConfigMaps of a cluster (protected
// ones, other teams') are nobody's target, and an informer pays memory for
// each object it holds. The informer's list and watch still fetch the whole
// kind (the API server cannot filter by a union of selectors), and the
// objects no rollout wants are dropped before the informer stores them.
//
// Which objects are wanted changes as rollouts come and go, and an informer
// keeps what it listed: an object that was nobody's target when the kind was
// listed, and has not changed since, is not in the cache. So each informer
// remembers the filter it was created with (listed), and a rollout whose
// targets that filter does not cover reads them from the API server
// instead, until the informer is created again with a filter that does.
//
// Why that is enough: while an informer lives, its kind's filter only grows,
// so every list and watch event it ever sees is filtered by a superset of
// what it was created with; an object listed targets can have missed
// reached it neither by list nor by event.

// targetSource is one cluster's target cache and the API server behind it:
// this cluster's, or that of a region that is a cluster of its own.
type targetSource struct {
	// region is the region whose cluster it is; "" for this cluster.
	region string
	cache  cache.Cache
	// live reads the cluster's API server; nil: none (tests).
	live client.Reader
	// done is closed when the source is gone (a regional connection
	// dropped); nil for this cluster.
	done <-chan struct{}
}

// gone reports whether the source's connection was dropped.
func (s *targetSource) gone() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// watch is kind, stopped when the source is gone: a watch on a stopped cache
// would otherwise wait forever for its informer.
func (s *targetSource) watch(kind source.Source) source.Source {
	if s.done == nil {
		return kind
	}
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		ctx, cancel := context.WithCancel(ctx)
		go func() {
			defer cancel()
			select {
			case <-s.done:
			case <-ctx.Done():
			}
		}()
		return kind.Start(ctx, q)
	})
}

// kindKey is one target informer: a kind in a source's cache.
type kindKey struct {
	src *targetSource
	gvk schema.GroupVersionKind
}

// targetFilter is the selection of one kind: the objects any of a set of
// rollout targets match. It is never changed once built.
type targetFilter struct {
	targets []wavegatev1alpha1.TargetRef
	// ids are the targets, as targetID writes them.
	ids map[string]bool
	// names: target name to the namespaces it is named in ("" is any).
	names     map[string][]string
	selectors []scopedSelector
}

type scopedSelector struct {
	namespace string
	selector  labels.Selector
}

// targetID identifies what a target selects: its namespace, its name or
// its selector.
func targetID(t wavegatev1alpha1.TargetRef) string {
	if t.Selector != nil {
		return t.Namespace + "\x00\x00" + metav1.FormatLabelSelector(t.Selector)
	}
	return t.Namespace + "\x00" + t.Name
}

func newTargetFilter(targets []wavegatev1alpha1.TargetRef) *targetFilter {
	f := &targetFilter{ids: map[string]bool{}, names: map[string][]string{}}
	for _, t := range targets {
		id := targetID(t)
		if f.ids[id] {
			continue
		}
		if t.Selector == nil {
			f.ids[id] = true
			f.targets = append(f.targets, t)
			f.names[t.Name] = append(f.names[t.Name], t.Namespace)
			continue
		}
		// An invalid selector selects nothing: the rollout is Blocked with
		// InvalidTarget before it reads any target.
		if s, err := metav1.LabelSelectorAsSelector(t.Selector); err == nil {
			f.ids[id] = true
			f.targets = append(f.targets, t)
			f.selectors = append(f.selectors, scopedSelector{namespace: t.Namespace, selector: s})
		}
	}
	return f
}

// covers reports whether the filter keeps every object t selects.
func (f *targetFilter) covers(t wavegatev1alpha1.TargetRef) bool {
	return f != nil && f.ids[targetID(t)]
}

// keeps reports whether some target of the filter selects o.
func (f *targetFilter) keeps(o metav1.Object) bool {
	if f == nil {
		return false
	}
	for _, ns := range f.names[o.GetName()] {
		if ns == "" || ns == o.GetNamespace() {
			return true
		}
	}
	if len(f.selectors) == 0 {
		return false
	}
	set := labels.Set(o.GetLabels())
	for _, s := range f.selectors {
		if (s.namespace == "" || s.namespace == o.GetNamespace()) && s.selector.Matches(set) {
			return true
		}
	}
	return false
}

// selection holds, per target kind, the filter the informer applies to what
// it receives now (current), the one the informer was created with (listed;
// absent while there is no informer) and when that was.
type selection struct {
	scheme *runtime.Scheme
	now    func() time.Time

	mu      sync.Mutex
	current map[kindKey]*targetFilter
	listed  map[kindKey]*targetFilter
	created map[kindKey]time.Time
	// kinds serialize the decisions about one kind: what its filter is,
	// whether its informer is started, removed or read.
	kinds map[kindKey]*sync.Mutex
}

func newSelection(scheme *runtime.Scheme, now func() time.Time) *selection {
	if now == nil {
		now = time.Now
	}
	return &selection{
		scheme:  scheme,
		now:     now,
		current: map[kindKey]*targetFilter{},
		listed:  map[kindKey]*targetFilter{},
		created: map[kindKey]time.Time{},
		kinds:   map[kindKey]*sync.Mutex{},
	}
}

// lock takes the kind's lock and returns its unlock.
func (s *selection) lock(k kindKey) func() {
	s.mu.Lock()
	m, ok := s.kinds[k]
	if !ok {
		m = &sync.Mutex{}
		s.kinds[k] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// want makes the current filter of gvk cover t. When it does not yet, the
// filter grows by every target in all (called only then) and t.
func (s *selection) want(k kindKey, t wavegatev1alpha1.TargetRef, all func() []wavegatev1alpha1.TargetRef) {
	s.mu.Lock()
	old := s.current[k]
	s.mu.Unlock()
	if old.covers(t) {
		return
	}
	var targets []wavegatev1alpha1.TargetRef
	if old != nil {
		targets = append(targets, old.targets...)
	}
	f := newTargetFilter(append(append(targets, all()...), t))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current[k] = f
}

// reset replaces the filter of gvk, which may then shrink: only while the
// kind has no informer, so nothing it holds can be missed.
func (s *selection) reset(k kindKey, targets []wavegatev1alpha1.TargetRef) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current[k] = newTargetFilter(targets)
}

// cached reports whether the informer of gvk holds every object t selects:
// it was created with a filter that covers t, or there is none yet (the one
// a read starts is created with the current filter, which want made cover t).
func (s *selection) cached(k kindKey, t wavegatev1alpha1.TargetRef) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	listed, ok := s.listed[k]
	return !ok || listed.covers(t)
}

// mayRelist reports whether the informer of gvk is at least interval old.
func (s *selection) mayRelist(k kindKey, interval time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now().Sub(s.created[k]) >= interval
}

// starting records that an informer of gvk is created, and returns the
// filter it starts with.
func (s *selection) starting(k kindKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed[k] = s.current[k]
	s.created[k] = s.now()
}

// forget drops everything kept about src's kinds (its connection is gone).
func (s *selection) forget(src *targetSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.current {
		if k.src == src {
			delete(s.current, k)
		}
	}
	for k := range s.listed {
		if k.src == src {
			delete(s.listed, k)
		}
	}
	for k := range s.created {
		if k.src == src {
			delete(s.created, k)
		}
	}
	for k := range s.kinds {
		if k.src == src {
			delete(s.kinds, k)
		}
	}
}

// removed records that the informer of gvk is gone.
func (s *selection) removed(k kindKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listed, k)
}

// keeps reports whether the current filter of gvk keeps o.
func (s *selection) keeps(k kindKey, o metav1.Object) bool {
	return s.filter(k).keeps(o)
}

// filter is the current filter of gvk.
func (s *selection) filter(k kindKey) *targetFilter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current[k]
}

// state is what stopWatching changes, to put back if it fails.
type state struct {
	current, listed *targetFilter
	hasListed       bool
}

func (s *selection) save(k kindKey) state {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.listed[k]
	return state{current: s.current[k], listed: l, hasListed: ok}
}

func (s *selection) restore(k kindKey, st state) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current[k] = st.current
	if st.hasListed {
		s.listed[k] = st.listed
	}
}

// newInformer is the informer constructor of src's target cache: the
// informer controller-runtime would build, with its list and watch filtered.
func (s *selection) newInformer(src *targetSource) func(toolscache.ListerWatcher, runtime.Object, time.Duration, toolscache.Indexers) toolscache.SharedIndexInformer {
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
		gvk, err := apiutil.GVKForObject(obj, s.scheme)
		if err != nil {
			// Not a kind this process can name: keep it whole rather than guess.
			return toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
		}
		k := kindKey{src, gvk}
		s.starting(k)
		return toolscache.NewSharedIndexInformer(&filteredLW{inner: toolscache.ToListerWatcherWithContext(lw), key: k, sel: s, known: map[string]bool{}}, obj, resync, indexers)
	}
}

// newTargetSource builds a target cache for a cluster and its source; the
// cache is not started.
func (s *selection) newTargetSource(region string, cfg *rest.Config, opts cache.Options, live client.Reader, done <-chan struct{}) (*targetSource, error) {
	src := &targetSource{region: region, live: live, done: done}
	opts.Scheme = s.scheme
	opts.DefaultTransform = cache.TransformStripManagedFields()
	opts.NewInformer = s.newInformer(src)
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	src.cache = c
	return src, nil
}

// filteredLW passes on the objects the selection keeps. It also passes on
// a change to an object it passed on before, even one the selection no
// longer keeps, so the informer never holds an outdated copy: it holds it
// as it is now until the next list drops it.
type filteredLW struct {
	inner toolscache.ListerWatcherWithContext
	key   kindKey
	sel   *selection

	mu    sync.Mutex
	known map[string]bool // namespace/name of every object passed on since the last list
}

func (f *filteredLW) List(opts metav1.ListOptions) (runtime.Object, error) {
	return f.ListWithContext(context.Background(), opts)
}

func (f *filteredLW) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return f.WatchWithContext(context.Background(), opts)
}

func (f *filteredLW) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	list, err := f.inner.ListWithContext(ctx, opts)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// A list may come in pages (opts.Continue): the first page starts anew.
	if opts.Continue == "" {
		f.known = map[string]bool{}
	}
	// One filter for the page: it is at least the informer's creation
	// filter, since a filter only grows while its informer lives.
	filter := f.sel.filter(f.key)
	kept := items[:0]
	for _, item := range items {
		if o, err := meta.Accessor(item); err == nil && filter.keeps(o) {
			kept = append(kept, item)
			f.known[o.GetNamespace()+"/"+o.GetName()] = true
		}
	}
	if err := meta.SetList(list, kept); err != nil {
		return nil, err
	}
	return list, nil
}

func (f *filteredLW) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	w, err := f.inner.WatchWithContext(ctx, opts)
	if err != nil {
		return nil, err
	}
	// A watch that starts with the current state (WatchList) is a list.
	if opts.SendInitialEvents != nil && *opts.SendInitialEvents {
		f.mu.Lock()
		f.known = map[string]bool{}
		f.mu.Unlock()
	}
	return newFilteredWatch(w, f.pass), nil
}

// pass decides whether the informer sees one watch event.
func (f *filteredLW) pass(e watch.Event) bool {
	o, err := meta.Accessor(e.Object)
	if err != nil {
		return true // an error event carries a Status, for the reflector
	}
	key := o.GetNamespace() + "/" + o.GetName()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch e.Type {
	case watch.Added, watch.Modified:
		if f.known[key] || f.sel.keeps(f.key, o) {
			f.known[key] = true
			return true
		}
		return false
	case watch.Deleted:
		pass := f.known[key]
		delete(f.known, key)
		return pass
	default:
		return true // bookmarks
	}
}

// filteredWatch passes on the events keep keeps. Unlike watch.Filter it
// stops sending once stopped, so an event in flight when the reflector
// stops reading does not leave its goroutine behind.
type filteredWatch struct {
	inner  watch.Interface
	result chan watch.Event
	stop   chan struct{}
	once   sync.Once
}

func newFilteredWatch(inner watch.Interface, keep func(watch.Event) bool) watch.Interface {
	w := &filteredWatch{inner: inner, result: make(chan watch.Event), stop: make(chan struct{})}
	go func() {
		defer close(w.result)
		for e := range inner.ResultChan() {
			if !keep(e) {
				continue
			}
			select {
			case w.result <- e:
			case <-w.stop:
				return
			}
		}
	}()
	return w
}

func (w *filteredWatch) ResultChan() <-chan watch.Event { return w.result }

func (w *filteredWatch) Stop() {
	w.once.Do(func() {
		close(w.stop)
		w.inner.Stop()
	})
}

// relistInterval is the least age of a target informer before a new
// rollout's selection makes it list again: a list fetches every object of
// the kind. In between, such a rollout reads its targets from the API
// server.
var relistInterval = 10 * time.Second

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
	if k.src.live == nil {
		// Nothing else to read from (tests): list the kind again now.
		return k.src.cache, r.relist(ctx, k, []wavegatev1alpha1.TargetRef{t})
	}
	if !r.selection.mayRelist(k, relistInterval) || !r.synced(ctx, k) {
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

// readTargets lists the rollout's targets of kind k through reader (from
// targetReader), asking the API server to filter by name as a cache would.
func (r *Reconciler) readTargets(ctx context.Context, k kindKey, reader client.Reader, ro *wavegatev1alpha1.ConfigRollout, opts []client.ListOption) ([]unstructured.Unstructured, error) {
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
