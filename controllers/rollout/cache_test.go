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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestKnownTargetKindsAreCachedTypedAndCustomKindsUnstructured(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if _, ok := targetObject(scheme, corev1.SchemeGroupVersion.WithKind("ConfigMap")).(*corev1.ConfigMap); !ok {
		t.Error("a ConfigMap target informer is not typed; unstructured objects cost several times the memory")
	}
	custom := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	u, ok := targetObject(scheme, custom).(*unstructured.Unstructured)
	if !ok || u.GroupVersionKind() != custom {
		t.Errorf("a custom kind's target object = %#v, want an unstructured %s", targetObject(scheme, custom), custom)
	}
}

func TestTypedTargetsAreListedAsUnstructuredWithTheirKindAndContent(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "aoai", Labels: map[string]string{"app": "aoai"}},
		Data:       map[string]string{"mode": "safe"},
	}
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "aoai"}}
	reader := &listRecorder{Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm, other).Build()}

	gvk := corev1.SchemeGroupVersion.WithKind("ConfigMap")
	items, err := listTargets(context.Background(), reader, scheme, gvk, client.MatchingLabels{"app": "aoai"})
	if err != nil {
		t.Fatal(err)
	}
	// Listing unstructured would start a second, unstructured informer
	// beside the typed one the watch started.
	if _, ok := reader.listed.(*corev1.ConfigMapList); !ok {
		t.Errorf("listed through a %T, want the typed *v1.ConfigMapList", reader.listed)
	}
	if len(items) != 1 {
		t.Fatalf("listed %d targets, want the 1 the selector matches", len(items))
	}
	got := items[0]
	if got.GroupVersionKind() != gvk || got.GetName() != "settings" || got.GetNamespace() != "aoai" {
		t.Errorf("listed %s %s/%s, want ConfigMap aoai/settings", got.GroupVersionKind(), got.GetNamespace(), got.GetName())
	}
	if mode, _, _ := unstructured.NestedString(got.Object, "data", "mode"); mode != "safe" {
		t.Errorf("data.mode = %q, want the content of the object, %q", mode, "safe")
	}
}

// listRecorder remembers the type of the last list it was asked for.
type listRecorder struct {
	client.Reader
	listed client.ObjectList
}

func (r *listRecorder) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	r.listed = list
	return r.Reader.List(ctx, list, opts...)
}

func TestARegionThatIsAnUnreachableClusterHasNoPatcher(t *testing.T) {
	local := fake.NewClientBuilder().Build()
	regional := fake.NewClientBuilder().Build()
	w := &world{clustered: map[string]bool{"eastus": true, "westus": true}, patchers: map[string]client.Client{"eastus": regional}}
	if got, err := w.patcherFor("eastus", local); err != nil || got != regional {
		t.Errorf("eastus (connected) is patched through %v, %v; want its own cluster's client", got, err)
	}
	if got, err := w.patcherFor("westus", local); err == nil {
		t.Errorf("westus (unreachable) is patched through %v; want an error, never the local client", got)
	}
	if got, err := w.patcherFor("centralus", local); err != nil || got != local {
		t.Errorf("centralus (by label) is patched through %v, %v; want the local client", got, err)
	}
}

func TestAHubWhosePlanIsAllClustersLooksForNoTargetsItself(t *testing.T) {
	cluster := &wavegatev1alpha1.RegionCluster{}
	inventory := []wavegatev1alpha1.Region{
		{ObjectMeta: metav1.ObjectMeta{Name: "eastus"}, Spec: wavegatev1alpha1.RegionSpec{Cluster: cluster}},
		{ObjectMeta: metav1.ObjectMeta{Name: "westus"}, Spec: wavegatev1alpha1.RegionSpec{Cluster: cluster}},
		{ObjectMeta: metav1.ObjectMeta{Name: "centralus"}},
	}
	plan := func(regions ...string) *wavegatev1alpha1.WavePlan {
		return &wavegatev1alpha1.WavePlan{Spec: wavegatev1alpha1.WavePlanSpec{Waves: []wavegatev1alpha1.Wave{{Name: "w", Regions: regions}}}}
	}
	skip := []wavegatev1alpha1.SkipRegion{{Name: "centralus"}}
	for _, tc := range []struct {
		name string
		plan *wavegatev1alpha1.WavePlan
		skip []wavegatev1alpha1.SkipRegion
		want bool
	}{
		{"every region a cluster", plan("eastus", "westus"), nil, true},
		{"one region in this cluster", plan("eastus", "centralus"), nil, false},
		{"the region in this cluster skipped", plan("eastus", "centralus"), skip, true},
		{"no plan", nil, nil, false},
	} {
		if got := onlyClusters(tc.plan, tc.skip, inventory); got != tc.want {
			t.Errorf("%s: onlyClusters = %v, want %v", tc.name, got, tc.want)
		}
	}
}
