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
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestRead(t *testing.T) {
	t.Run("documents are returned in order and empty ones skipped", func(t *testing.T) {
		g := NewWithT(t)
		objs, err := Read(strings.NewReader("# comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(2))
		g.Expect(objs[0].GetName()).To(Equal("a"))
		g.Expect(objs[1].GetKind()).To(Equal("Secret"))
	})
	t.Run("a List is expanded into its items", func(t *testing.T) {
		g := NewWithT(t)
		objs, err := Read(strings.NewReader(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"y"}}]}`))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(2))
		g.Expect(objs[1].GetName()).To(Equal("y"))
	})
	t.Run("a document without a kind names the document", func(t *testing.T) {
		_, err := Read(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nmetadata: {name: x}\n"))
		NewWithT(t).Expect(err).To(MatchError("document 2: apiVersion and kind are required"))
	})
	t.Run("an object without a name names the document and the item", func(t *testing.T) {
		_, err := Read(strings.NewReader("apiVersion: v1\nkind: ConfigMap\n"))
		NewWithT(t).Expect(err).To(MatchError("document 1: v1 ConfigMap has no metadata.name; name the object"))
		_, err = Read(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"))
		NewWithT(t).Expect(err).To(MatchError("document 1: v1 ConfigMap has no metadata.name; name the object"))
		_, err = Read(strings.NewReader(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}},{"apiVersion":"v1","kind":"Secret","metadata":{}}]}`))
		NewWithT(t).Expect(err).To(MatchError("document 1, item 2: v1 Secret has no metadata.name; name the object"))
		objs, err := Read(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cfg-}\n"))
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		NewWithT(t).Expect(objs).To(HaveLen(1))
	})
	t.Run("an object with a top-level items array is one object unless its kind is a List", func(t *testing.T) {
		g := NewWithT(t)
		objs, err := Read(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen, namespace: app, labels: {wavegate.io/region: centralus}}\nitems: []\n"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(1), "a ConfigMap with items: [] read as an empty List vanishes from the check")
		g.Expect(objs[0].GetName()).To(Equal("frozen"))
		objs, err = Read(strings.NewReader(`{"apiVersion":"example.com/v1","kind":"Catalog","metadata":{"name":"c"},"items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}]}`))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(1))
		g.Expect(objs[0].GetKind()).To(Equal("Catalog"))
	})
	t.Run("a typed List is expanded into its items", func(t *testing.T) {
		g := NewWithT(t)
		objs, err := Read(strings.NewReader("apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: one}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: two}}\n"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(2))
		g.Expect(objs[0].GetName()).To(Equal("one"))
	})
	t.Run("an item of a List without a kind names the document and the item", func(t *testing.T) {
		_, err := Read(strings.NewReader(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}},{"metadata":{"name":"y"}}]}`))
		NewWithT(t).Expect(err).To(MatchError("document 1, item 2: apiVersion and kind are required"))
	})
	t.Run("a stream of JSON objects and a YAML flow mapping are read as kubectl reads them", func(t *testing.T) {
		g := NewWithT(t)
		objs, err := Read(strings.NewReader(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(2))
		g.Expect(objs[1].GetName()).To(Equal("b"))
		objs, err = Read(strings.NewReader("{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(2))
		g.Expect(objs[0].GetName()).To(Equal("flow"))
		g.Expect(objs[1].GetKind()).To(Equal("Secret"))
	})
}

// Decoders keep the last of two equal keys silently: a region label written
// twice would be judged by the one the author may not have meant.
func TestReadRefusesDuplicateKeys(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"a label written twice (YAML)",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    wavegate.io/region: eastus\n    app: x\n    wavegate.io/region: centralus\n",
			`document 1: duplicate key "wavegate.io/region" at metadata.labels["wavegate.io/region"]`},
		{"a label written twice (JSON)",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"wavegate.io/region":"eastus","wavegate.io/region":"centralus"}}}`,
			`document 1: duplicate key "wavegate.io/region" at metadata.labels["wavegate.io/region"]`},
		{"a top-level key (YAML), in the second document",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: v}\ndata: {}\n",
			`document 2: duplicate key "data" at data`},
		{"a top-level key (JSON), in the second object",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"ConfigMap","kind":"Secret","metadata":{"name":"b"}}`,
			`document 2: duplicate key "kind" at kind`},
		{"deep in a sequence (YAML)",
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n      - name: b\n        env: [{name: A, value: '1', value: '2'}]\n",
			`document 1: duplicate key "value" at spec.template.spec.containers[1].env[0].value`},
		{"deep in a sequence (JSON)",
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}}}`,
			`document 1: duplicate key "name" at spec.template.spec.containers[1].name`},
		{"in an item of a List",
			"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x, namespace: a, namespace: b}\n",
			`document 1: duplicate key "namespace" at items[0].metadata.namespace`},
		{"keys that differ in YAML but are one key in JSON",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {1: x, \"1\": y}\n",
			`document 1: duplicate key "1" at data.1`},
		{"an escaped JSON key equal to another",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"\u0062"}}`,
			`document 1: duplicate key "name" at metadata.name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Read(strings.NewReader(tc.doc))
			g := NewWithT(t)
			g.Expect(err).To(MatchError(HavePrefix(tc.want)))
			g.Expect(objs).To(BeNil())
			var dup *DuplicateKeyError
			g.Expect(errors.As(err, &dup)).To(BeTrue())
		})
	}
	t.Run("the same key in different mappings, and a key that overrides a merge, are not duplicates", func(t *testing.T) {
		g := NewWithT(t)
		objs, err := Read(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l {app: x, tier: web}\n  annotations:\n    <<: *l\n    app: z\n    name: a\ndata: {name: a}\n"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(objs).To(HaveLen(1))
		g.Expect(objs[0].GetAnnotations()).To(Equal(map[string]string{"app": "z", "tier": "web", "name": "a"}))
	})
	t.Run("ReadFile names the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "deploy.yaml")
		NewWithT(t).Expect(os.WriteFile(path, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, name: b}\n"), 0o600)).To(Succeed())
		_, err := ReadFile(path)
		NewWithT(t).Expect(err).To(MatchError(HavePrefix(path + `: document 1: duplicate key "name" at metadata.name`)))
	})
}

func TestReadAll(t *testing.T) {
	t.Run("malformed YAML is an error, not a partial result", func(t *testing.T) {
		objs, err := Read(strings.NewReader("apiVersion: v1\nkind: [unterminated\n"))
		g := NewWithT(t)
		g.Expect(err).To(MatchError(ContainSubstring("document 1")))
		g.Expect(objs).To(BeNil())
	})
}
