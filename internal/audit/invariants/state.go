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
	"sort"
	"strings"
	"time"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// objKey names an object as the API server's objectRef does.
type objKey struct {
	group, resource, namespace, name string
}

// object is what the replay keeps of one object: only what the properties
// read, never the object itself.
type object struct {
	key  objKey
	kind string
	uid  string
	// region is the wavegate.io/region label (for a Namespace, its region).
	region string
	// regions is the wavegate.io/regions annotation, as written.
	regions    string
	protection string
	changeID   string
	plan       string
	owners     []string
	payload    digest
	empty      bool
	// body is false for an object the log names without its body (level
	// Metadata, as Secrets are logged): its labels and payload are unknown.
	body bool
	// system marks objects that Kubernetes' own controllers created (root
	// CA ConfigMaps, default ServiceAccounts, ReplicaSets): consequences of
	// requests already judged, not configuration of their own.
	system bool
	// last is the request that last wrote the object.
	last *Request
	// fin is set while the object is being deleted and waits for finalizers.
	fin *finalizing
}

type finalizing struct {
	finalizers []string
	rest       digest
}

// ref names the object in reports: "Kind namespace/name".
func (o *object) ref() string { return objectRef(o.kind, o.key.namespace, o.key.name) }

func objectRef(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// entry is a change's entry into a region: the request that brought it.
type entry struct {
	region string
	by     *Request
}

type plan struct {
	name  string
	waves []wave
	index map[string]int
}

type wave struct {
	name string
	bake time.Duration
}

// wave is the index of region's wave; a region in no wave counts as the
// last wave.
func (p *plan) wave(region string) int {
	if i, ok := p.index[region]; ok {
		return i
	}
	return len(p.waves) - 1
}

func (p *plan) bake(i int) time.Duration {
	if i < 0 || i >= len(p.waves) {
		return 0
	}
	return p.waves[i].bake
}

func (p *plan) waveName(i int) string {
	if i < 0 || i >= len(p.waves) {
		return "?"
	}
	return p.waves[i].name
}

type freeze struct {
	name    string
	spec    wavegatev1alpha1.FreezeSpec
	created time.Time
	by      *Request
}

// activeAt reports whether the Freeze holds a request received at t, the
// gate deciding up to tolerance later: its expiry is after t+tolerance.
func (f *freeze) activeAt(t time.Time, tolerance time.Duration) bool {
	if t.Before(f.created) {
		return false
	}
	return f.spec.ExpiresAt == nil || t.Add(tolerance).Before(f.spec.ExpiresAt.Time)
}

type rollout struct {
	generation         int64
	observedGeneration int64
	version            string
	regions            map[string]wavegatev1alpha1.RolloutRegionStatus
	by                 *Request
}

// state is the replayed cluster state.
type state struct {
	regions    map[string]string // name → pairedRegion
	plans      map[string]*plan
	freezes    map[string]*freeze
	freezeList []*freeze // sorted by name
	rollouts   map[string]*rollout
	policies   map[string]wavegatev1alpha1.Identities
	autoUsers  map[string]bool
	autoGroups map[string]bool

	objects    map[objKey]*object
	namespaces map[string]*object
	members    map[string]map[*object]struct{}
	byUID      map[string]*object
	dependents map[string]map[*object]struct{}
	// kinds learns each resource's kind from the objects it returns.
	kinds map[string]string

	entries map[string][]entry
	strs    map[string]string
}

func newState() *state {
	return &state{
		regions: map[string]string{}, plans: map[string]*plan{}, freezes: map[string]*freeze{},
		rollouts: map[string]*rollout{}, policies: map[string]wavegatev1alpha1.Identities{},
		autoUsers: map[string]bool{}, autoGroups: map[string]bool{},
		objects: map[objKey]*object{}, namespaces: map[string]*object{}, members: map[string]map[*object]struct{}{},
		byUID: map[string]*object{}, dependents: map[string]map[*object]struct{}{}, kinds: map[string]string{},
		entries: map[string][]entry{}, strs: map[string]string{},
	}
}

// intern keeps one copy of the strings that repeat: regions, kinds,
// namespaces, users.
func (s *state) intern(v string) string {
	if v == "" {
		return ""
	}
	if i, ok := s.strs[v]; ok {
		return i
	}
	s.strs[v] = v
	return v
}

// paired reports whether a and b are a failover pair: either names the
// other (a one-sided pair counts, docs/spec.md §3).
func (s *state) paired(a, b string) bool {
	return a != b && (s.regions[a] == b || s.regions[b] == a)
}

// pairsOf lists the failover pairs of region.
func (s *state) pairsOf(region string) []string {
	var out []string
	if p := s.regions[region]; p != "" && p != region {
		out = append(out, p)
	}
	for name, p := range s.regions {
		if p == region && name != region && name != s.regions[region] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (s *state) inventory() []string {
	out := make([]string, 0, len(s.regions))
	for r := range s.regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func (s *state) setFreezes() {
	s.freezeList = s.freezeList[:0]
	for _, f := range s.freezes {
		s.freezeList = append(s.freezeList, f)
	}
	sort.Slice(s.freezeList, func(i, j int) bool { return s.freezeList[i].name < s.freezeList[j].name })
}

func (s *state) setPolicies() {
	s.autoUsers, s.autoGroups = map[string]bool{}, map[string]bool{}
	for _, id := range s.policies {
		for _, sa := range id.ServiceAccounts {
			if ns, name, ok := strings.Cut(strings.TrimSpace(sa), "/"); ok {
				s.autoUsers["system:serviceaccount:"+ns+":"+name] = true
			}
		}
		for _, u := range id.Users {
			s.autoUsers[u] = true
		}
		for _, g := range id.Groups {
			s.autoGroups[g] = true
		}
	}
}

func (s *state) setPlan(name string, spec wavegatev1alpha1.WavePlanSpec) {
	p := &plan{name: name, index: map[string]int{}}
	for i, w := range spec.Waves {
		p.waves = append(p.waves, wave{name: w.Name, bake: w.BakeTime.Duration})
		for _, r := range w.Regions {
			if _, dup := p.index[r]; !dup {
				p.index[s.intern(r)] = i
			}
		}
	}
	s.plans[name] = p
}

// put records an object as the API server stored it, and returns it.
func (s *state) put(key objKey, p *parsed, by *Request, system bool) *object {
	o := s.objects[key]
	if o == nil {
		o = &object{key: key, system: system}
		s.objects[key] = o
		if key.namespace != "" {
			m := s.members[key.namespace]
			if m == nil {
				m = map[*object]struct{}{}
				s.members[key.namespace] = m
			}
			m[o] = struct{}{}
		}
		if isNamespace(key) {
			s.namespaces[key.name] = o
		}
	}
	s.unlink(o)
	o.kind = s.intern(p.kind)
	o.uid = p.uid
	o.region = s.intern(p.labels[wavegatev1alpha1.LabelRegion])
	o.regions = s.intern(p.annotations[wavegatev1alpha1.AnnotationRegions])
	o.protection = s.intern(p.labels[wavegatev1alpha1.LabelProtection])
	o.changeID = strings.TrimSpace(p.annotations[wavegatev1alpha1.AnnotationChangeID])
	o.plan = s.intern(strings.TrimSpace(p.annotations[wavegatev1alpha1.AnnotationPlan]))
	o.owners = p.owners
	o.payload, o.empty, o.body = p.payload, p.empty, true
	o.last = by
	o.fin = nil
	if p.deleting {
		o.fin = &finalizing{finalizers: p.finalizers, rest: p.rest}
	}
	s.link(o)
	s.kinds[key.group+"/"+key.resource] = o.kind
	return o
}

// putUnknown records an object the log names without its body.
func (s *state) putUnknown(key objKey, by *Request, system bool) {
	o := s.put(key, &parsed{kind: s.kindOf(key)}, by, system)
	o.body = false
}

func (s *state) kindOf(key objKey) string {
	if k := s.kinds[key.group+"/"+key.resource]; k != "" {
		return k
	}
	switch key.resource {
	case "secrets":
		return "Secret"
	case "configmaps":
		return "ConfigMap"
	}
	return key.resource
}

func (s *state) link(o *object) {
	if o.uid != "" {
		s.byUID[o.uid] = o
	}
	for _, uid := range o.owners {
		d := s.dependents[uid]
		if d == nil {
			d = map[*object]struct{}{}
			s.dependents[uid] = d
		}
		d[o] = struct{}{}
	}
}

func (s *state) unlink(o *object) {
	if o.uid != "" && s.byUID[o.uid] == o {
		delete(s.byUID, o.uid)
	}
	for _, uid := range o.owners {
		if d := s.dependents[uid]; d != nil {
			delete(d, o)
			if len(d) == 0 {
				delete(s.dependents, uid)
			}
		}
	}
}

// remove forgets a deleted object; a Namespace takes what is left in it.
func (s *state) remove(key objKey) {
	o := s.objects[key]
	if o == nil {
		return
	}
	s.unlink(o)
	delete(s.objects, key)
	if key.namespace != "" {
		if m := s.members[key.namespace]; m != nil {
			delete(m, o)
		}
	}
	if isNamespace(key) {
		delete(s.namespaces, key.name)
		for m := range s.members[key.name] {
			s.unlink(m)
			delete(s.objects, m.key)
		}
		delete(s.members, key.name)
	}
}

func isNamespace(key objKey) bool { return key.group == "" && key.resource == "namespaces" }

// nsRegion is the region label of a Namespace.
func (s *state) nsRegion(namespace string) string {
	if ns := s.namespaces[namespace]; ns != nil {
		return ns.region
	}
	return ""
}
