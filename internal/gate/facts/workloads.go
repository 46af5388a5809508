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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/regions"
	"github.com/wavegate/wavegate/internal/replica"
)

// WatchWorkloads tracks the region labels of the workloads whose scale
// subresource the gate judges (webhookconfig.ScaledWorkloads): the Scale object
// the API server sends carries no labels, so the gate looks the workload's
// own label up here instead of asking the API server on the hot path. The
// informers are metadata-only and select on the region label, so they hold
// only regional workloads' metadata. The returned Runnable runs on every
// replica, because every replica serves the webhook.
func (f *Feed) WatchWorkloads(cfg *rest.Config, ix *Index) (manager.Runnable, error) {
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the metadata client: %w", err)
	}
	factory := metadatainformer.NewFilteredSharedInformerFactory(mc, 0, metav1.NamespaceAll, func(o *metav1.ListOptions) {
		o.LabelSelector = wavegatev1alpha1.LabelRegion
	})
	for _, resource := range webhookconfig.ScaledWorkloads {
		gvr := schema.GroupVersionResource{Group: webhookconfig.ScaledWorkloadsGroup, Version: "v1", Resource: resource}
		inf := factory.ForResource(gvr).Informer()
		if err := inf.SetTransform(slim(wavegatev1alpha1.LabelRegion)); err != nil {
			return nil, err
		}
		reg, err := inf.AddEventHandler(workloadHandler(gvr.GroupResource(), ix))
		if err != nil {
			return nil, fmt.Errorf("failed to watch %s: %w", gvr.GroupResource(), err)
		}
		f.Track(reg.HasSynced)
	}
	return replica.Runnable(func(ctx context.Context) error {
		factory.Start(ctx.Done())
		<-ctx.Done()
		factory.Shutdown()
		return nil
	}), nil
}

func workloadHandler(gr schema.GroupResource, ix *Index) toolscache.ResourceEventHandlerFuncs {
	set := func(o any, present bool) {
		if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			o = tomb.Obj
		}
		m, ok := o.(*metav1.PartialObjectMetadata)
		if !ok {
			return
		}
		region := ""
		if present {
			region = regions.Label(m.Labels)
		}
		ix.SetWorkloadRegion(gr.Group, gr.Resource, m.Namespace, m.Name, region)
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { set(o, true) },
		UpdateFunc: func(_, o any) { set(o, true) },
		DeleteFunc: func(o any) { set(o, false) },
	}
}
