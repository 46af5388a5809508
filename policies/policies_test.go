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

package policies_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/wavegate/wavegate/policies"
)

// rules are the rule ids of docs/spec.md section 4, each with its own Rego file.
var rules = []string{"freeze", "multi-region", "unknown-region", "change-velocity", "requires", "protected-delete", "automation-scope"}

func parseAll(t *testing.T) map[string]*ast.Module {
	t.Helper()
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(policies.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(policies.FS, path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			return err
		}
		modules[path] = m
		return nil
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return modules
}

// TestRegoPolicies runs every test_ rule of the *_test.rego files through the
// OPA tester, one Go subtest per Rego test.
func TestRegoPolicies(t *testing.T) {
	ctx := context.Background()
	store := inmem.New()
	txn := storage.NewTransactionOrDie(ctx, store)
	defer store.Abort(ctx, txn)

	ch, err := tester.NewRunner().SetStore(store).SetModules(parseAll(t)).RunTests(ctx, txn)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	perRule := map[string]int{}
	for r := range ch {
		t.Run(r.Package+"."+r.Name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(r.Error).NotTo(HaveOccurred())
			g.Expect(r.Fail).To(BeFalse(), "%s failed:\n%s", r.Name, r.String())
		})
		perRule[strings.TrimSuffix(strings.TrimPrefix(r.Package, "data.wavegate.rules."), "_test")]++
	}
	for _, rule := range rules {
		NewWithT(t).Expect(perRule[strings.ReplaceAll(rule, "-", "_")]).To(BeNumerically(">=", 5), "rule %s needs at least 5 Rego tests", rule)
	}
}

// TestEveryRuleHasMetadata keeps the METADATA block on every rule: its
// custom.id is the rule id used in messages and metrics.
func TestEveryRuleHasMetadata(t *testing.T) {
	ids := map[string]bool{}
	for path, m := range parseAll(t) {
		if strings.HasSuffix(path, "_test.rego") {
			continue
		}
		for _, a := range m.Annotations {
			if a.Scope == "package" {
				if id, ok := a.Custom["id"].(string); ok {
					ids[id] = true
				}
			}
		}
	}
	for _, rule := range rules {
		NewWithT(t).Expect(ids).To(HaveKey(rule), "no package declares METADATA custom.id %s", rule)
	}
}
