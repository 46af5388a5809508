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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func builder() *Builder {
	ix := NewIndex()
	ix.SetRegion(Region("eastus"))
	ix.SetRegion(Region("westus", PairedWith("eastus")))
	ix.SetRegion(Region("centralus"))
	ix.SetNamespace("identity", map[string]string{wavegatev1alpha1.LabelRegion: "centralus"})
	ix.SetWavePlan(WavePlan("default", Wave("w1", "eastus"), Wave("w2", "centralus"), Wave("w3", "westus")))
	ix.SetFreeze(Freeze("all", []string{"*"}))
	ix.SetFreeze(Freeze("west", []string{"westus"}))
	return &Builder{Index: ix, Now: func() time.Time { return now }, ControllerUser: "wavegate", BreakGlassGroup: "bg"}
}

func object(labels, annotations map[string]string) *Object {
	return &Object{Labels: labels, Annotations: annotations, PayloadHash: "0123456789abcdef"}
}

func region(r string) map[string]string { return map[string]string{wavegatev1alpha1.LabelRegion: r} }

func TestBuild(t *testing.T) {
	t.Run("an update is judged on the old and the new object's regions", func(t *testing.T) {
		in := builder().Build(&Request{Operation: "UPDATE", Kind: "ConfigMap", Namespace: "app", Name: "x",
			Object: object(nil, nil), OldObject: object(region("westus"), nil)}, nil)
		g := NewWithT(t)
		g.Expect(in.Regions).To(Equal([]string{"westus"}))
		g.Expect(in.Targets).To(BeEmpty(), "multi-region judges the object as it will be")
		g.Expect(in.Freezes).To(HaveLen(2))
		g.Expect(in.Freezes[1].Covers).To(Equal([]string{"westus"}))
	})
	t.Run("an object belongs to its own region and its namespace's", func(t *testing.T) {
		b := builder()
		in := b.Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "identity", Name: "x", Object: object(nil, nil)}, nil)
		NewWithT(t).Expect(in.Regions).To(Equal([]string{"centralus"}))
		// §11 S2: a label that names another region than the Namespace's
		// does not take the object out of the Namespace's region.
		in = b.Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "identity", Name: "x", Object: object(region("eastus"), nil)}, nil)
		g := NewWithT(t)
		g.Expect(in.Regions).To(Equal([]string{"centralus", "eastus"}))
		g.Expect(in.Targets).To(Equal([]string{"eastus"}), "multi-region reads the region label, as before")
		g.Expect(in.Reaches).To(Equal([]string{"centralus", "eastus"}), "its change enters both")
		g.Expect(in.Velocity.Entering).To(HaveLen(2))
	})
	t.Run("an agent's region is one more region of every namespaced object", func(t *testing.T) {
		b := builder()
		b.DefaultRegion = "westus"
		in := b.Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x", Object: object(region("eastus"), nil)}, nil)
		NewWithT(t).Expect(in.Regions).To(Equal([]string{"eastus", "westus"}))
	})
	t.Run("an object for every region is covered by every freeze", func(t *testing.T) {
		in := builder().Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x",
			Object: object(nil, map[string]string{wavegatev1alpha1.AnnotationRegions: "eastus, *"})}, nil)
		g := NewWithT(t)
		g.Expect(in.AnnotatedRegions).To(Equal([]string{"*"}))
		g.Expect(in.InventorySize).To(Equal(3))
		g.Expect(in.Freezes).To(HaveLen(2))
		g.Expect(in.Freezes[0].Covers).To(Equal([]string{"*"}))
		g.Expect(in.Freezes[1].Covers).To(Equal([]string{"westus"}))
	})
	t.Run("a change entering a region gets its wave and both-sided pairs", func(t *testing.T) {
		in := builder().Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x",
			Object: object(region("eastus"), map[string]string{wavegatev1alpha1.AnnotationChangeID: "c1"})}, nil)
		g := NewWithT(t)
		g.Expect(in.ChangeID).To(Equal("c1"))
		g.Expect(in.Velocity.Entering).To(Equal([]EnteringRegion{{Region: "eastus", Wave: "w1", WaveIndex: 0, Pairs: []string{"westus"}}}),
			"westus names eastus as its pair, so eastus pairs with westus too")
		g.Expect(in.Record.Writes).To(HaveLen(2), "a record for the change-id and one for the payload hash")
		g.Expect(in.Record.Writes[0].Entries).To(HaveLen(1))
		g.Expect(in.Record.Bases).To(HaveKeyWithValue(ChangeRecordName("c1"), BeNil()))
		g.Expect(in.Record.Bases).To(HaveKeyWithValue(ChangeRecordName("sha256:0123456789abcdef"), BeNil()))
	})
	t.Run("a change-id joins payloads and never splits one", func(t *testing.T) {
		// §2: the same payload under a fresh id in each region is still one
		// change: eastus reached it under c1, so westus under c2 follows it.
		b := builder()
		b.Index.SetChangeRecord(&wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: ChangeRecordName("sha256:0123456789abcdef")}, Spec: wavegatev1alpha1.ChangeRecordSpec{
			ChangeID: "sha256:0123456789abcdef",
			Entries:  []wavegatev1alpha1.ChangeEntry{{Region: "eastus", Wave: "w1", At: metav1.NewTime(now.Add(-time.Minute))}},
		}})
		in := b.Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "y",
			Object: object(region("westus"), map[string]string{wavegatev1alpha1.AnnotationChangeID: "c2"})}, nil)
		g := NewWithT(t)
		g.Expect(in.ChangeID).To(Equal("c2"))
		g.Expect(in.Velocity.Reached).To(HaveLen(1))
		g.Expect(in.Velocity.Reached[0].Region).To(Equal("eastus"))
		g.Expect(in.Velocity.Entering).To(HaveLen(1))
		g.Expect(in.Velocity.Entering[0].Region).To(Equal("westus"))
		// Each record is given the regions it lacks: c2's gets westus, and so
		// does the payload's.
		g.Expect(in.Record.Writes).To(HaveLen(2))
		for _, w := range in.Record.Writes {
			g.Expect(w.Entries).To(HaveLen(1))
			g.Expect(w.Entries[0].Region).To(Equal("westus"))
		}
	})
	t.Run("an update that empties the payload is a change", func(t *testing.T) {
		emptied := &Object{Labels: region("eastus"), top: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
		in := builder().Build(&Request{Operation: "UPDATE", Kind: "ConfigMap", Namespace: "app", Name: "x",
			Object: emptied, OldObject: object(region("eastus"), nil)}, nil)
		g := NewWithT(t)
		g.Expect(in.ChangeID).To(HavePrefix("sha256:"), "emptying is a change, named by the empty payload of its kind")
		g.Expect(in.ChangeID).To(Equal("sha256:" + emptyPayloadHash(emptied.top)))
		g.Expect(in.Velocity.Entering).To(HaveLen(1))
		created := builder().Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x", Object: emptied}, nil)
		g.Expect(created.ChangeID).To(BeEmpty(), "a create without a payload carries none")
	})
	t.Run("without a change id the payload hash names the change", func(t *testing.T) {
		in := builder().Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x", Object: object(region("eastus"), nil)}, nil)
		NewWithT(t).Expect(in.ChangeID).To(Equal("sha256:0123456789abcdef"))
		NewWithT(t).Expect(in.ChangeShort).To(Equal("01234567…"))
	})
	t.Run("a fresh record replaces the cached one and becomes the write base", func(t *testing.T) {
		fresh := &wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: ChangeRecordName("c1")}, Spec: wavegatev1alpha1.ChangeRecordSpec{
			Entries: []wavegatev1alpha1.ChangeEntry{{Region: "eastus", Wave: "w1", At: metav1.NewTime(now.Add(-time.Minute))}},
		}}
		in := builder().Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x",
			Object: object(region("eastus"), map[string]string{wavegatev1alpha1.AnnotationChangeID: "c1"})},
			map[string]*wavegatev1alpha1.ChangeRecord{fresh.Name: fresh})
		g := NewWithT(t)
		g.Expect(in.Velocity.Entering).To(BeEmpty(), "the change already is in eastus")
		g.Expect(in.Velocity.Reached).To(HaveLen(1))
		g.Expect(in.Velocity.Reached[0].Bake).To(Equal(time.Hour))
		g.Expect(in.Record.Bases[fresh.Name]).To(BeIdenticalTo(fresh))
	})
	t.Run("the breaker counts a policy's deletions of the last hour", func(t *testing.T) {
		b := builder()
		b.Index.SetAutomationPolicy(Policy("cleanup", []string{"eastus"}))
		b.Index.SetChangeRecord(&wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: DeletionRecordName("cleanup")}, Spec: wavegatev1alpha1.ChangeRecordSpec{
			Policy: "cleanup", Entries: []wavegatev1alpha1.ChangeEntry{
				{At: metav1.NewTime(now.Add(-2 * time.Hour))}, {At: metav1.NewTime(now.Add(-30 * time.Minute))}, {At: metav1.NewTime(now.Add(-time.Minute))},
			},
		}})
		in := b.Build(&Request{Operation: "DELETE", User: "system:serviceaccount:cleanup:cleaner", Kind: "ConfigMap", Namespace: "app", Name: "x",
			OldObject: object(region("eastus"), nil)}, nil)
		g := NewWithT(t)
		g.Expect(in.Automation).To(HaveLen(1))
		g.Expect(in.Automation[0].DeletionsLastHour).To(Equal(2))
		g.Expect(in.Automation[0].Observed).To(BeFalse(), "no status means not observed")
	})
	t.Run("an empty controller identity matches nobody", func(t *testing.T) {
		b := builder()
		b.ControllerUser = ""
		in := b.Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Name: "x", Object: object(nil, nil)}, nil)
		NewWithT(t).Expect(in.IsController).To(BeFalse())
	})
}

func TestWhatCarriesAChange(t *testing.T) {
	payload := func(hash string, labels, annotations map[string]string) *Object {
		return &Object{Labels: labels, Annotations: annotations, PayloadHash: hash}
	}
	cases := []struct {
		name string
		req  *Request
		want bool
	}{
		{name: "a create with a payload", want: true,
			req: &Request{Operation: "CREATE", User: "alice", Object: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "a create without a payload (a Namespace, an empty ServiceAccount)", want: false,
			req: &Request{Operation: "CREATE", User: "alice", Object: payload("", region("eastus"), nil)}},
		{name: "an update of the payload", want: true,
			req: &Request{Operation: "UPDATE", User: "alice", Object: payload("bbbbbbbbbbbb", region("eastus"), nil), OldObject: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "an update of labels, annotations and the change id only", want: false,
			req: &Request{Operation: "UPDATE", User: "alice",
				Object:    payload("aaaaaaaaaaaa", map[string]string{wavegatev1alpha1.LabelRegion: "eastus", "team": "b"}, map[string]string{wavegatev1alpha1.AnnotationChangeID: "c2"}),
				OldObject: payload("aaaaaaaaaaaa", region("eastus"), map[string]string{wavegatev1alpha1.AnnotationChangeID: "c1"})}},
		{name: "moving the same payload to another region", want: true,
			req: &Request{Operation: "UPDATE", User: "alice", Object: payload("aaaaaaaaaaaa", region("westus"), nil), OldObject: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "removing the region label", want: false,
			req: &Request{Operation: "UPDATE", User: "alice", Object: payload("aaaaaaaaaaaa", nil, nil), OldObject: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "Kubernetes' own controllers", want: false,
			req: &Request{Operation: "CREATE", User: "system:kube-controller-manager", Object: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "a service account of kube-system", want: false,
			req: &Request{Operation: "CREATE", User: "system:serviceaccount:kube-system:root-ca-cert-publisher", Object: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "a service account elsewhere", want: true,
			req: &Request{Operation: "CREATE", User: "system:serviceaccount:ci:deployer", Object: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Kind, tc.req.Namespace, tc.req.Name = "ConfigMap", "app", "x"
			in := builder().Build(tc.req, nil)
			g := NewWithT(t)
			if !tc.want {
				g.Expect(in.ChangeID).To(BeEmpty())
				g.Expect(in.Record.Writes).To(BeEmpty(), "nothing is recorded")
				g.Expect(in.Velocity.Entering).To(BeEmpty())
				return
			}
			g.Expect(in.ChangeID).NotTo(BeEmpty())
			g.Expect(in.Record.Writes).NotTo(BeEmpty())
		})
	}
}

// TestAnUpdateOfTheDataEntersTheRegionsItLeaves: the new data of an update
// reaches the regions the stored object targeted as well as the new ones; a
// relabel that keeps the data enters only the new region, and a create has
// no stored object.
func TestAnUpdateOfTheDataEntersTheRegionsItLeaves(t *testing.T) {
	payload := func(hash string, labels, annotations map[string]string) *Object {
		return &Object{Labels: labels, Annotations: annotations, PayloadHash: hash}
	}
	entering := func(in *Input) []string {
		var out []string
		for _, e := range in.Velocity.Entering {
			out = append(out, e.Region)
		}
		return out
	}
	cases := []struct {
		name         string
		req          *Request
		old, entered []string
	}{
		{name: "a create", entered: []string{"eastus"},
			req: &Request{Operation: "CREATE", Object: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "a move that keeps the data", entered: []string{"westus"},
			req: &Request{Operation: "UPDATE", Object: payload("aaaaaaaaaaaa", region("westus"), nil), OldObject: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "a move with new data", old: []string{"eastus"}, entered: []string{"eastus", "westus"},
			req: &Request{Operation: "UPDATE", Object: payload("bbbbbbbbbbbb", region("westus"), nil), OldObject: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "new data with the region label removed", old: []string{"eastus"}, entered: []string{"eastus"},
			req: &Request{Operation: "UPDATE", Object: payload("bbbbbbbbbbbb", nil, nil), OldObject: payload("aaaaaaaaaaaa", region("eastus"), nil)}},
		{name: "new data with every region dropped", old: []string{"*"},
			req: &Request{Operation: "UPDATE", Object: payload("bbbbbbbbbbbb", nil, nil), OldObject: payload("aaaaaaaaaaaa", nil, map[string]string{wavegatev1alpha1.AnnotationRegions: "*"})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.User, tc.req.Kind, tc.req.Namespace, tc.req.Name = "alice", "ConfigMap", "app", "x"
			in := builder().Build(tc.req, nil)
			g := NewWithT(t)
			g.Expect(in.OldTargets).To(Equal(tc.old))
			g.Expect(entering(in)).To(Equal(tc.entered))
		})
	}
}

func TestAFreezeOfEveryRegionCoversOnlyRegionalObjects(t *testing.T) {
	b := builder()
	in := b.Build(&Request{Operation: "DELETE", User: "alice", Kind: "ConfigMap", Namespace: "app", Name: "x", OldObject: object(nil, nil)}, nil)
	g := NewWithT(t)
	g.Expect(in.Freezes).To(HaveLen(1), "freeze all is consulted")
	g.Expect(in.Freezes[0].Covers).To(BeEmpty(), "an object that names no region is not frozen")

	in = b.Build(&Request{Operation: "DELETE", User: "alice", Kind: "Namespace", Name: "app", OldObject: object(nil, nil)}, nil)
	g.Expect(in.Freezes[0].Covers).To(BeEmpty(), "nor is a Namespace without a region label")

	in = b.Build(&Request{Operation: "DELETE", User: "alice", Kind: "ConfigMap", Namespace: "identity", Name: "x", OldObject: object(nil, nil)}, nil)
	g.Expect(in.Freezes[0].Covers).To(Equal([]string{"centralus"}), "an object in a regional Namespace is")
}

func TestTheScaleOfAWorkloadIsJudgedInItsRegion(t *testing.T) {
	b := builder()
	b.Index.SetWorkloadRegion("apps", "deployments", "app", "web", "westus")
	scale := &Object{PayloadHash: ""}
	req := func(ns, name string) *Request {
		return &Request{Operation: "UPDATE", User: "alice", Kind: "Deployment", Group: "apps", Resource: "deployments", SubResource: "scale",
			Namespace: ns, Name: name, Object: scale, OldObject: scale}
	}
	g := NewWithT(t)
	in := b.Build(req("app", "web"), nil)
	g.Expect(in.Regions).To(Equal([]string{"westus"}), "the workload's own label")
	g.Expect(in.Freezes[1].Covers).To(Equal([]string{"westus"}))
	g.Expect(in.ChangeID).To(BeEmpty(), "replicas are no payload")

	g.Expect(b.Build(req("identity", "api"), nil).Regions).To(Equal([]string{"centralus"}), "else the namespace's label")
	g.Expect(b.Build(req("app", "api"), nil).Regions).To(BeEmpty(), "a workload in no region")

	b.Index.SetWorkloadRegion("apps", "deployments", "app", "web", "")
	g.Expect(b.Build(req("app", "web"), nil).Regions).To(BeEmpty(), "a label removed is forgotten")
}

func TestRemovingFinalizersIsNotAChange(t *testing.T) {
	decode := func(raw string) *Object {
		o, err := DecodeObject([]byte(raw))
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		return o
	}
	old := decode(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["hold"],"labels":{"wavegate.io/region":"westus"}},"data":{"k":"v"}}`)
	updated := decode(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","deletionTimestamp":"2026-01-01T00:00:00Z","labels":{"wavegate.io/region":"westus"}},"data":{"k":"v"}}`)
	in := builder().Build(&Request{Operation: "UPDATE", User: "alice", Kind: "ConfigMap", Namespace: "app", Name: "x", Object: updated, OldObject: old}, nil)
	g := NewWithT(t)
	g.Expect(in.Finalizing).To(BeTrue())
	g.Expect(in.ChangeID).To(BeEmpty())
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 4 * time.Minute: "4m", 6 * time.Hour: "6h", 90 * time.Minute: "1h30m", -time.Second: "0s",
	} {
		NewWithT(t).Expect(Human(d)).To(Equal(want))
	}
}

func TestOnlyFreezesInForceAreFacts(t *testing.T) {
	b := builder()
	b.Index.SetFreeze(Freeze("expired", []string{"eastus"}, ExpiringAt(now.Add(-time.Second))))
	b.Index.SetFreeze(Freeze("expiring-now", []string{"eastus"}, ExpiringAt(now)))
	b.Index.SetFreeze(Freeze("later", []string{"eastus"}, ExpiringAt(now.Add(time.Hour))))
	in := b.Build(&Request{Operation: "CREATE", Kind: "ConfigMap", Namespace: "app", Name: "x", Object: object(region("eastus"), nil)}, nil)
	var names []string
	for _, f := range in.Freezes {
		names = append(names, f.Name)
	}
	NewWithT(t).Expect(names).To(Equal([]string{"all", "later"}),
		"a Freeze stops at its expiresAt, at once, whatever its status says (Freeze.ActiveAt)")
}

func TestRelabellingANamespaceMovesTheChangesOfItsObjects(t *testing.T) {
	b := builder()
	at := now.Add(-time.Minute)
	b.Index.SetChangeRecord(&wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: ChangeRecordName("keys")}, Spec: wavegatev1alpha1.ChangeRecordSpec{
		ChangeID: "keys",
		Entries:  []wavegatev1alpha1.ChangeEntry{{Region: "eastus", Wave: "w1", Object: "ConfigMap identity/keys", At: metav1.NewTime(at)}},
	}})
	b.Index.SetChangeRecord(&wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: ChangeRecordName("other")}, Spec: wavegatev1alpha1.ChangeRecordSpec{
		ChangeID: "other",
		Entries:  []wavegatev1alpha1.ChangeEntry{{Region: "eastus", Wave: "w1", Object: "ConfigMap app/other", At: metav1.NewTime(at)}},
	}})
	ns := func(r string) *Object {
		return &Object{Labels: region(r), top: map[string]any{"apiVersion": "v1", "kind": "Namespace"}}
	}
	in := b.Build(&Request{Operation: "UPDATE", Kind: "Namespace", Namespace: "identity", Name: "identity", Object: ns("westus"), OldObject: ns("centralus")}, nil)
	g := NewWithT(t)
	g.Expect(in.Regions).To(ConsistOf("centralus", "westus"), "a Freeze of either region holds the relabel")
	g.Expect(in.Moves).To(HaveLen(1), "only the change of an object in the relabelled Namespace moves")
	m := in.Moves[0]
	g.Expect(m.ChangeID).To(Equal("keys"))
	g.Expect(m.ChangeShort).To(Equal("keys of ConfigMap identity/keys"))
	g.Expect(m.Velocity.Entering).To(Equal([]EnteringRegion{{Region: "westus", Wave: "w3", WaveIndex: 2, Pairs: []string{"eastus"}}}))
	g.Expect(m.Velocity.Reached).To(HaveLen(1))
	g.Expect(in.Record.Writes).To(HaveLen(1))
	g.Expect(in.Record.Writes[0].Name).To(Equal(ChangeRecordName("keys")))

	same := b.Build(&Request{Operation: "UPDATE", Kind: "Namespace", Namespace: "identity", Name: "identity", Object: ns("centralus"), OldObject: ns("centralus")}, nil)
	g.Expect(same.Moves).To(BeEmpty(), "an update that keeps the region moves nothing")
}

func TestProtectionFollowsOwnerReferences(t *testing.T) {
	b := builder()
	web := OwnerRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "uid-web"}
	b.Index.SetProtected("app", "ReplicaSet app/web-1", true, "uid-rs", web)
	del := b.Build(&Request{Operation: "DELETE", Kind: "Deployment", Group: "apps", Namespace: "app", Name: "web",
		OldObject: &Object{UID: "uid-web", Labels: map[string]string{wavegatev1alpha1.LabelProtection: "deletable"}}}, nil)
	g := NewWithT(t)
	g.Expect(del.ProtectedDependents).To(Equal([]string{"ReplicaSet app/web-1"}))

	g.Expect(b.Index.OwnersToRead(false)).To(Equal([]Owner{{Namespace: "app", Ref: web}}), "what owns a protected object is read for its own owners")
	b.Index.SetOwnersRead(Owner{Namespace: "app", Ref: web}, []OwnerRef{{APIVersion: "example.com/v1", Kind: "App", Name: "shop", UID: "uid-app"}})
	above := b.Build(&Request{Operation: "DELETE", Kind: "App", Group: "example.com", Namespace: "app", Name: "shop", OldObject: &Object{UID: "uid-app"}}, nil)
	g.Expect(above.ProtectedDependents).To(Equal([]string{"ReplicaSet app/web-1"}), "the garbage collector deletes what its dependents own too")

	b.Index.SetProtected("app", "ReplicaSet app/web-1", true, "uid-rs")
	del = b.Build(&Request{Operation: "DELETE", Kind: "Deployment", Group: "apps", Namespace: "app", Name: "web", OldObject: &Object{UID: "uid-web"}}, nil)
	g.Expect(del.ProtectedDependents).To(BeEmpty(), "a dependent that drops its owner reference is forgotten as a dependent")
	b.Index.PruneOwners()
	g.Expect(b.Index.OwnersToRead(true)).To(BeEmpty(), "an owner above no protected object is forgotten")

	// A protected object that was also read as the owner of another keeps
	// its owners when the other goes.
	b.Index.SetProtected("app", "ReplicaSet app/web-2", true, "uid-rs2", OwnerRef{APIVersion: "v1", Kind: "ReplicaSet", Name: "web-1", UID: "uid-rs"})
	b.Index.SetOwnersRead(Owner{Namespace: "app", Ref: OwnerRef{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-1", UID: "uid-rs"}}, []OwnerRef{web})
	b.Index.SetProtected("app", "ReplicaSet app/web-2", false, "uid-rs2")
	b.Index.PruneOwners()
	del = b.Build(&Request{Operation: "DELETE", Kind: "Deployment", Group: "apps", Namespace: "app", Name: "web", OldObject: &Object{UID: "uid-web"}}, nil)
	g.Expect(del.ProtectedDependents).To(Equal([]string{"ReplicaSet app/web-1"}), "pruning keeps a protected object's own owners")

	owned := b.Build(&Request{Operation: "UPDATE", Kind: "ConfigMap", Namespace: "app", Name: "x",
		Object: &Object{OwnerUIDs: []string{"uid-web"}}, OldObject: &Object{}}, nil)
	g.Expect(owned.AddsOwner).To(BeTrue())
}
