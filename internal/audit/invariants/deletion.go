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

package invariants

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// maxEarlier bounds the earlier requests a violation lists.
const maxEarlier = 10

// deletion checks S3 for a delete of root: what it deletes is root, every
// object of root's Namespace when root is one, and every object that
// depends on those through ownerReferences, transitively (the garbage
// collector's deletes are the consequence of this one). Automation may
// delete only objects tagged exactly deletable; a human, without break-glass,
// no object tagged with any other value.
func (c *Checker) deletion(r *req, rq *Request, root *object, orphan bool) {
	if r.who == kubernetes {
		return
	}
	var bad []*object
	unknown := 0
	for _, o := range c.deletedBy(root, orphan) {
		switch {
		case !o.body:
			unknown++
		case r.who == automation && o.protection != wavegatev1alpha1.ProtectionDeletable:
			bad = append(bad, o)
		case r.who != automation && o.protection != "" && o.protection != wavegatev1alpha1.ProtectionDeletable:
			bad = append(bad, o)
		}
	}
	if unknown > 0 {
		c.note(*rq, NoteUnknownMembers)
	}
	if len(bad) == 0 {
		return
	}
	glass := r.who != automation && c.breaksGlass(r)
	explanation := c.deletionText(r, root, bad, glass)
	if glass {
		c.breakGlass = append(c.breakGlass, BreakGlass{Property: S3, Rule: RuleProtectedDelete, Request: *rq, Object: bad[0].ref(),
			Why: "member of the break-glass group " + c.o.BreakGlassGroup + c.gateNote(r), Explanation: explanation})
		return
	}
	v := Violation{Property: S3, Rule: RuleProtectedDelete, Request: *rq, Explanation: explanation}
	for _, o := range bad[:min(len(bad), maxEarlier)] {
		v.Earlier = append(v.Earlier, Earlier{Request: c.lastWrite(o), Region: o.region, What: "left " + o.ref() + " " + protectionText(o.protection)})
	}
	c.violate(v)
}

func (c *Checker) lastWrite(o *object) Request { return c.s.request(o.last, o.ref()) }

func protectionText(p string) string {
	switch p {
	case "":
		return "untagged, which counts as protected"
	case wavegatev1alpha1.ProtectionProtected:
		return "tagged protected"
	}
	return fmt.Sprintf("tagged %q, which is not deletable", p)
}

func (c *Checker) deletionText(r *req, root *object, bad []*object, glass bool) string {
	who := "a human without break-glass"
	switch {
	case r.who == automation:
		who = "delete automation"
	case glass:
		who = "a human"
	}
	var names []string
	for _, o := range bad[:min(len(bad), 5)] {
		names = append(names, o.ref()+" ("+protectionText(o.protection)+")")
	}
	more := ""
	if len(bad) > 5 {
		more = fmt.Sprintf(" and %d more", len(bad)-5)
	}
	list := strings.Join(names, ", ") + more
	switch {
	case len(bad) == 1 && bad[0] == root:
		return fmt.Sprintf("%s deleted %s", who, list)
	case isNamespace(root.key):
		return fmt.Sprintf("%s deleted Namespace %s, which holds %s", who, root.key.name, list)
	}
	return fmt.Sprintf("%s deleted %s, and with it what depends on it through ownerReferences: %s", who, root.ref(), list)
}

// deletedBy lists what a delete of root deletes, root first, of what the
// replay keeps (never what Kubernetes' own controllers made).
func (c *Checker) deletedBy(root *object, orphan bool) []*object {
	out := []*object{root}
	seen := map[*object]bool{root: true}
	var queue []*object
	if !orphan {
		queue = append(queue, root)
	}
	if isNamespace(root.key) {
		for _, m := range c.sortedMembers(root.key.name) {
			seen[m] = true
			queue = append(queue, m)
			out = append(out, m)
		}
	}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if o.uid == (uid{}) {
			continue
		}
		deps := slices.Clone(c.s.dependents[o.uid])
		sort.Slice(deps, func(i, j int) bool { return deps[i].ref() < deps[j].ref() })
		for _, d := range deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			queue = append(queue, d)
			out = append(out, d)
		}
	}
	return out
}

// automationEdit checks S3 for automation's updates: it never adds an owner
// reference to an object not tagged deletable, and never lowers a
// protection (protected to anything else, or anything not deletable to
// deletable).
func (c *Checker) automationEdit(rq *Request, old *object, p *parsed) {
	var problems []string
	if old.protection != wavegatev1alpha1.ProtectionDeletable {
		for _, u := range p.owners {
			if slices.Contains(old.owners, u) {
				continue
			}
			owner := "uid " + u.String()
			if o := c.s.byUID[u]; o != nil {
				owner = o.ref()
			}
			problems = append(problems, fmt.Sprintf("adds an ownerReference to %s on %s, which is %s: deleting the owner would delete it",
				owner, old.ref(), protectionText(old.protection)))
		}
	}
	next := p.labels[wavegatev1alpha1.LabelProtection]
	if (old.protection == wavegatev1alpha1.ProtectionProtected && next != old.protection) ||
		(old.protection != wavegatev1alpha1.ProtectionDeletable && next == wavegatev1alpha1.ProtectionDeletable) {
		problems = append(problems, fmt.Sprintf("lowers the protection of %s from %q to %q", old.ref(), old.protection, next))
	}
	if len(problems) == 0 {
		return
	}
	c.violate(Violation{Property: S3, Rule: RuleProtectedDelete, Request: *rq,
		Explanation: "delete automation " + strings.Join(problems, "; "),
		Earlier:     []Earlier{{Request: c.lastWrite(old), Region: old.region, What: "left " + old.ref() + " " + protectionText(old.protection)}}})
}
