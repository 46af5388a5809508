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
	"sort"
	"strings"
	"time"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/convergence"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/regions"
)

// defaultBake is how long a change waits before a second region when no
// WavePlan judges it.
const defaultBake = time.Hour

// Builder builds policy inputs from an Index.
type Builder struct {
	Index *Index
	// Now is the clock.
	Now func() time.Time
	// ControllerUser is Wavegate's own controller identity.
	ControllerUser string
	// BreakGlassGroup is the global break-glass group.
	BreakGlassGroup string
	// DenyUnseen denies a human's Namespace delete while some kind cannot
	// be seen (Index.Unseen); otherwise the delete is admitted with a
	// warning naming those kinds.
	DenyUnseen bool
	// DefaultRegion is an agent's region: a namespaced object of its
	// cluster whose own and whose Namespace's labels name no region
	// belongs to it. Empty on a hub, where such an object is in no region.
	DefaultRegion string
}

// Input is the policy input of one request, and apart from it (Record) what
// the gate writes if the request is admitted.
type Input struct {
	Now          time.Time
	Request      *Request
	IsController bool
	// Revert: Wavegate's controller restores what a ConfigRollout changed
	// (its patch is marked wavegate.io/revert-of).
	Revert bool
	// IsKubernetes: the requester is one of Kubernetes' own controllers
	// (webhookconfig.KubernetesControllers).
	IsKubernetes bool
	// Finalizing: the request only removes finalizers from an object that
	// is being deleted; it is not a change.
	Finalizing bool
	BreakGlass string

	Regions          []string // single regions of the new and old object
	AnnotatedRegions []string // wavegate.io/regions of the new and old object
	Targets          []string // the current object's own regions, for multi-region
	// OldTargets, on an UPDATE that changes the payload, are the stored
	// object's own regions: the new payload reaches them too, so such an
	// update is judged against what the object targeted before as well.
	OldTargets    []string
	Protection    string // the stored object's protection label
	NewProtection string // the new object's protection label; "" on DELETE
	// AutomationIdentity: an AutomationPolicy names the requester.
	AutomationIdentity bool
	ProtectedInside    []string
	// UnseenKinds, on a Namespace delete, are the kinds whose protected
	// objects cannot be known (Wavegate may not list them); UnseenDenied
	// says whether that denies a human's delete or only warns.
	UnseenKinds  []string
	UnseenDenied bool
	Requires     []string
	ChangeID     string
	ChangeShort  string

	InventorySize int
	Known         map[string]bool
	Freezes       []FreezeFacts
	Rollouts      map[string]RolloutFacts
	Automation    []PolicyFacts
	Velocity      VelocityFacts

	// Record is what the gate writes if the request is admitted; the
	// engine never sees it.
	Record RecordPlan
}

// RecordPlan is what an admitted request records: the regions a change
// enters, and a deletion by automation for each policy it counts against.
type RecordPlan struct {
	// Writes are appended to their change records in order.
	Writes []RecordWrite
	// Bases are the change records the input was built from (nil when a
	// record did not exist). A write must be based on exactly these versions:
	// a newer copy that arrived after the decision was never judged.
	Bases map[string]*wavegatev1alpha1.ChangeRecord
}

// RecordWrite adds entries to one change record, created from Template when
// it does not exist yet.
type RecordWrite struct {
	Name     string
	Template wavegatev1alpha1.ChangeRecordSpec
	Entries  []wavegatev1alpha1.ChangeEntry
}

// FreezeFacts is a Freeze in force that covers part of the request.
type FreezeFacts struct {
	Name, Reason, Ticket string
	Covers               []string
	ExemptUsers          []string
	ExemptGroups         []string
	AllowReverts         bool
}

// RolloutFacts is the convergence of a required rollout.
type RolloutFacts struct {
	Exists  bool
	Regions []convergence.Region
}

// PolicyFacts is an AutomationPolicy of the requester.
type PolicyFacts struct {
	Name                string
	Observed            bool
	Ready               bool
	ReadyMessage        string
	UntaggedCount       int32
	UncoveredRegions    []string
	Scope               wavegatev1alpha1.AutomationScope
	DeletionsLastHour   int
	MaxDeletionsPerHour int32
}

// VelocityFacts is what change-velocity judges.
type VelocityFacts struct {
	Plan      string
	PlanFound bool
	Entering  []EnteringRegion
	Reached   []ReachedRegion
}

// EnteringRegion is a region the change has not reached yet.
type EnteringRegion struct {
	Region    string
	WaveIndex int
	Pairs     []string
}

// ReachedRegion is a region the change has reached.
type ReachedRegion struct {
	Region    string
	Wave      string
	WaveIndex int
	At        time.Time
	Bake      time.Duration
}

// Build returns the input for req. fresh holds change records read from the
// API server after a write conflict; they replace the cached copies.
func (b *Builder) Build(req *Request, fresh map[string]*wavegatev1alpha1.ChangeRecord) *Input {
	ix := b.Index
	ix.mu.RLock()
	defer ix.mu.RUnlock()

	now := b.Now()
	in := &Input{
		Now:          now,
		Request:      req,
		IsController: b.ControllerUser != "" && req.User == b.ControllerUser,
		Revert: b.ControllerUser != "" && req.User == b.ControllerUser && req.Object != nil &&
			req.Object.Annotations[wavegatev1alpha1.AnnotationRevertOf] != "",
		IsKubernetes: webhookconfig.IsKubernetesController(req.User),
		Finalizing:   req.Finalizing(),
		BreakGlass:   b.BreakGlassGroup,
		Record:       RecordPlan{Bases: map[string]*wavegatev1alpha1.ChangeRecord{}},
	}
	b.objectFacts(in, req)
	in.AutomationIdentity = b.automationIdentity(req)
	regions := in.allRegions()
	in.Known = make(map[string]bool, len(regions))
	for _, r := range regions {
		_, in.Known[r] = ix.regions[r]
	}
	if in.targetsAll() {
		in.InventorySize = len(ix.regions)
	}
	in.Freezes = b.freezeFacts(in, regions)
	in.Rollouts = b.rolloutFacts(in, req)
	if req.Operation == "DELETE" {
		in.Automation = b.policyFacts(in, req, now, fresh)
		in.planDeletions()
	} else if in.ChangeID != "" {
		b.velocityFacts(in, req.Object, now, fresh)
	}
	return in
}

// planDeletions records a deletion by automation against each of its
// policies, for their breakers.
func (in *Input) planDeletions() {
	for _, p := range in.Automation {
		entry := wavegatev1alpha1.ChangeEntry{Object: in.Request.Ref()}
		entry.At.Time = in.Now
		if len(in.Regions) > 0 {
			entry.Region = in.Regions[0]
		}
		in.Record.Writes = append(in.Record.Writes, RecordWrite{
			Name: DeletionRecordName(p.Name), Template: wavegatev1alpha1.ChangeRecordSpec{Policy: p.Name}, Entries: []wavegatev1alpha1.ChangeEntry{entry},
		})
	}
}

// objectFacts reads regions, protection, requires and the change id.
func (b *Builder) objectFacts(in *Input, req *Request) {
	regions := map[string]bool{}
	annotated := map[string]bool{}
	for _, o := range []*Object{req.Object, req.OldObject} {
		if o == nil {
			continue
		}
		if r := b.regionOf(req, o); r != "" {
			regions[r] = true
		}
		for _, r := range o.annotatedRegions() {
			annotated[r] = true
		}
	}
	in.Regions = keys(regions)
	in.AnnotatedRegions = keys(annotated)

	cur := req.current()
	targets := map[string]bool{}
	if r := b.regionOf(req, cur); r != "" {
		targets[r] = true
	}
	for _, r := range cur.annotatedRegions() {
		targets[r] = true
	}
	in.Targets = keys(targets)
	if req.changesPayload() {
		in.OldTargets = unique(b.ownTargets(req, req.OldObject))
	}

	if req.OldObject != nil {
		in.Protection = req.OldObject.Labels[wavegatev1alpha1.LabelProtection]
	}
	if req.Object != nil {
		in.NewProtection = req.Object.Labels[wavegatev1alpha1.LabelProtection]
	}
	if req.Operation == "DELETE" && req.Kind == "Namespace" && req.Group == "" {
		b.namespaceContents(in, req.Name)
	}
	if req.Operation != "DELETE" {
		in.Requires = req.Object.requires()
		if b.carriesChange(in, req) {
			in.ChangeID, in.ChangeShort = req.Object.changeID()
		}
	}
}

// namespaceContents sets what a Namespace delete is judged on: the protected
// objects known inside, and the kinds that cannot be known. The Index's lock
// is held by Build.
func (b *Builder) namespaceContents(in *Input, namespace string) {
	inside := sorted(b.Index.protected[namespace])
	if len(inside) > 5 {
		inside = append(inside[:5], "…")
	}
	in.ProtectedInside = inside
	if b.Index.unseen != nil {
		in.UnseenKinds = b.Index.unseen()
	}
	in.UnseenDenied = b.DenyUnseen
}

// carriesChange reports whether a create or update carries a change into
// regions: only a configuration payload does (an object without one carries
// none), an update only when it changes the payload or the regions the
// object targets (not its other labels, annotations, finalizers or status),
// and never one by Kubernetes' own controllers or one that only finalizes.
func (b *Builder) carriesChange(in *Input, req *Request) bool {
	switch {
	case in.IsKubernetes, in.Finalizing, req.SubResource != "", req.Object == nil, req.Object.PayloadHash == "":
		return false
	case req.Operation != "UPDATE" || req.OldObject == nil, req.changesPayload():
		return true
	}
	old := b.ownTargets(req, req.OldObject)
	for _, r := range b.ownTargets(req, req.Object) {
		if !contains(old, r) {
			return true
		}
	}
	return false
}

// ownTargets are the regions an object targets: its region (own label, else
// its Namespace's) and its regions annotation.
func (b *Builder) ownTargets(req *Request, o *Object) []string {
	var out []string
	if r := b.regionOf(req, o); r != "" {
		out = append(out, r)
	}
	return append(out, o.annotatedRegions()...)
}

// regionOf is the object's own region label, else its Namespace's (from
// the request when the gate had to read the Namespace, else the index). The
// Scale of a workload carries no labels: the workload's own label comes from
// the index.
func (b *Builder) regionOf(req *Request, o *Object) string {
	own := o.region()
	if own == "" && req.SubResource == "scale" {
		own = b.Index.workloadRegion[workloadKey(req.Group, req.Resource, req.Namespace, req.Name)]
	}
	nsRegion := b.Index.namespaceRegion[req.Namespace]
	if req.NamespaceLabels != nil {
		nsRegion = regions.Label(req.NamespaceLabels)
	}
	if r := regions.Resolve(own, nsRegion); r != "" || req.Namespace == "" || req.IsNamespace() {
		return r
	}
	return b.DefaultRegion
}

func (in *Input) targetsAll() bool {
	return len(in.AnnotatedRegions) > 0 && in.AnnotatedRegions[0] == wavegatev1alpha1.AllRegions
}

// allRegions is every single region named, labels and annotation alike.
func (in *Input) allRegions() []string {
	out := append([]string(nil), in.Regions...)
	for _, r := range in.AnnotatedRegions {
		if r != wavegatev1alpha1.AllRegions && !contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// pairs are the failover pairs of a region, declared on either side.
func (b *Builder) pairs(region string) []string {
	return b.Index.pairs.Of(region)
}

// freezeFacts selects the freezes that cover a region of the request.
func (b *Builder) freezeFacts(in *Input, regions []string) []FreezeFacts {
	names := set{}
	if in.targetsAll() {
		for name := range b.Index.freezes {
			names[name] = struct{}{}
		}
	} else {
		for name := range b.Index.freezesByRegion[wavegatev1alpha1.AllRegions] {
			names[name] = struct{}{}
		}
		for _, r := range regions {
			for name := range b.Index.freezesByRegion[r] {
				names[name] = struct{}{}
			}
		}
	}
	out := make([]FreezeFacts, 0, len(names))
	for _, name := range sorted(names) {
		f := b.Index.freezes[name]
		// An expired Freeze is inactive at once, whatever its status says:
		// the gate does not wait for the controller.
		if !f.ActiveAt(in.Now) {
			continue
		}
		out = append(out, FreezeFacts{
			Name: f.Name, Reason: f.Spec.Reason, Ticket: f.Spec.Ticket,
			Covers:      covers(f.Spec.Regions, regions, in.targetsAll()),
			ExemptUsers: f.Spec.Exemptions.Users, ExemptGroups: f.Spec.Exemptions.Groups,
			AllowReverts: f.Spec.AllowReverts,
		})
	}
	return out
}

// covers is the part of the request a freeze covers: ["*"] for every region.
// A freeze of every region covers every regional object, never one that
// names no region.
func covers(frozen, regions []string, targetsAll bool) []string {
	allFrozen := wavegatev1alpha1.IsAllRegions(frozen)
	switch {
	case allFrozen && targetsAll:
		return []string{wavegatev1alpha1.AllRegions}
	case allFrozen:
		return regions
	case targetsAll:
		return frozen
	}
	var out []string
	for _, r := range regions {
		if contains(frozen, r) {
			out = append(out, r)
		}
	}
	return out
}

// rolloutFacts reports the convergence of each required rollout in the
// object's regions and their pairs.
func (b *Builder) rolloutFacts(in *Input, req *Request) map[string]RolloutFacts {
	if len(in.Requires) == 0 {
		return nil
	}
	var regions []string
	if r := b.regionOf(req, req.Object); r != "" {
		regions = append(regions, r)
	}
	// New data reaches the region the object leaves too (SPEC §4: an
	// update is judged against the old object's regions as well).
	if req.changesPayload() {
		if r := b.regionOf(req, req.OldObject); r != "" && !contains(regions, r) {
			regions = append(regions, r)
		}
	}
	out := make(map[string]RolloutFacts, len(in.Requires))
	for _, name := range in.Requires {
		ro, ok := b.Index.rollouts[name]
		if !ok {
			out[name] = RolloutFacts{}
			continue
		}
		rf := RolloutFacts{Exists: true}
		seen := set{}
		for _, r := range regions {
			for _, c := range convergence.InRegionAndPairs(ro, r, b.pairs(r)) {
				if _, dup := seen[c.Region]; !dup {
					seen[c.Region] = struct{}{}
					rf.Regions = append(rf.Regions, c)
				}
			}
		}
		out[name] = rf
	}
	return out
}

// policyFacts are the AutomationPolicies naming the requester.
func (b *Builder) policyFacts(in *Input, req *Request, now time.Time, fresh map[string]*wavegatev1alpha1.ChangeRecord) []PolicyFacts {
	names := set{}
	for _, key := range requesterKeys(req.User, req.Groups) {
		for name := range b.Index.policiesByIdentity[key] {
			names[name] = struct{}{}
		}
	}
	out := make([]PolicyFacts, 0, len(names))
	for _, name := range sorted(names) {
		p := b.Index.policies[name]
		pf := PolicyFacts{
			Name:                p.Name,
			UntaggedCount:       p.Status.UntaggedCount,
			UncoveredRegions:    p.Status.UncoveredRegions,
			Scope:               p.Spec.Scope,
			MaxDeletionsPerHour: p.Spec.MaxDeletionsPerHour,
		}
		for _, c := range p.Status.Conditions {
			if c.Type == wavegatev1alpha1.ConditionReady {
				pf.Observed = p.Status.ObservedGeneration == p.Generation
				pf.Ready = c.Status == "True"
				pf.ReadyMessage = c.Message
			}
		}
		rec := b.record(in, DeletionRecordName(p.Name), fresh)
		pf.DeletionsLastHour = countSince(rec, now.Add(-time.Hour))
		out = append(out, pf)
	}
	return out
}

// automationIdentity reports whether an AutomationPolicy names the
// requester, whatever the operation.
func (b *Builder) automationIdentity(req *Request) bool {
	for _, key := range requesterKeys(req.User, req.Groups) {
		if len(b.Index.policiesByIdentity[key]) > 0 {
			return true
		}
	}
	return false
}

// requesterKeys are the identity index keys of a requester.
func requesterKeys(user string, groups []string) []string {
	keys := []string{"user:" + user}
	if rest, ok := strings.CutPrefix(user, "system:serviceaccount:"); ok {
		if ns, name, ok := strings.Cut(rest, ":"); ok {
			keys = append(keys, "sa:"+ns+"/"+name)
		}
	}
	for _, g := range groups {
		keys = append(keys, "group:"+g)
	}
	return keys
}

func countSince(rec *wavegatev1alpha1.ChangeRecord, since time.Time) int {
	if rec == nil {
		return 0
	}
	n := 0
	for _, e := range rec.Spec.Entries {
		if e.At.After(since) {
			n++
		}
	}
	return n
}

// record returns a fresh copy if there is one, else the cached one, and
// remembers it as the base of any write.
func (b *Builder) record(in *Input, name string, fresh map[string]*wavegatev1alpha1.ChangeRecord) *wavegatev1alpha1.ChangeRecord {
	r, ok := fresh[name]
	if !ok {
		r = b.Index.records[name]
	}
	in.Record.Bases[name] = r
	return r
}

// velocityFacts reads the change's record and its plan, and lists the regions
// it would enter.
func (b *Builder) velocityFacts(in *Input, obj *Object, now time.Time, fresh map[string]*wavegatev1alpha1.ChangeRecord) {
	planName := obj.plan()
	p, found := b.Index.plans[planName]
	in.Velocity = VelocityFacts{Plan: planName, PlanFound: found}
	name := ChangeRecordName(in.ChangeID)
	rec := b.record(in, name, fresh)

	reached := map[string]bool{}
	if rec != nil {
		for _, e := range rec.Spec.Entries {
			reached[e.Region] = true
			idx := reachedWave(p, e)
			wave, bake := waveName(p, idx), bakeOf(p, idx)
			// The record names the wave but not its plan: the next object
			// of the change may name a faster plan, which must not shorten
			// the bake the region was entered under.
			if recorded := b.Index.waveBakes[e.Wave]; recorded > bake {
				wave, bake = e.Wave, recorded
			}
			in.Velocity.Reached = append(in.Velocity.Reached, ReachedRegion{
				Region: e.Region, Wave: wave, WaveIndex: idx, At: e.At.Time, Bake: bake,
			})
		}
	}
	var entering []wavegatev1alpha1.ChangeEntry
	for _, r := range enteredBy(in) {
		if r == wavegatev1alpha1.AllRegions || reached[r] {
			continue
		}
		idx, waveName := waveOf(p, r)
		in.Velocity.Entering = append(in.Velocity.Entering, EnteringRegion{Region: r, WaveIndex: idx, Pairs: b.pairs(r)})
		e := wavegatev1alpha1.ChangeEntry{
			Region: r, Wave: waveName, WaveIndex: int32(idx), Object: in.Request.Ref(), //nolint:gosec // a plan has at most 50 waves
		}
		e.At.Time = now
		entering = append(entering, e)
	}
	if len(entering) > 0 {
		in.Record.Writes = append(in.Record.Writes, RecordWrite{
			Name: name, Template: wavegatev1alpha1.ChangeRecordSpec{ChangeID: in.ChangeID}, Entries: entering,
		})
	}
}

// waveOf places a region in a plan; a region in no wave counts as the last wave.
func waveOf(p *plan, region string) (int, string) {
	if p == nil || len(p.waves) == 0 {
		return 0, ""
	}
	i, ok := p.waveOf[region]
	if !ok {
		i = len(p.waves) - 1
	}
	return i, p.waves[i].name
}

// reachedWave places a region the change reached in the judging plan. The
// record says which wave it was entered in, but perhaps under another plan
// (each object names its own) or before the plan changed; where the region
// is now says something else. Of the two, the one that holds the change
// longer counts: the longer bake, and on equal bakes the earlier wave.
func reachedWave(p *plan, e wavegatev1alpha1.ChangeEntry) int {
	now, _ := waveOf(p, e.Region)
	if p == nil || len(p.waves) == 0 {
		return now
	}
	recorded := min(int(e.WaveIndex), len(p.waves)-1)
	for i, w := range p.waves {
		if w.name == e.Wave {
			recorded = i
		}
	}
	bNow, bRecorded := bakeOf(p, now), bakeOf(p, recorded)
	if bRecorded > bNow || (bRecorded == bNow && recorded < now) {
		return recorded
	}
	return now
}

// waveName is the name of the plan's wave idx; "" without a plan.
func waveName(p *plan, idx int) string {
	if p == nil || len(p.waves) == 0 {
		return ""
	}
	return p.waves[min(idx, len(p.waves)-1)].name
}

// bakeOf is the bake time of the plan's wave idx; one hour without a plan.
func bakeOf(p *plan, idx int) time.Duration {
	if p == nil || len(p.waves) == 0 {
		return defaultBake
	}
	return p.waves[max(0, min(idx, len(p.waves)-1))].bake.Duration
}

// enteredBy are the regions a create or update carries its change to: those
// the object targets, and, when an update changes the payload, those it
// targeted before (OldTargets: removing or changing a region label in the
// same update does not keep the new payload out of the old region).
func enteredBy(in *Input) []string {
	if len(in.OldTargets) == 0 {
		return in.Targets
	}
	return unique(append(append([]string(nil), in.Targets...), in.OldTargets...))
}

// unique is list sorted, without repeats.
func unique(list []string) []string {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return keys(m)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
