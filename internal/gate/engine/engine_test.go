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

package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/open-policy-agent/opa/v1/ast"
)

const customPolicy = `package wavegate.custom.no_create

deny contains {"rule": "no-create", "msg": "[wavegate:no-create] creates are off today; try tomorrow"} if input.request.operation == "CREATE"
`

func input(t *testing.T, operation string) ast.Value {
	t.Helper()
	v, err := ast.InterfaceToValue(map[string]any{
		"now":     0,
		"request": map[string]any{"operation": operation, "user": map[string]any{"name": "alice", "groups": []any{}}},
		"object": map[string]any{
			"ref": "ConfigMap a/b", "regions": []any{"eastus"}, "annotatedRegions": []any{}, "targets": []any{"eastus"},
			"requires": []any{}, "protectedInside": []any{},
		},
		"inventory":  map[string]any{"size": 1, "regions": map[string]any{"eastus": map[string]any{"known": true}}},
		"freezes":    []any{},
		"rollouts":   map[string]any{},
		"automation": []any{},
		"velocity":   map[string]any{"entering": []any{}, "reached": []any{}},
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return v
}

func TestEmbeddedPoliciesAdmitAnOrdinaryChange(t *testing.T) {
	g := NewWithT(t)
	modules, err := Modules("")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(modules).NotTo(HaveKey(ContainSubstring("_test.rego")), "tests are not policies")
	e, err := New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())
	dec, err := e.Decide(context.Background(), input(t, "CREATE"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Allowed()).To(BeTrue(), "%+v", dec)
}

func TestOperatorsPoliciesFromPolicyDirJoinTheDecision(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "no_create.rego"), []byte(customPolicy), 0o600)).To(Succeed())
	modules, err := Modules(dir)
	g.Expect(err).NotTo(HaveOccurred())
	e, err := New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())

	dec, err := e.Decide(context.Background(), input(t, "CREATE"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Deny).To(ConsistOf(Verdict{Rule: "no-create", Msg: "[wavegate:no-create] creates are off today; try tomorrow"}))

	dec, err = e.Decide(context.Background(), input(t, "UPDATE"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Allowed()).To(BeTrue())
}

func TestAPolicyThatDoesNotCompileIsRejectedAndTheOldOnesStay(t *testing.T) {
	g := NewWithT(t)
	modules, err := Modules("")
	g.Expect(err).NotTo(HaveOccurred())
	e, err := New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())

	broken := map[string]string{"broken.rego": "package wavegate.custom.broken\n\ndeny contains x if {"}
	for k, v := range modules {
		broken[k] = v
	}
	g.Expect(e.Reload(context.Background(), broken)).To(MatchError(ContainSubstring("failed to compile the policies")))
	dec, err := e.Decide(context.Background(), input(t, "CREATE"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Allowed()).To(BeTrue(), "the engine keeps deciding with the policies it had")
}

// failingDeny is a deny rule whose builtin fails on every CREATE: to_number
// of "CREATE" is an error, not undefined.
const failingDeny = `package wavegate.custom.failing

deny contains {"rule": "failing", "msg": "[wavegate:failing] never reached; fix the policy"} if to_number(input.request.operation) > 0
`

func TestABuiltinErrorInADenyRuleFailsTheDecisionInsteadOfDroppingTheDenial(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "failing.rego"), []byte(failingDeny), 0o600)).To(Succeed())
	modules, err := Modules(dir)
	g.Expect(err).NotTo(HaveOccurred())
	e, err := New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())

	dec, err := e.Decide(context.Background(), input(t, "CREATE"))
	g.Expect(err).To(MatchError(ContainSubstring("to_number")), "a builtin error must fail closed, got %+v", dec)
}

func TestAMissingPolicyDirIsAnError(t *testing.T) {
	_, err := Modules(filepath.Join(t.TempDir(), "nope"))
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("failed to read --policy-dir")))
}
