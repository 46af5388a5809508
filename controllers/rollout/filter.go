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

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

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
