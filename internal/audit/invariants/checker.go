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
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Defaults of Options.
const (
	DefaultControllerUser  = "system:serviceaccount:wavegate-system:wavegate-manager"
	DefaultBreakGlassGroup = "wavegate:break-glass"
	DefaultNamespace       = "wavegate-system"
	DefaultTolerance       = time.Second
	// DefaultNotesPerReason is how many notes of one reason are kept.
	DefaultNotesPerReason = 20
)

// Reasons of Notes.
const (
	NoteNotSeen        = "unverifiable: not seen before"
	NoteNoBody         = "unverifiable: logged without the object (level Metadata); judged by its Namespace's region only"
	NoteSecret         = "Secret logged at level Metadata (the audit policy never logs secret data): judged by its Namespace's region only"
	NoteCollection     = "unverifiable: deletecollection does not name the objects it deletes"
	NoteBadObject      = "unverifiable: the logged object cannot be read"
	NoteUnknownMembers = "unverifiable: deleted objects whose protection the log does not show"
)

// DefaultSweepEvery is how many events pass between two sweeps of the
// change history (state.sweep).
const DefaultSweepEvery = 1 << 14

// Options configure a Checker as the gate it checks was configured.
type Options struct {
	// ControllerUser is Wavegate's controller identity: its changes are
	// recorded but not judged by S1, and it is judged by every other
	// property. Default DefaultControllerUser.
	ControllerUser string
	// BreakGlassGroup is the global break-glass group. Default
	// DefaultBreakGlassGroup.
	BreakGlassGroup string
	// Namespace is Wavegate's own namespace, never gated. Default
	// DefaultNamespace.
	Namespace string
	// AgentRegion is the region of an agent's cluster: every namespaced
	// object of its log belongs to that region too.
	AgentRegion string
	// Tolerance is added to a request's time before it is compared with a
	// deadline, so that the gate's clock running a little behind the API
	// server's is never a violation. Zero means DefaultTolerance; a
	// negative value compares exactly.
	Tolerance time.Duration
	// Since: requests received before it are replayed into the state (and
	// their changes recorded) but not judged.
	Since time.Time
	// State is the state when the history starts, as `wavegate state
	// export` writes it: Regions, WavePlans, Freezes, ConfigRollouts with
	// status, AutomationPolicies, Namespaces and gated objects.
	State []*unstructured.Unstructured
	// NotesPerReason is how many notes of one reason are kept; every note
	// is counted. Zero means DefaultNotesPerReason.
	NotesPerReason int
	// SweepEvery is how many events pass between two sweeps of the change
	// history, which forget the requests behind entries older than any
	// bake. Zero means DefaultSweepEvery.
	SweepEvery int
}

// Checker judges a history of requests, added in the order the API server
// completed them, against the properties S1–S6. It is not safe for
// concurrent use.
type Checker struct {
	o          Options
	s          *state
	latest     time.Time // the latest request time seen
	violations []Violation
	breakGlass []BreakGlass
	notes      []Note
	sum        Summary
}

// New returns a Checker that starts from o.State.
func New(o Options) (*Checker, error) {
	if o.ControllerUser == "" {
		o.ControllerUser = DefaultControllerUser
	}
	if o.BreakGlassGroup == "" {
		o.BreakGlassGroup = DefaultBreakGlassGroup
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	switch {
	case o.Tolerance == 0:
		o.Tolerance = DefaultTolerance
	case o.Tolerance < 0:
		o.Tolerance = 0
	}
	if o.NotesPerReason <= 0 {
		o.NotesPerReason = DefaultNotesPerReason
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = DefaultSweepEvery
	}
	c := &Checker{o: o, s: newState(), sum: Summary{Violations: map[Property]int{}, Notes: map[string]int{}}}
	for _, obj := range o.State {
		if err := c.seed(obj); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Violations are the violations found so far, in the order of the history.
func (c *Checker) Violations() []Violation { return c.violations }

// BreakGlass are the break-glass admissions found so far.
func (c *Checker) BreakGlass() []BreakGlass { return c.breakGlass }

// Notes are the requests that could not be judged completely; at most
// Options.NotesPerReason of each reason are kept (Summary counts them all).
func (c *Checker) Notes() []Note { return c.notes }

// Summary counts events, judged requests, violations and notes so far.
func (c *Checker) Summary() Summary {
	s := c.sum
	s.BreakGlass = len(c.breakGlass)
	return s
}

// actor is who made a request, as the properties tell them apart.
type actor int

const (
	human actor = iota
	automation
	controller
	kubernetes
)

// req is one admitted request being judged.
type req struct {
	e     *Event
	t     time.Time
	who   actor
	verb  string // create, update (also patch), delete, deletecollection
	judge bool
	r     *Request
	// seed marks an object of the initial state.
	seed bool
}

// Add judges one event and replays it into the state. Events must come in
// the order the API server completed them, as its audit log has them.
func (c *Checker) Add(e Event) {
	c.sum.Events++
	verb := e.Verb
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
	default:
		return
	}
	if e.DryRun || DryRunURI(e.RequestURI) {
		return
	}
	if e.Code >= 300 {
		c.sum.Denied++
		return
	}
	if (verb == "update" || verb == "patch") && e.Code == 201 {
		verb = "create" // an update or apply that created the object
	}
	if verb == "patch" {
		verb = "update"
	}
	normalize(&e)
	r := &req{e: &e, t: e.Time(), verb: verb, who: c.actor(&e)}
	r.judge = r.who != kubernetes && !r.t.Before(c.o.Since)
	if r.t.After(c.latest) {
		c.latest = r.t
	}
	if c.sum.Events%c.o.SweepEvery == 0 {
		c.s.sweep(c.latest.Add(-c.s.longestBake() - c.o.Tolerance - time.Hour).UnixNano())
	}
	switch {
	case e.APIGroup == wavegatev1alpha1.GroupVersion.Group:
		c.wavegate(r)
	case e.Subresource != "":
		c.subresource(r)
	case c.notGated(&e):
	default:
		c.object(r)
	}
}

// normalize gives one object one objectRef: the API server logs a
// Namespace's create without objectRef.namespace and its later writes with
// the Namespace's own name there.
func normalize(e *Event) {
	if e.APIGroup == "" && e.Resource == "namespaces" {
		e.Namespace = ""
	}
}

// DryRunURI reports a request URI with a dryRun parameter: nothing was
// stored.
func DryRunURI(uri string) bool {
	i := strings.IndexByte(uri, '?')
	if i < 0 || !strings.Contains(uri[i:], "dryRun=") {
		return false
	}
	q, err := url.ParseQuery(uri[i+1:])
	return err != nil || q.Get("dryRun") != ""
}

// actor tells Kubernetes' own controllers, Wavegate's controller, delete
// automation (by the AutomationPolicies of the state) and humans apart.
func (c *Checker) actor(e *Event) actor {
	u := e.User
	switch {
	case isKubernetes(u):
		return kubernetes
	case u == c.o.ControllerUser:
		return controller
	case c.s.autoUsers[u]:
		return automation
	}
	for _, g := range e.Groups {
		if c.s.autoGroups[g] {
			return automation
		}
	}
	return human
}

func (c *Checker) breaksGlass(r *req) bool { return slices.Contains(r.e.Groups, c.o.BreakGlassGroup) }

// notGated: Pods, Nodes, Leases, Events, kube-system and Wavegate's own
// namespace are never gated; their writes are not judged and the replay
// does not keep them.
func (c *Checker) notGated(e *Event) bool {
	if e.Namespace == "kube-system" || e.Namespace == c.o.Namespace {
		return true
	}
	switch e.APIGroup {
	case "":
		switch e.Resource {
		case "pods", "nodes", "events":
			return true
		}
	case "coordination.k8s.io":
		return e.Resource == "leases"
	case "events.k8s.io":
		return true
	}
	return false
}

// request is the Request a report names for r.
func (c *Checker) request(r *req, kind, namespace, name string, regions []string) *Request {
	if r.r == nil {
		r.r = &Request{Time: r.t, User: c.s.intern(r.e.User), Verb: r.e.Verb, AuditID: r.e.AuditID, Source: r.e.Source, Line: r.e.Line}
		if r.e.Subresource != "" {
			r.r.Verb += " " + r.e.Subresource
		}
	}
	if r.r.Object == "" {
		r.r.Object = objectRef(kind, namespace, name)
	}
	if regions != nil && r.r.Regions == nil {
		r.r.Regions = regions
	}
	return r.r
}

// stampOf is what the replay keeps of r.
func (c *Checker) stampOf(r *req) stamp {
	if r.seed {
		return stamp{}
	}
	verb := r.e.Verb
	if r.e.Subresource != "" {
		verb += " " + r.e.Subresource
	}
	return stamp{at: r.t.UnixNano(), user: c.s.intern(r.e.User), line: r.e.Line,
		file: index[uint16](&c.s.files, r.e.Source), verb: index[uint8](&c.s.verbs, verb)}
}

func (c *Checker) violate(v Violation) {
	c.violations = append(c.violations, v)
	c.sum.Violations[v.Property]++
}

func (c *Checker) note(r Request, reason string) {
	c.sum.Notes[reason]++
	if c.sum.Notes[reason] <= c.o.NotesPerReason {
		r.Regions = append([]string(nil), r.Regions...)
		c.notes = append(c.notes, Note{Request: r, Reason: reason})
	}
}

// view is the regions an object belongs to by one or several readings.
type view struct {
	regions []string
	all     bool // wavegate.io/regions: "*"
}

// viewOf reads an object's regions (docs/spec.md §2): its own label, its
// Namespace's label (nsRegion), the agent's region for a namespaced object,
// and the regions annotation.
func (c *Checker) viewOf(own, annotation, namespace, nsRegion string) view {
	var v view
	add := func(r string) {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(v.regions, r) {
			v.regions = append(v.regions, c.s.intern(r))
		}
	}
	add(own)
	if namespace != "" {
		add(nsRegion)
		add(c.o.AgentRegion)
	}
	for _, r := range strings.Split(annotation, ",") {
		if strings.TrimSpace(r) == wavegatev1alpha1.AllRegions {
			v.all = true
			continue
		}
		add(r)
	}
	sort.Strings(v.regions)
	return v
}

func (v view) union(w view) view {
	out := view{all: v.all || w.all, regions: append([]string(nil), v.regions...)}
	for _, r := range w.regions {
		if !slices.Contains(out.regions, r) {
			out.regions = append(out.regions, r)
		}
	}
	sort.Strings(out.regions)
	return out
}

func (v view) regional() bool { return v.all || len(v.regions) > 0 }

// targets are the regions a view names, "*" being every Region of the
// inventory.
func (c *Checker) targets(v view) []string {
	if !v.all {
		return v.regions
	}
	return view{regions: c.s.inventory()}.union(v).regions
}

func (v view) names() []string {
	if v.all {
		return append(append([]string(nil), v.regions...), wavegatev1alpha1.AllRegions)
	}
	return v.regions
}

func (c *Checker) objectView(o *object) view {
	return c.viewOf(o.region, o.regions, o.key.namespace, c.s.nsRegion(o.key.namespace))
}

func (c *Checker) parsedView(p *parsed, namespace string) view {
	return c.viewOf(p.labels[wavegatev1alpha1.LabelRegion], p.annotations[wavegatev1alpha1.AnnotationRegions], namespace, c.s.nsRegion(namespace))
}

// unknownRegions checks S5: every region a gated write names is in the
// inventory.
func (c *Checker) unknownRegions(r *req, rq *Request, regions []string) {
	var unknown []string
	for _, reg := range regions {
		if _, ok := c.s.regions[reg]; !ok {
			unknown = append(unknown, reg)
		}
	}
	if len(unknown) == 0 {
		return
	}
	c.violate(Violation{Property: S5, Rule: RuleUnknownRegion, Request: *rq,
		Explanation: fmt.Sprintf("region %s is not in the region inventory (no Region object at %s); unknown is not safe",
			strings.Join(unknown, ", "), r.t.UTC().Format(time.RFC3339))})
}

// seed loads one object of the initial state.
func (c *Checker) seed(obj *unstructured.Unstructured) error {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return fmt.Errorf("failed to encode %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	group, _ := splitAPIVersion(obj.GetAPIVersion())
	at := obj.GetCreationTimestamp().Time
	e := Event{Verb: "create", APIGroup: group, Resource: resourceOf(obj.GetKind()), Namespace: obj.GetNamespace(),
		Name: obj.GetName(), ResponseObject: data, Code: 201, Received: at, Completed: at}
	r := &req{e: &e, t: at, verb: "create", who: kubernetes, seed: true}
	r.r = &Request{Time: at, Verb: VerbState, Object: objectRef(obj.GetKind(), obj.GetNamespace(), obj.GetName())}
	if group == wavegatev1alpha1.GroupVersion.Group {
		return c.replayWavegate(r)
	}
	if c.notGated(&e) {
		return nil
	}
	p, err := parseObject(data)
	if err != nil {
		return fmt.Errorf("invalid %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	key := objKey{group: group, resource: e.Resource, namespace: c.s.intern(e.Namespace), name: e.Name}
	if kubernetesMade(obj.GetKind(), obj.GetName()) {
		return nil
	}
	c.s.put(key, p, stamp{})
	return nil
}

// kubernetesMade tells the objects Kubernetes' controllers put in every
// Namespace, which a state file may hold: the replay keeps none of what
// those controllers make (see write).
func kubernetesMade(kind, name string) bool {
	return (kind == "ConfigMap" && name == "kube-root-ca.crt") || (kind == "ServiceAccount" && name == "default")
}

// resourceOf is the resource of a kind of the initial state.
func resourceOf(kind string) string {
	switch kind {
	case "Endpoints":
		return "endpoints"
	}
	return Plural(kind)
}

// isKubernetes reports whether a user is one of Kubernetes' own components.
func isKubernetes(user string) bool {
	return user == "system:kube-controller-manager" || user == "system:kube-scheduler" || user == "system:apiserver" ||
		strings.HasPrefix(user, "system:serviceaccount:kube-system:") || strings.HasPrefix(user, "system:node:")
}
