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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
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
	// live reads the cluster's API server.
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
	dropSource(s.current, src)
	dropSource(s.listed, src)
	dropSource(s.created, src)
	dropSource(s.kinds, src)
}

func dropSource[V any](m map[kindKey]V, src *targetSource) {
	for k := range m {
		if k.src == src {
			delete(m, k)
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
