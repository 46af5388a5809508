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

package audit

import (
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// ReadState reads a state file as `wavegate state export` writes it
// (multi-document YAML or JSON; `kubectl get -o yaml` lists too). What is
// wrong with it is an *InputError.
func ReadState(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	defer func() { _ = f.Close() }()
	d := yaml.NewYAMLOrJSONDecoder(f, 4096)
	var out []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var m map[string]any
		err := d.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, &InputError{File: path, Err: fmt.Errorf("document %d: %w", doc, err)}
		}
		if m == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		items := []*unstructured.Unstructured{u}
		if u.IsList() {
			items = items[:0]
			if err := u.EachListItem(func(o runtime.Object) error {
				items = append(items, o.(*unstructured.Unstructured))
				return nil
			}); err != nil {
				return nil, &InputError{File: path, Err: fmt.Errorf("document %d: %w", doc, err)}
			}
		}
		for i, it := range items {
			if err := validObject(it); err != nil {
				return nil, &InputError{File: path, Err: fmt.Errorf("document %d, item %d: %w", doc, i+1, err)}
			}
			out = append(out, it)
		}
	}
}

func validObject(u *unstructured.Unstructured) error {
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return errors.New("not an object: no apiVersion or kind")
	}
	meta, ok := u.Object["metadata"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s has no metadata", u.GetKind())
	}
	if name, _ := meta["name"].(string); name == "" {
		return fmt.Errorf("%s has no metadata.name", u.GetKind())
	}
	for _, field := range []string{"labels", "annotations"} {
		if v, ok := meta[field]; ok && v != nil {
			m, isMap := v.(map[string]any)
			if !isMap {
				return fmt.Errorf("%s %s: metadata.%s is not a map", u.GetKind(), meta["name"], field)
			}
			for k, val := range m {
				if _, isString := val.(string); !isString {
					return fmt.Errorf("%s %s: metadata.%s[%s] is not a string", u.GetKind(), meta["name"], field, k)
				}
			}
		}
	}
	return nil
}
