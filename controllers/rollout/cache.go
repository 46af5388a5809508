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

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The targets of a kind the scheme knows (ConfigMaps, Deployments, …) are
// cached as typed objects, and converted to unstructured when they are
// read: an unstructured object is a tree of maps and costs several times
// the memory of its typed form, and a target informer holds every object
// of its kind in the cluster, not only the rollout's targets. Kinds the
// scheme does not know (custom resources) are cached unstructured.

// targetObject is the object the target informer of gvk caches.
func targetObject(scheme *runtime.Scheme, gvk schema.GroupVersionKind) client.Object {
	if typed, ok := typedObject(scheme, gvk).(client.Object); ok {
		return typed
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// typedObject is a new typed object of gvk, or nil when the scheme does not
// know the kind.
func typedObject(scheme *runtime.Scheme, gvk schema.GroupVersionKind) runtime.Object {
	if scheme == nil || !scheme.Recognizes(gvk) {
		return nil
	}
	o, err := scheme.New(gvk)
	if err != nil {
		return nil
	}
	return o
}

// listTargets lists objects of gvk through reader, through the typed cache
// when the scheme knows the kind, and returns them unstructured with their
// apiVersion and kind set.
func listTargets(ctx context.Context, reader client.Reader, scheme *runtime.Scheme, gvk schema.GroupVersionKind, opts ...client.ListOption) ([]unstructured.Unstructured, error) {
	listGVK := gvk.GroupVersion().WithKind(gvk.Kind + "List")
	if list, ok := typedObject(scheme, listGVK).(client.ObjectList); ok {
		return listTyped(ctx, reader, list, gvk, opts)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(listGVK)
	if err := reader.List(ctx, list, opts...); err != nil {
		return nil, err
	}
	return list.Items, nil
}

func listTyped(ctx context.Context, reader client.Reader, list client.ObjectList, gvk schema.GroupVersionKind, opts []client.ListOption) ([]unstructured.Unstructured, error) {
	if err := reader.List(ctx, list, opts...); err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]unstructured.Unstructured, len(items))
	for i, item := range items {
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(item)
		if err != nil {
			return nil, err
		}
		out[i].Object = content
		// Typed objects read from a cache carry no apiVersion and kind.
		out[i].SetGroupVersionKind(gvk)
	}
	return out, nil
}
