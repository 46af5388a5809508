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

package audit_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The checker is independent of the gate: a bug in a rule must not hide
// in the checker too. Its packages import the standard library, the API
// types, apimachinery, each other and the JUnit writer (the standard
// library only, shared with wavegate check), nothing else (no
// internal/gate, no policies, no OPA, no internal/regions).
func TestTheCheckerImportsNothingOfTheGate(t *testing.T) {
	allowed := []string{
		"github.com/wavegate/wavegate/api/v1alpha1",
		"github.com/wavegate/wavegate/internal/audit",
		"github.com/wavegate/wavegate/internal/junit",
		"k8s.io/apimachinery/",
		"k8s.io/api/",
	}
	for _, dir := range []string{".", "invariants", "audittest"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				first, _, _ := strings.Cut(path, "/")
				if !strings.Contains(first, ".") {
					continue // the standard library
				}
				ok := false
				for _, a := range allowed {
					ok = ok || path == strings.TrimSuffix(a, "/") || strings.HasPrefix(path, a)
				}
				if !ok {
					t.Errorf("%s imports %s", file, path)
				}
			}
		}
	}
}
