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

package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// Read decodes every non-empty document of r, in order. Each object must
// have apiVersion, kind and a name (or generateName); a List is expanded
// into its items.
func Read(r io.Reader) ([]*unstructured.Unstructured, error) {
	dec := yaml.NewYAMLOrJSONDecoder(r, 4096)
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("document %d: apiVersion and kind are required", doc)
		}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("document %d: %w", doc, err)
			}
			for i := range list.Items {
				if err := named(&list.Items[i]); err != nil {
					return nil, fmt.Errorf("document %d, item %d: %w", doc, i+1, err)
				}
				objs = append(objs, &list.Items[i])
			}
			continue
		}
		if err := named(u); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		objs = append(objs, u)
	}
}

// named refuses an object without metadata.name or metadata.generateName,
// as the API server does. Metadata that is not an object is left to the
// caller's decoding, which says what is wrong with it.
func named(u *unstructured.Unstructured) error {
	if md := u.Object["metadata"]; md != nil {
		if _, isMap := md.(map[string]any); !isMap {
			return nil
		}
	}
	if u.GetName() == "" && u.GetGenerateName() == "" {
		return fmt.Errorf("%s %s has no metadata.name; name the object", u.GetAPIVersion(), u.GetKind())
	}
	return nil
}

// ReadFile reads the objects of one file.
func ReadFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// Doc is one object of a file, with its place for messages.
type Doc struct {
	File   string
	Index  int // document number in the file, from 1
	Object *unstructured.Unstructured
}

// ReadDocs reads the objects of files and directories (their .yaml, .yml
// and .json files, in name order), remembering where each came from.
func ReadDocs(paths []string) ([]Doc, error) {
	var docs []Doc
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			objs, err := ReadFile(f)
			if err != nil {
				return nil, err
			}
			for i, o := range objs {
				docs = append(docs, Doc{File: f, Index: i + 1, Object: o})
			}
		}
	}
	return docs, nil
}

func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join(path, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no .yaml, .yml or .json files", path)
	}
	return files, nil
}
