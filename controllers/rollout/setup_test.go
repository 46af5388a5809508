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

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// removals records which informers were removed.
type removals struct {
	cache.Cache
	removed []schema.GroupVersionKind
}

func (r *removals) RemoveInformer(_ context.Context, obj client.Object) error {
	r.removed = append(r.removed, obj.GetObjectKind().GroupVersionKind())
	return nil
}

// GetInformer returns an informer that has synced.
func (r *removals) GetInformer(context.Context, client.Object, ...cache.InformerGetOption) (cache.Informer, error) {
	return synced{}, nil
}

type synced struct{ cache.Informer }

func (synced) HasSynced() bool { return true }

func TestTheInformerOfATargetKindStopsWhenNoRolloutNamesIt(t *testing.T) {
	g := NewWithT(t)
	ro := &wavegatev1alpha1.ConfigRollout{}
	ro.Name = "web"
	ro.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	r := &Reconciler{Reader: fake.NewClientBuilder().WithScheme(testenv.NewScheme()).WithObjects(ro).
		WithIndex(&wavegatev1alpha1.ConfigRollout{}, indexTargetGVK, targetGVKIndex).Build()}
	informers := &removals{}
	r.local, r.selection = &targetSource{cache: informers}, newSelection(nil, nil)
	done := make(chan struct{})
	close(done)
	dropped := &targetSource{region: "eastus", cache: &removals{}, done: done}
	deployments := kindKey{r.local, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}}
	configMaps := kindKey{r.local, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}}
	regionalDeployments := kindKey{dropped, deployments.gvk}
	for _, k := range []kindKey{deployments, configMaps, regionalDeployments} {
		r.watching.Store(k, struct{}{})
	}
	r.regional.Store("a dropped connection", dropped)
	unlock := r.selection.lock(regionalDeployments)
	r.selection.want(regionalDeployments, wavegatev1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}, func() []wavegatev1alpha1.TargetRef { return nil })
	unlock()

	g.Expect(r.stopUnusedWatches(context.Background())).To(Succeed())
	g.Expect(informers.removed).To(ConsistOf(configMaps.gvk), "no rollout names ConfigMaps any more")
	_, stillWatched := r.watching.Load(deployments)
	g.Expect(stillWatched).To(BeTrue())
	_, forgotten := r.watching.Load(configMaps)
	g.Expect(forgotten).To(BeFalse(), "a rollout naming ConfigMaps again starts a new watch")
	_, forgotten = r.watching.Load(regionalDeployments)
	g.Expect(forgotten).To(BeFalse(), "the watch of a dropped connection is forgotten, although a rollout names the kind")
	_, forgotten = r.regional.Load("a dropped connection")
	g.Expect(forgotten).To(BeFalse())
	g.Expect(dropped.cache.(*removals).removed).To(BeEmpty(), "a stopped cache is not asked to remove anything")
	g.Expect(r.selection.current).NotTo(HaveKey(regionalDeployments), "nothing is kept about a dropped connection")
	g.Expect(r.selection.kinds).NotTo(HaveKey(regionalDeployments))
}
