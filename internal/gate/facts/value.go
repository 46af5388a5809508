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

package facts

import (
	"fmt"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Value renders the input as an ast.Value, the form OPA evaluates without
// converting (a Go map would be converted through reflection on every call).
// The layout is documented in policies/README.md.
func (in *Input) Value() ast.Value {
	req := in.Request
	return obj(
		kv("now", nanos(in.Now)),
		kv("request", obj(
			kv("uid", ast.StringTerm(req.UID)),
			kv("operation", ast.StringTerm(req.Operation)),
			kv("dryRun", ast.InternedTerm(req.DryRun)),
			kv("user", obj(kv("name", ast.StringTerm(req.User)), kv("groups", strs(req.Groups)))),
			kv("isController", ast.InternedTerm(in.IsController)),
			kv("revert", ast.InternedTerm(in.Revert)),
			kv("kubernetesController", ast.InternedTerm(in.IsKubernetes)),
			kv("finalizing", ast.InternedTerm(in.Finalizing)),
			kv("breakGlassGroup", ast.StringTerm(in.BreakGlass)),
			kv("automation", ast.InternedTerm(in.AutomationIdentity)),
		)),
		kv("object", obj(
			kv("ref", ast.StringTerm(req.Ref())),
			kv("kind", ast.StringTerm(req.Kind)),
			kv("group", ast.StringTerm(req.Group)),
			kv("resource", ast.StringTerm(req.Resource)),
			kv("subResource", ast.StringTerm(req.SubResource)),
			kv("namespace", ast.StringTerm(req.Namespace)),
			kv("name", ast.StringTerm(req.Name)),
			kv("regions", strs(in.Regions)),
			kv("annotatedRegions", strs(in.AnnotatedRegions)),
			kv("targets", strs(in.Targets)),
			kv("oldTargets", strs(in.OldTargets)),
			kv("protection", ast.StringTerm(in.Protection)),
			kv("newProtection", ast.StringTerm(in.NewProtection)),
			kv("protectedInside", strs(in.ProtectedInside)),
			kv("protectedDependents", strs(in.ProtectedDependents)),
			kv("addsOwner", ast.InternedTerm(in.AddsOwner)),
			kv("unseenKinds", strs(in.UnseenKinds)),
			kv("unseenDenied", ast.InternedTerm(in.UnseenDenied)),
			kv("requires", strs(in.Requires)),
			kv("change", obj(kv("id", ast.StringTerm(in.ChangeID)), kv("short", ast.StringTerm(in.ChangeShort)))),
		)),
		kv("inventory", obj(kv("size", ast.InternedTerm(in.InventorySize)), kv("regions", in.inventoryValue()))),
		kv("freezes", in.freezesValue()),
		kv("rollouts", in.rolloutsValue()),
		kv("automation", in.automationValue()),
		kv("velocity", velocityValue(in.Now, in.Velocity)),
		kv("moves", in.movesValue()),
	).Value
}

func (in *Input) movesValue() *ast.Term {
	if len(in.Moves) == 0 {
		return ast.InternedEmptyArray
	}
	terms := make([]*ast.Term, 0, len(in.Moves))
	for _, m := range in.Moves {
		terms = append(terms, obj(
			kv("change", obj(kv("id", ast.StringTerm(m.ChangeID)), kv("short", ast.StringTerm(m.ChangeShort)))),
			kv("velocity", velocityValue(in.Now, m.Velocity)),
		))
	}
	return ast.ArrayTerm(terms...)
}

func (in *Input) inventoryValue() *ast.Term {
	items := make([][2]*ast.Term, 0, len(in.Known))
	for r, known := range in.Known {
		items = append(items, kv(r, obj(kv("known", ast.InternedTerm(known)))))
	}
	return obj(items...)
}

func (in *Input) freezesValue() *ast.Term {
	if len(in.Freezes) == 0 {
		return ast.InternedEmptyArray
	}
	terms := make([]*ast.Term, 0, len(in.Freezes))
	for _, f := range in.Freezes {
		terms = append(terms, obj(
			kv("name", ast.StringTerm(f.Name)),
			kv("reason", ast.StringTerm(f.Reason)),
			kv("ticket", ast.StringTerm(f.Ticket)),
			kv("covers", strs(f.Covers)),
			kv("exemptUsers", strs(f.ExemptUsers)),
			kv("exemptGroups", strs(f.ExemptGroups)),
			kv("allowReverts", ast.InternedTerm(f.AllowReverts)),
		))
	}
	return ast.ArrayTerm(terms...)
}

func (in *Input) rolloutsValue() *ast.Term {
	if len(in.Rollouts) == 0 {
		return ast.InternedEmptyObject
	}
	items := make([][2]*ast.Term, 0, len(in.Rollouts))
	for name, rf := range in.Rollouts {
		regions := make([]*ast.Term, 0, len(rf.Regions))
		for _, r := range rf.Regions {
			regions = append(regions, obj(
				kv("region", ast.StringTerm(r.Region)),
				kv("converged", ast.InternedTerm(r.Converged)),
				kv("detail", ast.StringTerm(r.Detail)),
			))
		}
		items = append(items, kv(name, obj(kv("exists", ast.InternedTerm(rf.Exists)), kv("regions", ast.ArrayTerm(regions...)))))
	}
	return obj(items...)
}

func (in *Input) automationValue() *ast.Term {
	if len(in.Automation) == 0 {
		return ast.InternedEmptyArray
	}
	terms := make([]*ast.Term, 0, len(in.Automation))
	for _, p := range in.Automation {
		resources := make([]*ast.Term, 0, len(p.Scope.Resources))
		for _, gr := range p.Scope.Resources {
			resources = append(resources, obj(kv("group", ast.StringTerm(gr.Group)), kv("resource", ast.StringTerm(gr.Resource))))
		}
		terms = append(terms, obj(
			kv("name", ast.StringTerm(p.Name)),
			kv("observed", ast.InternedTerm(p.Observed)),
			kv("ready", ast.InternedTerm(p.Ready)),
			kv("readyMessage", ast.StringTerm(p.ReadyMessage)),
			kv("untaggedCount", ast.InternedTerm(int(p.UntaggedCount))),
			kv("uncoveredRegions", strs(p.UncoveredRegions)),
			kv("scope", obj(
				kv("regions", strs(p.Scope.Regions)),
				kv("namespaces", strs(p.Scope.Namespaces)),
				kv("resources", ast.ArrayTerm(resources...)),
			)),
			kv("deletionsLastHour", ast.InternedTerm(p.DeletionsLastHour)),
			kv("maxDeletionsPerHour", ast.InternedTerm(int(p.MaxDeletionsPerHour))),
		))
	}
	return ast.ArrayTerm(terms...)
}

func velocityValue(now time.Time, v VelocityFacts) *ast.Term {
	entering := make([]*ast.Term, 0, len(v.Entering))
	for _, e := range v.Entering {
		entering = append(entering, obj(
			kv("region", ast.StringTerm(e.Region)),
			kv("wave", ast.StringTerm(e.Wave)),
			kv("waveIndex", ast.InternedTerm(e.WaveIndex)),
			kv("pairs", strs(e.Pairs)),
		))
	}
	reached := make([]*ast.Term, 0, len(v.Reached))
	for _, r := range v.Reached {
		reached = append(reached, obj(
			kv("region", ast.StringTerm(r.Region)),
			kv("wave", ast.StringTerm(r.Wave)),
			kv("waveIndex", ast.InternedTerm(r.WaveIndex)),
			kv("planIndex", ast.InternedTerm(r.PlanIndex)),
			kv("at", nanos(r.At)),
			kv("ago", ast.StringTerm(Human(now.Sub(r.At)))),
			kv("bakeNs", int64Term(r.Bake.Nanoseconds())),
			kv("bake", ast.StringTerm(Human(r.Bake))),
		))
	}
	return obj(
		kv("plan", ast.StringTerm(v.Plan)),
		kv("planFound", ast.InternedTerm(v.PlanFound)),
		kv("entering", ast.ArrayTerm(entering...)),
		kv("reached", ast.ArrayTerm(reached...)),
	)
}

// Human words a duration the way people say it: 45s, 4m, 6h, 1h30m.
func Human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// nanos is a time as nanoseconds since the epoch; 0 for the zero time.
func nanos(t time.Time) *ast.Term {
	if t.IsZero() {
		return ast.InternedTerm(0)
	}
	return int64Term(t.UnixNano())
}

func int64Term(n int64) *ast.Term {
	return ast.NewTerm(ast.Number(strconv.FormatInt(n, 10)))
}

// keyTerms holds the input's fixed keys, built once: every request would
// otherwise allocate the same hundred key terms.
var keyTerms = func() map[string]*ast.Term {
	keys := []string{
		"now", "request", "uid", "operation", "dryRun", "user", "name", "groups", "isController", "revert", "allowReverts", "kubernetesController",
		"finalizing", "breakGlassGroup", "subResource",
		"object", "ref", "kind", "group", "resource", "namespace", "regions", "annotatedRegions", "targets", "oldTargets",
		"protection", "protectedInside", "unseenKinds", "unseenDenied", "requires", "change", "id", "short", "inventory", "size", "known",
		"freezes", "reason", "ticket", "covers", "exemptUsers", "exemptGroups", "rollouts", "exists",
		"region", "converged", "detail", "automation", "observed", "ready", "readyMessage", "untaggedCount",
		"uncoveredRegions", "scope", "namespaces", "resources", "deletionsLastHour", "maxDeletionsPerHour",
		"velocity", "plan", "planFound", "entering", "reached", "wave", "waveIndex", "planIndex", "pairs", "at", "ago", "bakeNs", "bake",
		"protectedDependents", "addsOwner", "moves",
	}
	m := make(map[string]*ast.Term, len(keys))
	for _, k := range keys {
		m[k] = ast.StringTerm(k)
	}
	return m
}()

func kv(k string, v *ast.Term) [2]*ast.Term {
	key, ok := keyTerms[k]
	if !ok {
		key = ast.StringTerm(k)
	}
	return [2]*ast.Term{key, v}
}

func obj(items ...[2]*ast.Term) *ast.Term { return ast.ObjectTerm(items...) }

// strs is a list of strings as an array. Booleans, small numbers and empty
// arrays are OPA's interned terms throughout: they are never changed, and
// each would otherwise be one more allocation per request.
func strs(ss []string) *ast.Term {
	if len(ss) == 0 {
		return ast.InternedEmptyArray
	}
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}
