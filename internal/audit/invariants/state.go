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
	"slices"
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
	uid  uid
	// region is the wavegate.io/region label (for a Namespace, its region).
	region string
	// regions is the wavegate.io/regions annotation, as written.
	protection string
	payload    digest
	empty      bool
	// body is false for an object the log names without its body (level
	// Metadata, as Secrets are logged): its labels and payload are unknown.
	body bool
	// last is the request that last wrote the object.
	last stamp
	// extra holds what few objects have; nil for most.
	*extra
	// fin is set while the object is being deleted and waits for finalizers.
	fin *finalizing
}

// extra is what an object has only sometimes: a regions annotation, a
// change-id, a plan, owners.
type extra struct {
	regions  string
	changeID string
	plan     string
	owners   []uid
}

var noExtra = &extra{}

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

// stamp is what the replay keeps of the request that last wrote an
// object: enough to name it in a report, small enough to keep for every
// object.
type stamp struct {
	at   int64 // unix nanoseconds
	user string
	line int
	file uint16 // index in state.files
	verb uint8  // index in state.verbs
}

// ref is an earlier request that a change's entries name: its stamp and
// its object.
type ref struct {
	stamp
	kind, namespace, name string
}

// entry is a change's entry into a region, and the request that brought
// it while it can still matter in detail (see state.sweep).
type entry struct {
	region string
	at     int64
	by     *ref
}

func (x entry) time() time.Time { return time.Unix(0, x.at).UTC() }

// changeKey is one key of a change: its change-id, or its payload hash.
type changeKey struct {
	id   string
	hash digest
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
	byUID      map[uid]*object
	dependents map[uid][]*object
	// kinds learns each resource's kind from the objects it returns.
	kinds map[string]string

	// hashes and ids are the entries of each change key.
	hashes map[digest][]entry
	ids    map[string][]entry
	strs   map[string]string
	files  []string
	verbs  []string
}

func newState() *state {
	return &state{
		regions: map[string]string{}, plans: map[string]*plan{}, freezes: map[string]*freeze{},
		rollouts: map[string]*rollout{}, policies: map[string]wavegatev1alpha1.Identities{},
		autoUsers: map[string]bool{}, autoGroups: map[string]bool{},
		objects: map[objKey]*object{}, namespaces: map[string]*object{}, members: map[string]map[*object]struct{}{},
		byUID: map[uid]*object{}, dependents: map[uid][]*object{}, kinds: map[string]string{},
		hashes: map[digest][]entry{}, ids: map[string][]entry{}, strs: map[string]string{}, files: []string{""}, verbs: []string{""},
	}
}

// index finds or adds s in a small table (files, verbs).
func index[T uint8 | uint16](table *[]string, s string) T {
	for i, x := range *table {
		if x == s {
			return T(i)
		}
	}
	if len(*table) > int(^T(0)) {
		return 0
	}
	*table = append(*table, s)
	return T(len(*table) - 1)
}

// request is the Request a stamp names, for an object.
func (s *state) request(st stamp, object string) Request {
	if st.at == 0 && st.verb == 0 {
		return Request{Verb: VerbState, Object: object}
	}
	return Request{Time: time.Unix(0, st.at).UTC(), User: st.user, Verb: s.verbs[st.verb], Object: object,
		Source: s.files[st.file], Line: st.line}
}

// earlier is the Earlier a change's entry names.
func (s *state) earlier(x entry, what string) Earlier {
	if x.by == nil {
		return Earlier{Request: Request{Time: x.time()}, Region: x.region,
			What: what + " (the request itself is no longer kept: it is older than any bake)"}
	}
	return Earlier{Request: s.request(x.by.stamp, objectRef(x.by.kind, x.by.namespace, x.by.name)), Region: x.region, What: what}
}

// sweep forgets which request brought each entry older than before: after
// the longest bake of any plan, an entry's time and region still count
// (waves never go down, a region reached is not entered again), but the
// request is only named in a report. This keeps the history's memory to a
// region and a time per entry.
func (s *state) sweep(before int64) {
	forget := func(list []entry) {
		for i := range list {
			if list[i].at < before {
				list[i].by = nil
			}
		}
	}
	for _, list := range s.hashes {
		forget(list)
	}
	for _, list := range s.ids {
		forget(list)
	}
}

// entries are a change key's entries.
func (s *state) entries(k changeKey) []entry {
	if k.id != "" {
		return s.ids[k.id]
	}
	return s.hashes[k.hash]
}

func (s *state) setEntries(k changeKey, list []entry) {
	if k.id != "" {
		s.ids[k.id] = list
	} else {
		s.hashes[k.hash] = list
	}
}

// longestBake is the longest wait any plan (or no plan) imposes.
func (s *state) longestBake() time.Duration {
	longest := noPlanWait
	for _, p := range s.plans {
		for _, w := range p.waves {
			longest = max(longest, w.bake)
		}
	}
	return longest
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
func (s *state) put(key objKey, p *parsed, by stamp) *object {
	o := s.objects[key]
	if o == nil {
		o = &object{key: key, extra: noExtra}
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
	o.protection = s.intern(p.labels[wavegatev1alpha1.LabelProtection])
	x := extra{regions: s.intern(p.annotations[wavegatev1alpha1.AnnotationRegions]),
		changeID: strings.TrimSpace(p.annotations[wavegatev1alpha1.AnnotationChangeID]),
		plan:     s.intern(strings.TrimSpace(p.annotations[wavegatev1alpha1.AnnotationPlan])),
		owners:   p.owners}
	if x.regions == "" && x.changeID == "" && x.plan == "" && len(x.owners) == 0 {
		o.extra = noExtra
	} else {
		o.extra = &x
	}
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
func (s *state) putUnknown(key objKey, by stamp) {
	o := s.put(key, &parsed{kind: s.kindOf(key)}, by)
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
	if o.uid != (uid{}) {
		s.byUID[o.uid] = o
	}
	for _, u := range o.owners {
		s.dependents[u] = append(s.dependents[u], o)
	}
}

func (s *state) unlink(o *object) {
	if o.uid != (uid{}) && s.byUID[o.uid] == o {
		delete(s.byUID, o.uid)
	}
	for _, u := range o.owners {
		deps := s.dependents[u]
		if i := slices.Index(deps, o); i >= 0 {
			deps[i] = deps[len(deps)-1]
			deps = deps[:len(deps)-1]
		}
		if len(deps) == 0 {
			delete(s.dependents, u)
		} else {
			s.dependents[u] = deps
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
