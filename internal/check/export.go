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

package check

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// wavegateKinds are exported whole, status included.
var wavegateKinds = []string{"Region", "WavePlan", "ConfigRollout", "Freeze", "AutomationPolicy", "ChangeRecord"}

// ExportState writes Wavegate's objects, Namespaces, and the current version
// of every gated object of the given resources: objects with a region label,
// a regions or requires annotation or a protection label, or in a Namespace
// with a region label.
func ExportState(ctx context.Context, c client.Client, resources string) ([]byte, error) {
	var objs []unstructured.Unstructured
	list := func(gvk schema.GroupVersionKind) ([]unstructured.Unstructured, error) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := c.List(ctx, l); err != nil {
			return nil, fmt.Errorf("failed to list %s: %w", gvk.Kind, err)
		}
		for i := range l.Items {
			l.Items[i].SetGroupVersionKind(gvk)
		}
		return l.Items, nil
	}
	for _, kind := range wavegateKinds {
		items, err := list(wavegatev1alpha1.GroupVersion.WithKind(kind))
		if err != nil {
			return nil, err
		}
		objs = append(objs, items...)
	}
	namespaces, err := list(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
	if err != nil {
		return nil, err
	}
	objs = append(objs, namespaces...)
	labelled := map[string]bool{}
	for _, ns := range namespaces {
		labelled[ns.GetName()] = ns.GetLabels()[wavegatev1alpha1.LabelRegion] != ""
	}
	for _, item := range strings.Split(resources, ",") {
		resource, group, _ := strings.Cut(strings.TrimSpace(item), ".")
		if resource == "" {
			continue
		}
		gvk, err := c.RESTMapper().KindFor(schema.GroupVersionResource{Group: group, Resource: resource})
		if err != nil {
			return nil, fmt.Errorf("--resources names %s, which the cluster does not serve: %w", item, err)
		}
		items, err := list(gvk)
		if err != nil {
			return nil, err
		}
		for _, o := range items {
			if gatedObject(&o, labelled) {
				objs = append(objs, o)
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Exported by 'wavegate state export' for 'wavegate check --state'.\n")
	for i := range objs {
		objs[i].SetManagedFields(nil)
		data, err := yaml.Marshal(objs[i].Object)
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	return buf.Bytes(), nil
}

func gatedObject(o *unstructured.Unstructured, labelledNamespaces map[string]bool) bool {
	l, a := o.GetLabels(), o.GetAnnotations()
	_, region := l[wavegatev1alpha1.LabelRegion]
	_, protection := l[wavegatev1alpha1.LabelProtection]
	_, regions := a[wavegatev1alpha1.AnnotationRegions]
	_, requires := a[wavegatev1alpha1.AnnotationRequires]
	return region || protection || regions || requires || labelledNamespaces[o.GetNamespace()]
}
