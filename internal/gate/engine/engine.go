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
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/wavegate/wavegate/internal/replica"
	"github.com/wavegate/wavegate/policies"
)

// Query is the one query every decision evaluates.
const Query = "data.wavegate.main.decision"

// Verdict is one line of a decision: a rule id and its message.
type Verdict struct {
	Rule string `json:"rule"`
	Msg  string `json:"msg"`
	// BreakGlass names what was broken (a Freeze, or the user for a
	// protected delete) when the verdict is a break-glass admission.
	BreakGlass string `json:"breakGlass,omitempty"`
}

// Decision is the verdict on one request: denied when Deny is not empty.
type Decision struct {
	Deny []Verdict `json:"deny"`
	Warn []Verdict `json:"warn"`
}

// Allowed reports whether no rule denies.
func (d Decision) Allowed() bool { return len(d.Deny) == 0 }

// Engine evaluates the prepared query. It is safe for concurrent use.
type Engine struct {
	mu    sync.RWMutex
	query rego.PreparedEvalQuery
	// timeout bounds one evaluation; zero: only the caller's context.
	timeout time.Duration
}

// ErrEvalTimeout is a decision that took longer than its bound: a custom
// policy that evaluates slowly would otherwise hold every gated request
// until the API server gives up on the webhook.
var ErrEvalTimeout = errors.New("the policies took longer than --policy-eval-timeout to decide")

// SetEvalTimeout bounds each evaluation (--policy-eval-timeout); past it the
// decision fails with ErrEvalTimeout, and the gate denies as undecidable.
// Set it before the engine is shared.
func (e *Engine) SetEvalTimeout(d time.Duration) { e.timeout = d }

// New compiles modules and prepares the decision query.
func New(ctx context.Context, modules map[string]string) (*Engine, error) {
	e := &Engine{}
	if err := e.Reload(ctx, modules); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload prepares the query again for a new set of modules. On error the
// engine keeps deciding with the policies it had.
func (e *Engine) Reload(ctx context.Context, modules map[string]string) error {
	// Strict builtin errors: a builtin that fails inside a deny rule (a bad
	// time format, a number that does not parse) fails the evaluation, and the
	// gate denies the request as undecidable, instead of the rule silently
	// being undefined and its denial dropped.
	opts := []func(*rego.Rego){
		rego.Query(Query), rego.SetRegoVersion(ast.RegoV1), rego.StrictBuiltinErrors(true),
		rego.Capabilities(capabilities),
	}
	for name, src := range modules {
		opts = append(opts, rego.Module(name, src))
	}
	q, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return fmt.Errorf("failed to compile the policies: %w", err)
	}
	e.mu.Lock()
	e.query = q
	e.mu.Unlock()
	return nil
}

// Decide evaluates the policies against one input.
//
// The evaluation is set up to cost as little as the rules allow: no
// goroutine per call to watch ctx (OPA starts one unless it is given a
// cancel; context.AfterFunc only spends one once ctx is done), no metrics,
// and the result read as the ast.Value it already is rather than converted
// to Go maps first.
func (e *Engine) Decide(ctx context.Context, input ast.Value) (Decision, error) {
	e.mu.RLock()
	q := e.query
	e.mu.RUnlock()
	parent := ctx
	if e.timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, e.timeout)
		defer stop()
	}
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input), rego.EvalExternalCancel(cancel),
		rego.EvalMetrics(noMetrics), rego.EvalGenerateJSON(keepTerm))
	if err != nil && ctx.Err() != nil && parent.Err() == nil {
		return Decision{}, fmt.Errorf("%w (%s)", ErrEvalTimeout, e.timeout)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("policy evaluation failed: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, errors.New("policy evaluation returned no decision")
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return Decision{}, fmt.Errorf("policy evaluation returned %T, not a term", rs[0].Expressions[0].Value)
	}
	out, ok := t.Value.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("policy evaluation returned %s, not a decision object", ast.ValueName(t.Value))
	}
	deny, err := verdicts(out.Get(denyKey))
	if err != nil {
		return Decision{}, err
	}
	warn, err := verdicts(out.Get(warnKey))
	if err != nil {
		return Decision{}, err
	}
	return Decision{Deny: deny, Warn: warn}, nil
}

// noMetrics is shared by every evaluation: the gate keeps its own metrics.
var noMetrics = metrics.NoOp()

// keepTerm hands the result over as the term the evaluator produced.
func keepTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

var (
	denyKey       = ast.StringTerm("deny")
	warnKey       = ast.StringTerm("warn")
	ruleKey       = ast.StringTerm("rule")
	msgKey        = ast.StringTerm("msg")
	breakGlassKey = ast.StringTerm("breakGlass")
)

// verdicts reads a set (or array) of {rule, msg} objects, sorted for stable
// messages. A missing set is empty.
func verdicts(t *ast.Term) ([]Verdict, error) {
	if t == nil {
		return []Verdict{}, nil
	}
	var items []*ast.Term
	switch v := t.Value.(type) {
	case ast.Set:
		items = v.Slice()
	case *ast.Array:
		for i := range v.Len() {
			items = append(items, v.Elem(i))
		}
	default:
		return nil, fmt.Errorf("policy evaluation returned %s for a verdict set", ast.ValueName(t.Value))
	}
	out := make([]Verdict, 0, len(items))
	for _, item := range items {
		m, ok := item.Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("policy evaluation returned a verdict of type %s", ast.ValueName(item.Value))
		}
		rule, msg := str(m.Get(ruleKey)), str(m.Get(msgKey))
		if rule == "" || msg == "" {
			return nil, fmt.Errorf("policy evaluation returned a verdict without rule or msg: %v", m)
		}
		out = append(out, Verdict{Rule: rule, Msg: msg, BreakGlass: str(m.Get(breakGlassKey))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Msg < out[j].Msg })
	return out, nil
}

// str is a string term's value, "" for anything else.
func str(t *ast.Term) string {
	if t == nil {
		return ""
	}
	s, _ := t.Value.(ast.String)
	return string(s)
}

// Modules returns the embedded policies plus the .rego files of extraDir
// (operators' own policies), without tests. extraDir may be empty.
//
// Operators' policies may only add denials and warnings: a module whose
// package is not wavegate.custom or below it is refused, so none can define
// or shadow a rule that the embedded policies read. Their deny and warn sets
// reach the decision through one generated module of package wavegate.main.
func Modules(extraDir string) (map[string]string, error) {
	modules, err := readModules(policies.FS, ".", "embedded:")
	if err != nil {
		return nil, err
	}
	if extraDir == "" {
		return modules, nil
	}
	extra, err := readModules(os.DirFS(extraDir), ".", extraDir+string(filepath.Separator))
	if err != nil {
		return nil, fmt.Errorf("failed to read --policy-dir %s: %w", extraDir, err)
	}
	packages := map[string]bool{}
	for name, src := range extra {
		pkg, err := customPackage(name, src)
		if err != nil {
			return nil, err
		}
		packages[pkg] = true
		modules[name] = src
	}
	if len(packages) > 0 {
		modules[customAggregation] = customAggregationSrc(packages)
	}
	return modules, nil
}

// customRoot is the package every operator's policy must be in or below.
var customRoot = ast.MustParseRef("data.wavegate.custom")

// customPackage parses one operator's module and returns its package as a
// data reference, or why the module is refused. The package is read from
// the parsed module: text matching would miss `package wavegate["main"]`.
func customPackage(name, src string) (string, error) {
	m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return "", fmt.Errorf("failed to parse the custom policy %s: %w", name, err)
	}
	if m == nil || m.Package == nil {
		return "", fmt.Errorf("the custom policy %s declares no package; start it with package wavegate.custom.<name>", name)
	}
	if !m.Package.Path.HasPrefix(customRoot) {
		return "", fmt.Errorf("the custom policy %s declares package %s, which custom policies may not use: they may only add denials and warnings, so their package must be wavegate.custom or below it; declare package wavegate.custom.<name>",
			name, strings.TrimPrefix(m.Package.Path.String(), "data."))
	}
	return m.Package.Path.String(), nil
}

// customAggregation adds operators' policies, which live under
// data.wavegate.custom, to the decision.
const customAggregation = "embedded:custom_aggregation.rego"

// customAggregationSrc reads the deny and warn sets of each operator's
// package, by its exact path: cheaper than walking data.wavegate.custom on
// every request, and a package nested deeper than one level counts too.
// Only rule and msg are kept: break-glass admissions (an audit annotation,
// an Event, a metric) are the embedded rules' to claim, never a custom
// policy's.
func customAggregationSrc(packages map[string]bool) string {
	paths := make([]string, 0, len(packages))
	for p := range packages {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString("package wavegate.main\n")
	for _, p := range paths {
		for _, set := range []string{"deny", "warn"} {
			fmt.Fprintf(&b, "\n%s contains object.filter(v, [\"rule\", \"msg\"]) if some v in %s.%s\n", set, p, set)
		}
	}
	return b.String()
}

// capabilities are the builtins every module, embedded or custom, may call:
// all of this OPA version's except those that reach outside the process
// (the network, DNS, the runtime's environment and configuration). A module
// that calls one does not compile. The pure net.cidr_* helpers go too: the
// contract forbids net.*, and a policy can compare addresses from its input
// without them. The network allow-list is empty, not unset: the JSON-schema
// builtins would otherwise fetch a remote $ref, which input can carry.
var capabilities = func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.AllowNet = []string{}
	kept := make([]*ast.Builtin, 0, len(c.Builtins))
	for _, b := range c.Builtins {
		if !Forbidden(b.Name) {
			kept = append(kept, b)
		}
	}
	c.Builtins = kept
	return c
}()

// Forbidden reports whether a builtin is unavailable to Wavegate's policies.
func Forbidden(builtin string) bool {
	return builtin == "http.send" || builtin == "opa.runtime" || strings.HasPrefix(builtin, "net.")
}

// TestModules returns every embedded .rego file, tests included.
func TestModules() (map[string]string, error) {
	return readModulesFiltered(policies.FS, ".", "embedded:", true)
}

func readModules(fsys fs.FS, dir, prefix string) (map[string]string, error) {
	return readModulesFiltered(fsys, dir, prefix, false)
}

func readModulesFiltered(fsys fs.FS, dir, prefix string, withTests bool) (map[string]string, error) {
	modules := map[string]string{}
	err := fs.WalkDir(fsys, dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".rego") || (!withTests && strings.HasSuffix(path, "_test.rego")) {
			return nil
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		modules[prefix+path] = string(src)
		return nil
	})
	return modules, err
}

// WatchDir returns a Runnable that prepares the engine again whenever a file
// of dir changes. A policy that does not compile is logged and the engine
// keeps the policies it had.
func WatchDir(e *Engine, dir string, log logr.Logger) manager.Runnable {
	// Every replica serves the webhook, so every replica reloads.
	return replica.Runnable(func(ctx context.Context) error {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return fmt.Errorf("failed to watch --policy-dir %s: %w", dir, err)
		}
		defer func() { _ = w.Close() }()
		if err := w.Add(dir); err != nil {
			return fmt.Errorf("failed to watch --policy-dir %s: %w", dir, err)
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case err := <-w.Errors:
				log.Error(err, "Watching the policy directory failed", "dir", dir)
			case ev := <-w.Events:
				if !strings.HasSuffix(ev.Name, ".rego") {
					continue
				}
				modules, err := Modules(dir)
				if err == nil {
					err = e.Reload(ctx, modules)
				}
				if err != nil {
					log.Error(err, "Keeping the previous policies", "dir", dir, "file", ev.Name)
					continue
				}
				log.Info("Reloaded policies", "dir", dir, "file", ev.Name)
			}
		}
	})
}
