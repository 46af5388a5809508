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
	OldTargets []string
	// Reaches are the regions a create or update carries its change to:
	// every region the object belongs to (its own label, its Namespace's,
	// an agent's region) and those its regions annotation names, and on an
	// update that changes the payload those of the stored object too.
	Reaches       []string
	Protection    string // the stored object's protection label
	NewProtection string // the new object's protection label; "" on DELETE
	// AutomationIdentity: an AutomationPolicy names the requester.
	AutomationIdentity bool
	ProtectedInside    []string
	// ProtectedDependents, on a delete, are the objects that count as
	// protected and are owned by the deleted object, directly or through
	// what it owns: the garbage collector deletes them with it.
	ProtectedDependents []string
	// AddsOwner: an update gives the object an owner reference it did not
	// have, after which deleting the owner deletes it.
	AddsOwner bool
	// UnseenKinds, on a Namespace delete, are the kinds whose protected
	// objects cannot be known (Wavegate may not list them); UnseenDenied
	// says whether that denies a human's delete or only warns.
	UnseenKinds  []string
	UnseenDenied bool
	Requires     []string
	// ChangeID and ChangeShort name the change in messages: its change-id,
	// else its payload hash. ChangeKeys are every name it goes by, each with
	// a change record of its own.
	ChangeID    string
	ChangeShort string
	ChangeKeys  []ChangeKey

	InventorySize int
	Known         map[string]bool
	Freezes       []FreezeFacts
	Rollouts      map[string]RolloutFacts
	Automation    []PolicyFacts
	Velocity      VelocityFacts
	// Moves: a Namespace whose region label changes moves every object in
	// it to the new region, and each object's change with it (§11 S1).
	Moves []Move

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

// Move is a change recorded in a relabelled Namespace, which the relabel
// would bring into the Namespace's new region (Entering empty: it is there
// already).
type Move struct {
	ChangeID, ChangeShort string
	Velocity              VelocityFacts
}

// EnteringRegion is a region the change has not reached yet, placed in the
// judging plan.
type EnteringRegion struct {
	Region    string
	Wave      string
	WaveIndex int
	Pairs     []string
}

// ReachedRegion is a region the change has reached. WaveIndex and Bake
// hold it the longer of what its record says and where the region is now;
// PlanIndex is where the region is in the judging plan now, which orders
// waves (§11 S1: the waves a change enters never go down).
type ReachedRegion struct {
	Region    string
	Wave      string
	WaveIndex int
	PlanIndex int
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
	b.namespaceMoves(in, req, now, fresh)
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

// objectFacts reads regions, protection, owners, requires and the change.
func (b *Builder) objectFacts(in *Input, req *Request) {
	regions := map[string]bool{}
	annotated := map[string]bool{}
	for _, o := range []*Object{req.Object, req.OldObject} {
		if o == nil {
			continue
		}
		for _, r := range b.regionsOf(req, o) {
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
	b.ownerFacts(in, req)
	if req.Operation == "DELETE" && req.Kind == "Namespace" && req.Group == "" {
		b.namespaceContents(in, req.Name)
	}
	if req.Operation != "DELETE" {
		in.Requires = req.Object.requires()
		b.changeFacts(in, req)
	}
}

// changeFacts names the change a create or update carries, if any, and the
// regions it reaches: the new object's, and on a payload change the stored
// object's too.
func (b *Builder) changeFacts(in *Input, req *Request) {
	if !b.carriesChange(in, req) {
		return
	}
	in.ChangeKeys = req.Object.changeKeys(req.payloadKey())
	in.ChangeID, in.ChangeShort = in.ChangeKeys[0].ID, in.ChangeKeys[0].Short
	in.Reaches = b.reaches(req, req.Object)
	if req.changesPayload() {
		in.Reaches = unique(append(in.Reaches, b.reaches(req, req.OldObject)...))
	}
}

// ownerFacts: protection follows owner references (§11 S3). Deleting an
// object deletes the protected objects it owns; giving an object an owner
// lets a delete of the owner reach it. The Index's lock is held by Build.
func (b *Builder) ownerFacts(in *Input, req *Request) {
	switch {
	case req.Operation == "DELETE" && req.OldObject != nil && req.OldObject.UID != "":
		in.ProtectedDependents = b.Index.owned.below(req.OldObject.UID)
		if len(in.ProtectedDependents) > 5 {
			in.ProtectedDependents = append(in.ProtectedDependents[:5], "…")
		}
	case req.Operation == "UPDATE" && req.OldObject != nil && req.Object != nil:
		for _, uid := range req.Object.OwnerUIDs {
			if !contains(req.OldObject.OwnerUIDs, uid) {
				in.AddsOwner = true
			}
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
// regions: only a configuration payload does (a create without one carries
// none), an update only when it changes the payload (emptying it too) or
// the regions the object belongs to (not its other labels, annotations,
// finalizers or status), and never one by Kubernetes' own controllers or
// one that only finalizes.
func (b *Builder) carriesChange(in *Input, req *Request) bool {
	switch {
	case in.IsKubernetes, in.Finalizing, req.SubResource != "", req.Object == nil:
		return false
	case req.Object.PayloadHash == "":
		return req.emptiesPayload()
	case req.Operation != "UPDATE" || req.OldObject == nil, req.changesPayload():
		return true
	}
	old := b.reaches(req, req.OldObject)
	for _, r := range b.reaches(req, req.Object) {
		if !contains(old, r) {
			return true
		}
	}
	return false
}

// ownTargets are the regions an object targets for multi-region: its region
// (own label, else its Namespace's) and its regions annotation.
func (b *Builder) ownTargets(req *Request, o *Object) []string {
	var out []string
	if r := b.regionOf(req, o); r != "" {
		out = append(out, r)
	}
	return append(out, o.annotatedRegions()...)
}

// reaches are the regions an object's payload reaches: every region it
// belongs to, and those its regions annotation names.
func (b *Builder) reaches(req *Request, o *Object) []string {
	return unique(append(b.regionsOf(req, o), o.annotatedRegions()...))
}

// labelRegions are the object's own region label and its Namespace's (from
// the request when the gate had to read the Namespace, else the index). The
// Scale of a workload carries no labels: the workload's own label comes
// from the index.
func (b *Builder) labelRegions(req *Request, o *Object) (own, namespace string) {
	own = o.region()
	if own == "" && req.SubResource == "scale" {
		own = b.Index.workloadRegion[workloadKey(req.Group, req.Resource, req.Namespace, req.Name)]
	}
	namespace = b.Index.namespaceRegion[req.Namespace]
	if req.NamespaceLabels != nil {
		namespace = regions.Label(req.NamespaceLabels)
	}
	return own, namespace
}

// regionOf is the region an object configures by the usual reading: its
// own region label, else its Namespace's, else an agent's region.
func (b *Builder) regionOf(req *Request, o *Object) string {
	own, namespace := b.labelRegions(req, o)
	if r := regions.Resolve(own, namespace); r != "" || req.Namespace == "" || req.IsNamespace() {
		return r
	}
	return b.DefaultRegion
}

// regionsOf is every region an object belongs to (docs/spec.md section 2,
// §11 S2): its own region label and its Namespace's, both when they
// differ, so that a label cannot take an object out of its Namespace's
// Freeze; in an agent's cluster, the agent's region too. A Namespace
// belongs to the region of its own label.
func (b *Builder) regionsOf(req *Request, o *Object) []string {
	own, namespace := b.labelRegions(req, o)
	if req.IsNamespace() {
		if r := regions.Resolve(own, namespace); r != "" {
			return []string{r}
		}
		return nil
	}
	var out []string
	for _, r := range []string{strings.TrimSpace(own), strings.TrimSpace(namespace)} {
		if r != "" && !contains(out, r) {
			out = append(out, r)
		}
	}
	if b.DefaultRegion != "" && req.Namespace != "" && !contains(out, b.DefaultRegion) {
		out = append(out, b.DefaultRegion)
	}
	return out
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

// velocityFacts reads the records of every name of the change and its
// plan, and lists the regions it would enter. A region any record holds is
// reached (the change is there); each record is then given the regions it
// lacks, so that whichever name the change goes by next finds them all, and
// the Namespaces of a region it lacks: a relabel of the Namespace moves the
// change (namespaceMoves). An entry for one more Namespace of a region
// carries the time the record's first entry there does: the change entered
// the region then, and its bake counts from then.
func (b *Builder) velocityFacts(in *Input, obj *Object, now time.Time, fresh map[string]*wavegatev1alpha1.ChangeRecord) {
	planName := obj.plan()
	p, found := b.Index.plans[planName]
	in.Velocity = VelocityFacts{Plan: planName, PlanFound: found}

	reached := map[string]bool{}
	records := make([]*wavegatev1alpha1.ChangeRecord, len(in.ChangeKeys))
	seen := map[ReachedRegion]bool{}
	for i, k := range in.ChangeKeys {
		records[i] = b.record(in, ChangeRecordName(k.ID), fresh)
		if records[i] == nil {
			continue
		}
		for _, e := range records[i].Spec.Entries {
			reached[e.Region] = true
			if r := b.reachedRegion(p, e); !seen[r] {
				seen[r] = true
				in.Velocity.Reached = append(in.Velocity.Reached, r)
			}
		}
	}
	for _, r := range in.Reaches {
		if r == wavegatev1alpha1.AllRegions || reached[r] {
			continue
		}
		idx, wave := waveOf(p, r)
		in.Velocity.Entering = append(in.Velocity.Entering, EnteringRegion{Region: r, Wave: wave, WaveIndex: idx, Pairs: b.pairs(r)})
	}
	namespace := namespaceOfRef(in.Request.Ref())
	for i, k := range in.ChangeKeys {
		var entries []wavegatev1alpha1.ChangeEntry
		for _, r := range in.Reaches {
			if r == wavegatev1alpha1.AllRegions {
				continue
			}
			first, inNamespace := entered(records[i], r, namespace)
			if inNamespace {
				continue
			}
			idx, wave := waveOf(p, r)
			e := wavegatev1alpha1.ChangeEntry{
				Region: r, Wave: wave, WaveIndex: int32(idx), Object: in.Request.Ref(), //nolint:gosec // a plan has at most 50 waves
			}
			e.At.Time = now
			if !first.IsZero() {
				e.At.Time = first
			}
			entries = append(entries, e)
		}
		if len(entries) > 0 {
			in.Record.Writes = append(in.Record.Writes, RecordWrite{
				Name: ChangeRecordName(k.ID), Template: wavegatev1alpha1.ChangeRecordSpec{ChangeID: k.ID}, Entries: entries,
			})
		}
	}
}

// entered reports when a record's change first entered a region (zero if
// it has not) and whether it is recorded in the region through an object of
// the namespace.
func entered(rec *wavegatev1alpha1.ChangeRecord, region, namespace string) (first time.Time, inNamespace bool) {
	if rec == nil {
		return time.Time{}, false
	}
	for _, e := range rec.Spec.Entries {
		if e.Region != region {
			continue
		}
		if first.IsZero() || e.At.Time.Before(first) {
			first = e.At.Time
		}
		inNamespace = inNamespace || namespaceOfRef(e.Object) == namespace
	}
	return first, inNamespace
}

// reachedRegion places a region a change reached in the judging plan.
func (b *Builder) reachedRegion(p *plan, e wavegatev1alpha1.ChangeEntry) ReachedRegion {
	idx := reachedWave(p, e)
	wave, bake := waveName(p, idx), bakeOf(p, idx)
	// The record names the wave but not its plan: the next object of the
	// change may name a faster plan, which must not shorten the bake the
	// region was entered under.
	if recorded := b.Index.waveBakes[e.Wave]; recorded > bake {
		wave, bake = e.Wave, recorded
	}
	planIdx, _ := waveOf(p, e.Region)
	return ReachedRegion{Region: e.Region, Wave: wave, WaveIndex: idx, PlanIndex: planIdx, At: e.At.Time, Bake: bake}
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

// namespaceMoves judges a Namespace relabel as every object in it changing
// region: each change recorded in the Namespace (velocityFacts records the
// Namespaces of each region) would enter its new region. That is every
// change recorded there within the records' retention, not only the
// objects' latest: the gate cannot tell which objects still hold one, so
// the Rego denies a relabel that would bring one into a region it has not
// reached (recording it there could be false, which would let the change
// in later unjudged), and admits one that brings none. The records are scanned,
// which is fine for an event as rare as a relabel. The plan is the default
// one: the objects' own plan annotations are not known here. A Namespace
// that had no region held objects the gate never saw (the webhook selects
// regional objects): decision 36.
func (b *Builder) namespaceMoves(in *Input, req *Request, now time.Time, fresh map[string]*wavegatev1alpha1.ChangeRecord) {
	if !req.IsNamespace() || req.Operation != "UPDATE" || req.OldObject == nil || req.Object == nil || in.IsKubernetes || in.Finalizing {
		return
	}
	to := req.Object.region()
	if to == "" || to == req.OldObject.region() {
		return
	}
	planName := wavegatev1alpha1.PlanOrDefault("")
	p, found := b.Index.plans[planName]
	idx, wave := waveOf(p, to)
	for _, name := range b.changesInNamespace(req.Name, fresh) {
		rec := b.record(in, name, fresh)
		m := Move{ChangeID: rec.Spec.ChangeID, Velocity: VelocityFacts{Plan: planName, PlanFound: found}}
		objects := objectsIn(rec, req.Name)
		m.ChangeShort = shortID(m.ChangeID) + " of " + describe(objects)
		for _, e := range rec.Spec.Entries {
			m.Velocity.Reached = append(m.Velocity.Reached, b.reachedRegion(p, e))
		}
		first, recorded := entered(rec, to, req.Name)
		if first.IsZero() {
			m.Velocity.Entering = []EnteringRegion{{Region: to, Wave: wave, WaveIndex: idx, Pairs: b.pairs(to)}}
		}
		in.Moves = append(in.Moves, m)
		if recorded {
			continue
		}
		// The entry names an object of the Namespace, so that the next
		// relabel finds the change there too.
		e := wavegatev1alpha1.ChangeEntry{Region: to, Wave: wave, WaveIndex: int32(idx), Object: objects[0]} //nolint:gosec // a plan has at most 50 waves
		e.At.Time = now
		if !first.IsZero() {
			e.At.Time = first
		}
		in.Record.Writes = append(in.Record.Writes, RecordWrite{Name: name, Template: wavegatev1alpha1.ChangeRecordSpec{ChangeID: rec.Spec.ChangeID}, Entries: []wavegatev1alpha1.ChangeEntry{e}})
	}
}

// changesInNamespace are the change records with an entry for an object in
// a namespace. Records of deletions are not changes.
func (b *Builder) changesInNamespace(namespace string, fresh map[string]*wavegatev1alpha1.ChangeRecord) []string {
	var out []string
	for name, rec := range b.Index.records {
		if f, ok := fresh[name]; ok {
			rec = f
		}
		if rec == nil || rec.Spec.Policy != "" {
			continue
		}
		for _, e := range rec.Spec.Entries {
			if namespaceOfRef(e.Object) == namespace {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// objectsIn are the objects of a namespace that a change reached.
func objectsIn(rec *wavegatev1alpha1.ChangeRecord, namespace string) []string {
	refs := map[string]bool{}
	for _, e := range rec.Spec.Entries {
		if namespaceOfRef(e.Object) == namespace {
			refs[e.Object] = true
		}
	}
	return keys(refs)
}

// describe names objects for a message: the first, and how many more.
func describe(objects []string) string {
	if len(objects) == 1 {
		return objects[0]
	}
	return fmt.Sprintf("%s and %d more", objects[0], len(objects)-1)
}

// namespaceOfRef is the namespace of a "Kind namespace/name" reference.
func namespaceOfRef(ref string) string {
	_, rest, _ := strings.Cut(ref, " ")
	ns, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return ns
}

// shortID is how messages name a change: its change-id, or the start of
// its payload hash.
func shortID(id string) string {
	if hash, ok := strings.CutPrefix(id, "sha256:"); ok {
		return hash[:min(8, len(hash))] + "…"
	}
	return id
}
