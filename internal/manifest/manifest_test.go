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
	t.Run("malformed YAML is an error, not a partial result", func(t *testing.T) {
		objs, err := Read(strings.NewReader("apiVersion: v1\nkind: [unterminated\n"))
		g := NewWithT(t)
		g.Expect(err).To(MatchError(ContainSubstring("document 1")))
		g.Expect(objs).To(BeNil())
	})
}
