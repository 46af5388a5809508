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
	"context"

	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/check"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/junit"
	"github.com/wavegate/wavegate/internal/manifest"
)

type checkOptions struct {
	files             []string
	state             string
	as                string
	asGroups          []string
	delete            bool
	now               string
	controllerUser    string
	breakGlassGroup   string
	policyDir         string
	policyEvalTimeout time.Duration
}

func newCheckCommand(o *options) *cobra.Command {
	c := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check -f PATH... --state FILE",
		Short: "Judge manifests offline with the webhook's rules, as one sequence of applies",
		Example: `  wavegate state export -o state.yaml
  wavegate check -f deploy/ --state state.yaml --as system:serviceaccount:ci:deployer -o junit > report.xml
  wavegate check -f deploy/ --state state.yaml --policy-dir policies/   # with the cluster's own policies`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.check(cmd.Context(), c) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&c.files, "filename", "f", nil, "A manifest file or a directory of them; repeatable. Required.")
	f.StringVar(&c.state, "state", "", "The cluster state: the output of 'wavegate state export' or 'kubectl get -o yaml'. Required.")
	f.StringVar(&c.as, "as", "ci", "The user the requests come from.")
	f.StringArrayVar(&c.asGroups, "as-group", nil, "A group of that user; repeatable.")
	f.BoolVar(&c.delete, "delete", false, "Judge deletes of the manifests instead of applies.")
	f.StringVar(&c.now, "now", "", "The time to judge at (RFC 3339); the current time by default.")
	f.StringVar(&c.controllerUser, "controller-user", "system:serviceaccount:wavegate-system:wavegate-manager", "Wavegate's controller identity, as the manager is configured.")
	f.StringVar(&c.breakGlassGroup, "break-glass-group", "wavegate:break-glass", "The global break-glass group, as the manager is configured.")
	f.StringVar(&c.policyDir, "policy-dir", "", "A directory of your own Rego policies, as the manager's --policy-dir: packages under wavegate.custom, which may only add denials and warnings, and no builtin that reaches outside the process (http.send, net.*, opa.runtime).")
	f.DurationVar(&c.policyEvalTimeout, "policy-eval-timeout", 250*time.Millisecond, "As the manager's: the longest one evaluation of --policy-dir's policies may take; a slower one fails the check (exit code 1), as the webhook denies the request as undecidable.")
	o.outputFlag(cmd, "text", "json", "junit")
	return cmd
}

// result is one judged manifest.
type result struct {
	File      string `json:"file"`
	Document  int    `json:"document"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	check.Verdict
}

func (r result) where() string {
	ref := r.Name
	if r.Namespace != "" {
		ref = r.Namespace + "/" + r.Name
	}
	return fmt.Sprintf("%s:%d: %s %s", r.File, r.Document, r.Kind, ref)
}

func (c *checkOptions) clock() (time.Time, error) {
	if c.now == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, c.now)
	if err != nil {
		return t, usagef("invalid --now %q: use RFC 3339, such as 2024-07-18T14:00:00Z", c.now)
	}
	return t, nil
}

func (o *options) check(ctx context.Context, c *checkOptions) error {
	if len(c.files) == 0 {
		return usagef("name the manifests to check with -f PATH (a file or a directory)")
	}
	if c.state == "" {
		return usagef("--state FILE is required: export it with 'wavegate state export -o FILE'")
	}
	now, err := c.clock()
	if err != nil {
		return err
	}
	state, docs, err := c.input()
	if err != nil {
		return err
	}
	eng, err := c.engine(ctx)
	if err != nil {
		return err
	}
	// The input is valid from here on: what fails now is Wavegate's own
	// fault, a failed check (exit code 1), not bad usage.
	checker, err := o.newChecker(ctx, state, check.Options{Now: now, ControllerUser: c.controllerUser, BreakGlassGroup: c.breakGlassGroup, Namespace: "wavegate-system", Engine: eng})
	if err != nil {
		return fmt.Errorf("internal error: cannot load the state into the gate: %w", err)
	}
	results := make([]result, 0, len(docs))
	denied := 0
	for _, d := range docs {
		v, err := checker.Check(ctx, check.Request{Object: d.Object, User: c.as, Groups: c.asGroups, Delete: c.delete})
		if err != nil {
			return fmt.Errorf("internal error: cannot judge %s:%d: %w", d.File, d.Index, err)
		}
		if !v.Allowed {
			denied++
		}
		results = append(results, result{File: d.File, Document: d.Index, Kind: d.Object.GetKind(), Namespace: d.Object.GetNamespace(), Name: d.Object.GetName(), Verdict: v})
	}
	if err := o.printResults(results, denied); err != nil {
		return err
	}
	if denied > 0 {
		return fmt.Errorf("%d of %d manifests would be denied", denied, len(results))
	}
	return nil
}

// input reads and validates the state and the manifests; what is wrong
// with them is bad input (exit code 2).
func (c *checkOptions) input() ([]*unstructured.Unstructured, []manifest.Doc, error) {
	state, err := manifest.ReadFile(c.state)
	if err != nil {
		return nil, nil, usagef("cannot read --state: %v", err)
	}
	for _, obj := range state {
		if err := validInput(obj); err != nil {
			return nil, nil, usagef("invalid --state: %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	docs, err := manifest.ReadDocs(c.files)
	if err != nil {
		return nil, nil, usagef("cannot read the manifests: %v", err)
	}
	for _, d := range docs {
		if err := validInput(d.Object); err != nil {
			return nil, nil, usagef("%s:%d: %v", d.File, d.Index, err)
		}
	}
	return state, docs, nil
}

// engine compiles the policies as the manager does, through
// engine.Modules: a refused package, a forbidden builtin or a policy that
// does not compile is bad input (exit code 2), with the manager's message.
// Without --policy-dir, check.New uses the embedded policies.
func (c *checkOptions) engine(ctx context.Context) (*engine.Engine, error) {
	if c.policyDir == "" {
		return nil, nil
	}
	modules, err := engine.Modules(c.policyDir)
	if err != nil {
		return nil, usagef("invalid --policy-dir: %v", err)
	}
	eng, err := engine.New(ctx, modules)
	if err != nil {
		return nil, usagef("invalid --policy-dir %s: %v", c.policyDir, err)
	}
	if c.policyEvalTimeout <= 0 {
		return nil, usagef("invalid --policy-eval-timeout %s: use a positive duration, such as 250ms", c.policyEvalTimeout)
	}
	eng.SetEvalTimeout(c.policyEvalTimeout)
	return eng, nil
}

// judge judges manifests: a *check.Checker.
type judge interface {
	Check(ctx context.Context, r check.Request) (check.Verdict, error)
}

func newChecker(ctx context.Context, state []*unstructured.Unstructured, o check.Options) (judge, error) {
	return check.New(ctx, state, o)
}

// validInput reports why an object is bad input for check: metadata that
// is not an object's metadata (the API server would reject it, and the gate
// could not read its labels), or one of Wavegate's kinds that does not exist
// or does not decode. Any other kind is judged as the API server would
// receive it.
func validInput(obj *unstructured.Unstructured) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &metav1.PartialObjectMetadata{}); err != nil {
		return fmt.Errorf("invalid metadata of %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	gvk := obj.GroupVersionKind()
	if gvk.Group != wavegatev1alpha1.GroupVersion.Group {
		return nil
	}
	typed, err := inputScheme.New(gvk)
	if err != nil {
		return fmt.Errorf("unknown kind %s in %s", obj.GetKind(), obj.GetAPIVersion())
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
		return fmt.Errorf("invalid %s: %w", obj.GetKind(), err)
	}
	return nil
}

var inputScheme = newScheme()

func (o *options) printResults(results []result, denied int) error {
	switch o.output {
	case "json":
		return o.printJSON(map[string]any{"results": results, "checked": len(results), "denied": denied})
	case "junit":
		return o.printJUnit(results, denied)
	}
	for _, r := range results {
		for _, d := range r.Denials {
			fmt.Fprintf(o.out, "%s: %s\n", r.where(), d.Msg)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(o.out, "%s: warning: %s\n", r.where(), w.Msg)
		}
	}
	fmt.Fprintf(o.out, "%d manifests checked: %d allowed, %d denied\n", len(results), len(results)-denied, denied)
	return nil
}

func (o *options) printJUnit(results []result, denied int) error {
	suite := junit.Suite{Name: "wavegate check", Tests: len(results), Failures: denied}
	for _, r := range results {
		tc := junit.Case{Name: r.where(), Classname: strings.ToLower(r.Operation)}
		if !r.Allowed {
			var rules []string
			for _, d := range r.Denials {
				rules = append(rules, d.Rule)
			}
			tc.Failures = []junit.Failure{{Message: "denied by " + strings.Join(rules, ", "), Type: "denied", Text: r.Message()}}
		}
		var warns []string
		for _, w := range r.Warnings {
			warns = append(warns, w.Msg)
		}
		tc.SystemOut = strings.Join(warns, "\n")
		suite.Cases = append(suite.Cases, tc)
	}
	return junit.Write(o.out, suite)
}
