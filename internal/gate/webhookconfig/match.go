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

package webhookconfig

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Request is a request as the API server's webhook dispatcher sees it.
type Request struct {
	Operation   string // CREATE, UPDATE or DELETE
	Group       string
	Version     string
	Resource    string
	SubResource string
	Namespace   string
	Name        string
	User        string
	Groups      []string
	// Object and OldObject are the objects as JSON maps; nil when absent.
	Object, OldObject map[string]any
	// NamespaceLabels are the labels of the request's Namespace, or of the
	// Namespace itself when the request is about one.
	NamespaceLabels map[string]string
}

// Gated reports whether the API server would send r to the gate: whether
// any webhook of Configuration(o) matches it. It evaluates the configuration
// itself (rules, selectors and CEL match conditions), so `wavegate check`
// and the cluster can never disagree on what is gated. A match condition
// that fails to evaluate counts as a match: with failurePolicy Fail, the API
// server would refuse the request, not let it through.
func Gated(o Options, r Request) bool {
	return Matches(Configuration(o), r)
}

// Matches reports whether any webhook of cfg matches r.
func Matches(cfg *admissionregistrationv1.ValidatingWebhookConfiguration, r Request) bool {
	for i := range cfg.Webhooks {
		if matchesWebhook(&cfg.Webhooks[i], r) {
			return true
		}
	}
	return false
}

func matchesWebhook(w *admissionregistrationv1.ValidatingWebhook, r Request) bool {
	if !slices.ContainsFunc(w.Rules, func(rule admissionregistrationv1.RuleWithOperations) bool { return matchesRule(rule, r) }) {
		return false
	}
	if !matchesNamespace(w.NamespaceSelector, r) || !matchesObject(w.ObjectSelector, r) {
		return false
	}
	for _, c := range w.MatchConditions {
		ok, err := evaluate(c.Expression, r)
		if err == nil && !ok {
			return false
		}
	}
	return true
}

func matchesRule(rule admissionregistrationv1.RuleWithOperations, r Request) bool {
	return anyOf(opStrings(rule.Operations), r.Operation) && anyOf(rule.APIGroups, r.Group) &&
		anyOf(rule.APIVersions, r.Version) && slices.ContainsFunc(rule.Resources, func(res string) bool { return matchesResource(res, r) })
}

func opStrings(ops []admissionregistrationv1.OperationType) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = string(op)
	}
	return out
}

func anyOf(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

// matchesResource follows the API server: "*" is every resource but no
// subresource, "*/scale" every resource's scale, "*/*" everything.
func matchesResource(pattern string, r Request) bool {
	res, sub, hasSub := strings.Cut(pattern, "/")
	if !hasSub {
		return r.SubResource == "" && (res == "*" || res == r.Resource)
	}
	return (res == "*" || res == r.Resource) && (sub == "*" || sub == r.SubResource)
}

// matchesNamespace: a cluster-scoped object other than a Namespace is never
// filtered by the namespace selector; the API server adds the
// kubernetes.io/metadata.name label to every Namespace.
func matchesNamespace(sel *metav1.LabelSelector, r Request) bool {
	isNamespace := r.Group == "" && r.Resource == "namespaces"
	if sel == nil || r.Namespace == "" && !isNamespace {
		return true
	}
	name := r.Namespace
	if isNamespace {
		name = r.Name
	}
	l := labels.Set{}
	for k, v := range r.NamespaceLabels {
		l[k] = v
	}
	l["kubernetes.io/metadata.name"] = name
	return matchesLabels(sel, l)
}

// matchesObject matches when the new or the old object's labels match.
func matchesObject(sel *metav1.LabelSelector, r Request) bool {
	if sel == nil {
		return true
	}
	for _, o := range []map[string]any{r.Object, r.OldObject} {
		if o != nil && matchesLabels(sel, objectLabels(o)) {
			return true
		}
	}
	return false
}

func matchesLabels(sel *metav1.LabelSelector, l labels.Set) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err != nil || s.Matches(l) // an invalid selector fails closed
}

func objectLabels(o map[string]any) labels.Set {
	out := labels.Set{}
	meta, _ := o["metadata"].(map[string]any)
	l, _ := meta["labels"].(map[string]any)
	for k, v := range l {
		out[k], _ = v.(string)
	}
	return out
}

// programs caches compiled match conditions; there are a few dozen.
var programs sync.Map

var env = func() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("object", cel.DynType), cel.Variable("oldObject", cel.DynType), cel.Variable("request", cel.DynType))
	if err != nil {
		panic(err)
	}
	return e
}()

func evaluate(expr string, r Request) (bool, error) {
	prg, ok := programs.Load(expr)
	if !ok {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			return false, iss.Err()
		}
		p, err := env.Program(ast)
		if err != nil {
			return false, err
		}
		prg, _ = programs.LoadOrStore(expr, p)
	}
	out, _, err := prg.(cel.Program).Eval(map[string]any{
		"object": orNull(r.Object), "oldObject": orNull(r.OldObject), "request": requestValue(r),
	})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("match condition %q is not a bool", expr)
	}
	return b, nil
}

func orNull(o map[string]any) any {
	if o == nil {
		return types.NullValue
	}
	return o
}

// requestValue is the AdmissionRequest as a match condition sees it.
func requestValue(r Request) map[string]any {
	groups := make([]any, len(r.Groups))
	for i, g := range r.Groups {
		groups[i] = g
	}
	return map[string]any{
		"operation":   r.Operation,
		"namespace":   r.Namespace,
		"name":        r.Name,
		"subResource": r.SubResource,
		"resource":    map[string]any{"group": r.Group, "version": r.Version, "resource": r.Resource},
		"userInfo":    map[string]any{"username": r.User, "groups": groups},
	}
}
