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

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/wavegate/wavegate/internal/replica"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// WatchProtected tracks the objects of the given resources whose
// wavegate.io/protection label counts as protected (CountsAsProtected), so the gate can tell whether a Namespace about to be
// deleted holds protected objects without listing anything on the hot path.
// The informers are metadata-only and select on the label, so they hold only
// protected objects' metadata. It returns the Runnable that runs them.
func (f *Feed) WatchProtected(cfg *rest.Config, mapper meta.RESTMapper, resources []schema.GroupResource, ix *Index) (manager.Runnable, error) {
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the metadata client: %w", err)
	}
	// Every value but deletable counts as protected: protected, or a typo.
	selector := wavegatev1alpha1.LabelProtection + "," + wavegatev1alpha1.LabelProtection + "!=" + wavegatev1alpha1.ProtectionDeletable
	factory := metadatainformer.NewFilteredSharedInformerFactory(mc, 0, metav1.NamespaceAll, func(o *metav1.ListOptions) {
		o.LabelSelector = selector
	})
	for _, gr := range resources {
		gvr, err := mapper.ResourceFor(schema.GroupVersionResource{Group: gr.Group, Resource: gr.Resource})
		if err != nil {
			return nil, fmt.Errorf("--protected-resources names %s, which this cluster does not serve: %w", gr, err)
		}
		gvk, err := mapper.KindFor(gvr)
		if err != nil {
			return nil, fmt.Errorf("failed to find the kind of %s: %w", gr, err)
		}
		inf := factory.ForResource(gvr).Informer()
		reg, err := inf.AddEventHandler(protectedHandler(gvk.Kind, ix))
		if err != nil {
			return nil, err
		}
		f.Track(reg.HasSynced)
	}
	// Every replica serves the webhook, so every replica runs these informers.
	return replica.Runnable(func(ctx context.Context) error {
		factory.Start(ctx.Done())
		<-ctx.Done()
		factory.Shutdown()
		return nil
	}), nil
}

func protectedHandler(kind string, ix *Index) toolscache.ResourceEventHandlerFuncs {
	set := func(o any, protected bool) {
		if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			o = tomb.Obj
		}
		m, ok := o.(*metav1.PartialObjectMetadata)
		if !ok || m.Namespace == "" {
			return
		}
		ix.SetProtected(m.Namespace, kind+" "+m.Namespace+"/"+m.Name, protected)
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { set(o, true) },
		UpdateFunc: func(_, o any) { set(o, true) },
		DeleteFunc: func(o any) { set(o, false) },
	}
}

// CountsAsProtected reports whether a wavegate.io/protection value protects
// an object from a human's delete: every value but deletable and untagged
// (""), so a typo such as Protected protects rather than exposes.
func CountsAsProtected(protection string) bool {
	return protection != "" && protection != wavegatev1alpha1.ProtectionDeletable
}
