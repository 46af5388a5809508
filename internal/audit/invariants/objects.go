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
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// object judges and replays a write of a gated object (anything but
// Wavegate's own kinds and what is never gated).
func (c *Checker) object(r *req) {
	e := r.e
	if isNamespace(objKey{group: e.APIGroup, resource: e.Resource}) && (e.Name == "kube-system" || e.Name == c.o.Namespace) {
		return
	}
	switch r.verb {
	case "deletecollection":
		c.deleteCollection(r)
	case "delete":
		c.deleteObject(r)
	default:
		c.write(r)
	}
}

func (c *Checker) key(e *Event, name string) objKey {
	return objKey{group: c.s.intern(e.APIGroup), resource: c.s.intern(e.Resource), namespace: c.s.intern(e.Namespace), name: name}
}

// write judges a create, update or patch, then replays it.
func (c *Checker) write(r *req) {
	e := r.e
	p, err := e.object()
	name := e.Name
	if p != nil && name == "" {
		name = p.name
	}
	key := c.key(e, name)
	old := c.s.objects[key]
	if old != nil {
		key = old.key // one copy of its name
	}
	if r.verb == "create" {
		// It did not exist: what the replay holds was deleted unseen.
		c.s.remove(key)
		old = nil
	}
	if p == nil {
		c.writeWithoutBody(r, key, old, err)
		return
	}
	rq := c.request(r, p.kind, key.namespace, key.name, nil)
	if r.who != kubernetes && !finalizerRemoval(old, p) {
		c.judgeWrite(r, rq, key, old, p)
	}
	c.replay(r, key, p)
}

// finalizerRemoval: removing finalizers from an object that is being
// deleted is not a change (docs/spec.md §3, Freeze).
func finalizerRemoval(old *object, p *parsed) bool {
	if old == nil || old.fin == nil || !p.deleting || p.rest != old.fin.rest {
		return false
	}
	for _, f := range p.finalizers {
		if !slices.Contains(old.fin.finalizers, f) {
			return false
		}
	}
	return true
}

// replay keeps the object as written, whoever wrote it. What Kubernetes'
// own controllers make (ReplicaSets, root CA ConfigMaps, default
// ServiceAccounts) is not judged, but a person or automation may edit it
// later, and that edit is judged on what it changes.
func (c *Checker) replay(r *req, key objKey, p *parsed) {
	if p.deleting && len(p.finalizers) == 0 && !isNamespace(key) {
		c.s.remove(key) // the last finalizer is gone: so is the object
		return
	}
	c.s.put(key, p, c.stampOf(r))
}

// judgeWrite judges a write with its object: S2, S3 (automation's edits),
// S5, and for a change S1 and S4. Before Options.Since the change is only
// recorded.
func (c *Checker) judgeWrite(r *req, rq *Request, key objKey, old *object, p *parsed) {
	newV := c.parsedView(p, key.namespace)
	var oldV view
	known := old != nil && old.body
	if known {
		oldV = c.objectView(old)
	}
	all := newV.union(oldV)
	rq.Regions = all.names()
	ch, payloadChanged := c.changeOf(key, r.verb == "create", old, p, newV, oldV)
	if r.judge {
		c.sum.Judged++
		if r.verb != "create" && !known {
			c.note(*rq, NoteNotSeen)
		}
		c.freeze(r, rq, all, p.annotations[wavegatev1alpha1.AnnotationRevertOf] != "")
		if r.who == automation && known {
			c.automationEdit(rq, old, p)
		}
		s5 := newV
		if payloadChanged {
			s5 = s5.union(oldV)
		}
		c.unknownRegions(r, rq, s5.regions)
	}
	if ch != nil {
		c.velocity(r, rq, ch, r.judge && r.who != controller)
		if r.judge {
			c.requires(rq, ch, p.annotations[wavegatev1alpha1.AnnotationRequires])
		}
	}
	if isNamespace(key) && known && old.region != p.labels[wavegatev1alpha1.LabelRegion] {
		c.move(r, rq, key.name, old.region, p.labels[wavegatev1alpha1.LabelRegion])
	}
}

// change is one request's change (docs/spec.md §2) and the regions it
// targets.
type change struct {
	keys    []changeKey
	name    string
	targets []string
	plan    string
	multi   bool
	// kind, namespace and objName name the object that carries it.
	kind, namespace, objName string
}

func changeName(d digest, id string) string {
	if id != "" {
		return id
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 12)
	for _, x := range d[:6] {
		b = append(b, hex[x>>4], hex[x&15])
	}
	return string(b)
}

func newChange(d digest, id, plan string, targets []string, multi bool) *change {
	ch := &change{keys: []changeKey{{hash: d}}, name: changeName(d, id), targets: targets, plan: plan, multi: multi}
	if id != "" {
		ch.keys = append(ch.keys, changeKey{id: id})
	}
	return ch
}

// changeOf tells whether a write carries a change (docs/spec.md §2) and
// whether its payload changed: a create with a payload; an update that
// changes the payload, emptying it included; an update with a payload that
// makes the object target a region it did not target. The regions an
// update leaves with new data count as targets too.
func (c *Checker) changeOf(key objKey, create bool, old *object, p *parsed, newV, oldV view) (*change, bool) {
	changed := true
	switch {
	case create:
		if p.empty {
			return nil, false
		}
	case old == nil || !old.body:
		return nil, false
	case p.empty && old.empty:
		return nil, false
	case p.payload == old.payload:
		changed = false
		if subset(c.targets(newV), c.targets(oldV)) {
			return nil, false
		}
	}
	targets := c.targets(newV)
	if changed && !create {
		targets = view{regions: targets}.union(view{regions: c.targets(oldV)}).regions
	}
	if len(targets) == 0 {
		return nil, changed
	}
	id := strings.TrimSpace(p.annotations[wavegatev1alpha1.AnnotationChangeID])
	plan := strings.TrimSpace(p.annotations[wavegatev1alpha1.AnnotationPlan])
	multi := multiRegion(p.annotations[wavegatev1alpha1.AnnotationRegions])
	ch := newChange(p.payload, id, plan, targets, multi)
	ch.kind, ch.namespace, ch.objName = p.kind, key.namespace, key.name
	return ch, changed
}

// multiRegion reports a wavegate.io/regions annotation that names two or
// more regions, or "*": the multi-region rule's object.
func multiRegion(annotation string) bool {
	n := 0
	for _, r := range strings.Split(annotation, ",") {
		switch r = strings.TrimSpace(r); r {
		case "":
		case wavegatev1alpha1.AllRegions:
			return true
		default:
			n++
		}
	}
	return n > 1
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// move: a Namespace relabelled from one region to another moves every
// object in it that has a payload; each one's change enters the new region.
func (c *Checker) move(r *req, rq *Request, namespace, from, to string) {
	members := c.sortedMembers(namespace)
	for _, m := range members {
		// What Kubernetes' own controllers wrote last (a root CA ConfigMap,
		// the same in every Namespace) is no configuration change (§4).
		if !m.body || m.empty || isKubernetes(m.last.user) {
			continue
		}
		newV := c.viewOf(m.region, m.regions, namespace, to)
		mrq := *rq
		mrq.Object = m.ref() + " (moved by relabelling Namespace " + namespace + " from " + orNone(from) + " to " + orNone(to) + ")"
		mrq.Regions = newV.names()
		ch := newChange(m.payload, m.changeID, m.plan, c.targets(newV), false)
		ch.kind, ch.namespace, ch.objName = m.kind, m.key.namespace, m.key.name
		c.velocity(r, &mrq, ch, r.judge && r.who != controller)
	}
}

func orNone(region string) string {
	if region == "" {
		return "no region"
	}
	return region
}

func (c *Checker) sortedMembers(namespace string) []*object {
	out := make([]*object, 0, len(c.s.members[namespace]))
	for m := range c.s.members[namespace] {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref() < out[j].ref() })
	return out
}

// writeWithoutBody judges a write logged without its object (a Secret at
// level Metadata): by the Namespace's region, and the object's own as the
// replay knows it.
func (c *Checker) writeWithoutBody(r *req, key objKey, old *object, err error) {
	kind := c.s.kindOf(key)
	rq := c.request(r, kind, key.namespace, key.name, nil)
	if r.judge {
		c.sum.Judged++
		if err != nil && !errors.Is(err, errNotAnObject) {
			c.note(*rq, NoteBadObject)
		}
		v := c.viewOf("", "", key.namespace, c.s.nsRegion(key.namespace))
		if old != nil && old.body {
			v = c.objectView(old)
		}
		rq.Regions = v.names()
		if kind == "Secret" {
			c.note(*rq, NoteSecret)
		} else {
			c.note(*rq, NoteNoBody)
		}
		c.freeze(r, rq, v, false)
		c.unknownRegions(r, rq, v.regions)
	}
	if old == nil && r.who != kubernetes {
		c.s.putUnknown(key, c.stampOf(r))
	}
}

// deleteObject judges a delete (S2, S3), then replays it.
func (c *Checker) deleteObject(r *req) {
	e := r.e
	key := c.key(e, e.Name)
	old := c.s.objects[key]
	p, _ := e.object()
	if r.judge {
		c.sum.Judged++
		c.judgeDelete(r, key, old, p)
	}
	if p != nil && p.deleting && (len(p.finalizers) > 0 || isNamespace(key)) {
		// Deletion waits for finalizers (a Namespace, for its contents).
		c.s.put(key, p, c.stampOf(r))
		return
	}
	c.s.remove(key)
}

func (c *Checker) judgeDelete(r *req, key objKey, old *object, p *parsed) {
	target := old
	if target == nil && p != nil {
		target = c.transient(key, p)
	}
	if target == nil {
		rq := c.request(r, c.s.kindOf(key), key.namespace, key.name, nil)
		v := c.viewOf("", "", key.namespace, c.s.nsRegion(key.namespace))
		rq.Regions = v.names()
		c.note(*rq, NoteNotSeen)
		c.freeze(r, rq, v, false)
		return
	}
	v := c.objectView(target)
	rq := c.request(r, target.kind, key.namespace, key.name, v.names())
	c.freeze(r, rq, v, false)
	c.deletion(r, rq, target, orphans(r.e))
}

// transient is an object known only from a delete's response.
func (c *Checker) transient(key objKey, p *parsed) *object {
	return &object{key: key, kind: p.kind, uid: p.uid, body: true,
		region:     p.labels[wavegatev1alpha1.LabelRegion],
		extra:      &extra{regions: p.annotations[wavegatev1alpha1.AnnotationRegions]},
		protection: p.labels[wavegatev1alpha1.LabelProtection]}
}

// orphans reports a delete that leaves the object's dependents behind.
func orphans(e *Event) bool {
	if i := strings.IndexByte(e.RequestURI, '?'); i >= 0 {
		if q, err := url.ParseQuery(e.RequestURI[i+1:]); err == nil {
			if q.Get("propagationPolicy") == "Orphan" || q.Get("orphanDependents") == "true" {
				return true
			}
		}
	}
	var opts struct {
		PropagationPolicy *string `json:"propagationPolicy"`
		OrphanDependents  *bool   `json:"orphanDependents"`
	}
	if len(e.RequestObject) == 0 || json.Unmarshal(e.RequestObject, &opts) != nil {
		return false
	}
	return (opts.PropagationPolicy != nil && *opts.PropagationPolicy == "Orphan") ||
		(opts.OrphanDependents != nil && *opts.OrphanDependents)
}

// deleteCollection cannot be judged per object; the objects it returns
// leave the replay.
func (c *Checker) deleteCollection(r *req) {
	e := r.e
	if r.judge {
		c.sum.Judged++
		rq := c.request(r, c.s.kindOf(c.key(e, "")), e.Namespace, "*", nil)
		c.note(*rq, NoteCollection)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if len(e.ResponseObject) == 0 || json.Unmarshal(e.ResponseObject, &list) != nil {
		return
	}
	for _, it := range list.Items {
		c.s.remove(objKey{group: e.APIGroup, resource: e.Resource, namespace: it.Metadata.Namespace, name: it.Metadata.Name})
	}
}

// subresource judges a scale like a write of its workload (S2); status and
// every other subresource is not gated.
func (c *Checker) subresource(r *req) {
	e := r.e
	if e.Subresource != "scale" || r.verb != "update" || !r.judge || c.notGated(e) {
		return
	}
	c.sum.Judged++
	key := c.key(e, e.Name)
	old := c.s.objects[key]
	v := c.viewOf("", "", key.namespace, c.s.nsRegion(key.namespace))
	kind := c.s.kindOf(key)
	if old != nil && old.body {
		v, kind = c.objectView(old), old.kind
	}
	rq := c.request(r, kind, key.namespace, key.name, v.names())
	if old == nil {
		c.note(*rq, NoteNotSeen)
	}
	c.freeze(r, rq, v, false)
}
