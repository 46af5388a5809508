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
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wavegate/wavegate/internal/check"
)

// SPEC §5: 2 is bad usage or bad input, including an unknown subcommand and
// an extra argument (issue 12, gap 10).
func TestUnknownSubcommandsAndExtraArgumentsAreBadUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown subcommand", []string{"frezze"}, `unknown command "frezze" for "wavegate"`},
		{"near misses are suggested", []string{"stats"}, "did you mean state or status?"},
		{"an unknown subcommand of state", []string{"state", "import"}, `unknown command "import" for "wavegate state"`},
		{"an extra argument to status", []string{"status", "eastus"}, `unknown command "eastus" for "wavegate status"`},
		{"an extra argument to check", []string{"check", "deploy/", "--state", "s.yaml"}, `unknown command "deploy/" for "wavegate check"`},
		{"an extra argument to pause", []string{"pause", "eastus", "--region", "eastus", "--reason", "a reason long enough"}, `unknown command "eastus" for "wavegate pause"`},
		{"an extra argument to state export", []string{"state", "export", "state.yaml"}, `unknown command "state.yaml" for "wavegate state export"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, errOut, code := run(tc.args...)
			g.Expect(code).To(Equal(ExitUsage), errOut)
			g.Expect(errOut).To(ContainSubstring(tc.want))
		})
	}
	t.Run("no subcommand prints the help and succeeds", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, code := run()
		g.Expect(code).To(Equal(ExitOK), errOut)
		g.Expect(out).To(ContainSubstring("Available Commands:"))
	})
}

// failingChecker is a checker that fails as Wavegate itself might: its
// policies do not compile, or evaluating them fails.
type failingChecker struct{ err error }

func (f failingChecker) Check(context.Context, check.Request) (check.Verdict, error) {
	return check.Verdict{}, f.err
}

// runWith runs the wavegate command with its checker replaced.
func runWith(newChecker func(context.Context, []*unstructured.Unstructured, check.Options) (judge, error), args ...string) (string, int) {
	var out, errOut bytes.Buffer
	o := &options{out: &out, err: &errOut, newChecker: newChecker}
	o.newClient = o.client
	cmd := newRoot(o)
	cmd.SetArgs(args)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return errOut.String(), ExitCode(err)
}

// SPEC §5: an internal error is a failed check (exit code 1) that says it is
// Wavegate's own, never bad usage (exit code 2) that blames the input.
func TestCheckReportsInternalErrorsAsAFailedCheck(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "ok.yaml")
	NewWithT(t).Expect(os.WriteFile(manifest, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: app, labels: {wavegate.io/region: eastus}}\ndata: {a: b}\n"), 0o600)).To(Succeed())
	args := []string{"check", "-f", manifest, "--state", samples("state.yaml"), "--now", "2024-07-18T14:00:00Z"}
	broken := errors.New("rego_type_error: undefined function")

	t.Run("loading the state", func(t *testing.T) {
		g := NewWithT(t)
		errOut, code := runWith(func(context.Context, []*unstructured.Unstructured, check.Options) (judge, error) { return nil, broken }, args...)
		g.Expect(code).To(Equal(ExitFailed), errOut)
		g.Expect(errOut).To(ContainSubstring("internal error: cannot load the state into the gate: rego_type_error: undefined function"))
	})
	t.Run("judging a manifest", func(t *testing.T) {
		g := NewWithT(t)
		errOut, code := runWith(func(context.Context, []*unstructured.Unstructured, check.Options) (judge, error) {
			return failingChecker{broken}, nil
		}, args...)
		g.Expect(code).To(Equal(ExitFailed), errOut)
		g.Expect(errOut).To(ContainSubstring("internal error: cannot judge " + manifest + ":1: rego_type_error: undefined function"))
	})
	t.Run("bad input found before the gate is still bad usage", func(t *testing.T) {
		g := NewWithT(t)
		bad := filepath.Join(dir, "bad-freeze.yaml")
		g.Expect(os.WriteFile(bad, []byte("apiVersion: wavegate.io/v1alpha1\nkind: Freeze\nmetadata: {name: x}\nspec: {regions: eastus}\n"), 0o600)).To(Succeed())
		errOut, code := runWith(newChecker, "check", "-f", bad, "--state", samples("state.yaml"))
		g.Expect(code).To(Equal(ExitUsage), errOut)
		g.Expect(errOut).To(ContainSubstring(bad + ":1: invalid Freeze"))
	})
}
