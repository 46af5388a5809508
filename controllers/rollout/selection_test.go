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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

var (
	configMapKind = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	configMaps    = kindKey{src: &targetSource{}, gvk: configMapKind}
)

func configMap(ns, name string, labels map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
}

func byName(ns, name string) wavegatev1alpha1.TargetRef {
	return wavegatev1alpha1.TargetRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: ns, Name: name}
}

func bySelector(ns string, labels map[string]string) wavegatev1alpha1.TargetRef {
	return wavegatev1alpha1.TargetRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: ns, Selector: &metav1.LabelSelector{MatchLabels: labels}}
}

func TestATargetFilterKeepsWhatSomeTargetSelects(t *testing.T) {
	f := newTargetFilter([]wavegatev1alpha1.TargetRef{
		byName("app", "settings"),
		byName("", "everywhere"),
		bySelector("", map[string]string{"tier": "web"}),
		bySelector("db", map[string]string{"tier": "db"}),
		{Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Bogus"}}}},
	})
	for _, c := range []struct {
		obj  *corev1.ConfigMap
		keep bool
	}{
		{configMap("app", "settings", nil), true},
		{configMap("other", "settings", nil), false},
		{configMap("any", "everywhere", nil), true},
		{configMap("any", "x", map[string]string{"tier": "web"}), true},
		{configMap("db", "x", map[string]string{"tier": "db"}), true},
		{configMap("app", "x", map[string]string{"tier": "db"}), false},
		{configMap("app", "x", map[string]string{"wavegate.io/protection": "protected"}), false},
	} {
		if got := f.keeps(c.obj); got != c.keep {
			t.Errorf("keeps(%s/%s %v) = %v, want %v", c.obj.Namespace, c.obj.Name, c.obj.Labels, got, c.keep)
		}
	}
	g := NewWithT(t)
	g.Expect(f.covers(byName("app", "settings"))).To(BeTrue())
	g.Expect(f.covers(bySelector("", map[string]string{"tier": "web"}))).To(BeTrue())
	g.Expect(f.covers(byName("", "settings"))).To(BeFalse(), "a name in every namespace selects more than the name in one")
	g.Expect(f.covers(bySelector("app", map[string]string{"tier": "web"}))).To(BeFalse(), "coverage is by identical target, not by inclusion")
	var none *targetFilter
	g.Expect(none.keeps(configMap("app", "settings", nil))).To(BeFalse())
	g.Expect(none.covers(byName("app", "settings"))).To(BeFalse())
}

// fakeLW serves a fixed list and hands out one fake watch.
type fakeLW struct {
	pages [][]corev1.ConfigMap // one list, page by page
	w     *watch.FakeWatcher
}

func (l *fakeLW) lw() toolscache.ListerWatcher {
	return &toolscache.ListWatch{
		ListWithContextFunc: func(_ context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			page := 0
			if opts.Continue != "" {
				page = int(opts.Continue[0] - '0')
			}
			list := &corev1.ConfigMapList{Items: append([]corev1.ConfigMap{}, l.pages[page]...)}
			if page+1 < len(l.pages) {
				list.Continue = string(rune('0' + page + 1))
			}
			return list, nil
		},
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) { return l.w, nil },
	}
}

func names(list runtime.Object) []string {
	var out []string
	for _, cm := range list.(*corev1.ConfigMapList).Items {
		out = append(out, cm.Namespace+"/"+cm.Name)
	}
	return out
}

func TestTheTargetInformerListsAndWatchesOnlyWhatTheSelectionKeeps(t *testing.T) {
	g := NewWithT(t)
	sel := newSelection(nil, nil)
	sel.want(configMaps, bySelector("", map[string]string{"tier": "web"}), func() []wavegatev1alpha1.TargetRef { return nil })
	src := &fakeLW{
		pages: [][]corev1.ConfigMap{
			{*configMap("app", "web-1", map[string]string{"tier": "web"}), *configMap("app", "protected", nil)},
			{*configMap("app", "web-2", map[string]string{"tier": "web"})},
		},
		w: watch.NewFakeWithChanSize(10, false),
	}
	f := &filteredLW{inner: toolscache.ToListerWatcherWithContext(src.lw()), key: configMaps, sel: sel, known: map[string]bool{}}

	first, err := f.List(metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names(first)).To(Equal([]string{"app/web-1"}))
	second, err := f.List(metav1.ListOptions{Continue: "1"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names(second)).To(Equal([]string{"app/web-2"}))
	g.Expect(f.known).To(HaveLen(2), "a later page adds to the first")
	g.Expect(sel.cached(configMaps, bySelector("", map[string]string{"tier": "web"}))).To(BeTrue())

	w, err := f.Watch(metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	src.w.Add(configMap("app", "other", nil))                                                            // nobody's target: dropped
	src.w.Modify(configMap("app", "web-1", nil))                                                         // no longer selected, but held: passed on
	src.w.Delete(configMap("app", "other", nil))                                                         // never passed on: dropped
	src.w.Add(configMap("app", "web-3", map[string]string{"tier": "web"}))                               // selected: passed on
	src.w.Modify(configMap("app", "web-1", map[string]string{"tier": "db"}))                             // still held: passed on
	src.w.Delete(configMap("app", "web-1", map[string]string{"tier": "db"}))                             // held: passed on
	src.w.Modify(configMap("app", "web-1", map[string]string{"tier": "db"}))                             // gone and not selected: dropped
	src.w.Action(watch.Bookmark, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "9"}}) // always
	var got []string
	for range 5 {
		select {
		case e := <-w.ResultChan():
			got = append(got, string(e.Type)+" "+e.Object.(*corev1.ConfigMap).Name)
		case <-time.After(5 * time.Second):
			t.Fatalf("only %v arrived", got)
		}
	}
	g.Expect(got).To(Equal([]string{"MODIFIED web-1", "ADDED web-3", "MODIFIED web-1", "DELETED web-1", "BOOKMARK "}))
}

func TestAFilterGrowsWhileItsInformerLivesAndCoverageIsWhatTheInformerStartedWith(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	sel := newSelection(nil, func() time.Time { return now })
	web, db, cache := bySelector("", map[string]string{"tier": "web"}), bySelector("", map[string]string{"tier": "db"}), byName("app", "cache")
	none := func() []wavegatev1alpha1.TargetRef { return nil }
	g.Expect(sel.cached(configMaps, web)).To(BeTrue(), "without an informer, the one a read starts has the current filter")

	sel.want(configMaps, web, none)
	sel.starting(configMaps)
	g.Expect(sel.cached(configMaps, web)).To(BeTrue())

	listed := 0
	sel.want(configMaps, db, func() []wavegatev1alpha1.TargetRef { listed++; return nil })
	g.Expect(listed).To(Equal(1), "a filter that does not cover the target asks for every rollout's")
	g.Expect(sel.keeps(configMaps, configMap("a", "b", map[string]string{"tier": "db"}))).To(BeTrue(), "new objects of the new target are let in at once")
	g.Expect(sel.keeps(configMaps, configMap("a", "b", map[string]string{"tier": "web"}))).To(BeTrue(),
		"the filter grew: web stays although the list of rollouts did not name it")
	g.Expect(sel.cached(configMaps, db)).To(BeFalse(), "the informer started before db was wanted")
	sel.want(configMaps, db, func() []wavegatev1alpha1.TargetRef { listed++; return nil })
	g.Expect(listed).To(Equal(1), "a covered target costs no list of the rollouts")

	g.Expect(sel.mayRelist(configMaps, time.Minute)).To(BeFalse(), "the informer is new")
	now = now.Add(time.Minute)
	g.Expect(sel.mayRelist(configMaps, time.Minute)).To(BeTrue())

	// A relist: forgotten, reset to what rollouts select now, started anew.
	sel.removed(configMaps)
	sel.reset(configMaps, []wavegatev1alpha1.TargetRef{db, cache})
	g.Expect(sel.cached(configMaps, web)).To(BeTrue(), "no informer yet")
	sel.starting(configMaps)
	g.Expect(sel.cached(configMaps, db)).To(BeTrue())
	g.Expect(sel.cached(configMaps, cache)).To(BeTrue())
	g.Expect(sel.cached(configMaps, web)).To(BeFalse(), "the new informer left out what no rollout selected")
	g.Expect(sel.keeps(configMaps, configMap("app", "cache", nil))).To(BeTrue())
	g.Expect(sel.mayRelist(configMaps, time.Minute)).To(BeFalse())
}

func TestAWatchInADroppedConnectionStops(t *testing.T) {
	g := NewWithT(t)
	started := make(chan context.Context, 1)
	kind := source.Func(func(ctx context.Context, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		started <- ctx
		return nil
	})
	controllerCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g.Expect((&targetSource{}).watch(kind).Start(controllerCtx, nil)).To(Succeed())
	g.Expect(<-started).To(BeIdenticalTo(controllerCtx), "this cluster's watches live as long as the controller")

	done := make(chan struct{})
	g.Expect((&targetSource{region: "eastus", done: done}).watch(kind).Start(context.Background(), nil)).To(Succeed())
	ctx := <-started
	g.Expect(ctx.Err()).NotTo(HaveOccurred())
	close(done)
	g.Eventually(ctx.Done()).Should(BeClosed(), "the watch's informer lookup must not wait on a stopped cache")
}
