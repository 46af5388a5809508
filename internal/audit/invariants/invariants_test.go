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

package invariants_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	. "github.com/wavegate/wavegate/internal/audit/audittest"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

var t0 = time.Date(2024, 7, 18, 12, 0, 0, 0, time.UTC)

const (
	admin   = "kubernetes-admin"
	ci      = "system:serviceaccount:ci:deployer"
	cleanup = "system:serviceaccount:ops:cleanup"
	gc      = "system:serviceaccount:kube-system:generic-garbage-collector"
)

// history feeds a Checker through an APIServer, as a property test does.
type history struct {
	t   *testing.T
	api *APIServer
	c   *invariants.Checker
}

type opt func(*Request)

func newHistory(t *testing.T, o invariants.Options) *history {
	t.Helper()
	c, err := invariants.New(o)
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, api: NewAPIServer(), c: c}
	at := -3 * time.Hour
	for _, r := range [][2]string{{"eastus2euap", ""}, {"westcentralus", ""}, {"eastus", "westus"}, {"westus", "eastus"},
		{"centralus", "eastus2"}, {"eastus2", "centralus"}} {
		h.do(at, admin, "create", RegionObject(r[0], r[1]))
		h.do(at, admin, "create", Namespace("app-"+r[0], r[0]))
	}
	h.do(at, admin, "create", Namespace("shared", ""))
	h.do(at, admin, "create", WavePlan("default",
		Wave{Name: "canary", Bake: time.Hour, Regions: []string{"eastus2euap"}},
		Wave{Name: "pilot", Bake: 2 * time.Hour, Regions: []string{"westcentralus"}},
		Wave{Name: "broad-1", Bake: 6 * time.Hour, Regions: []string{"eastus", "centralus"}},
		Wave{Name: "broad-2", Bake: 6 * time.Hour, Regions: []string{"westus", "eastus2"}}))
	h.do(at, admin, "create", AutomationPolicy("cleanup", []string{"ops/cleanup"}, nil, nil, "*"))
	return h
}

func (h *history) add(r Request) {
	h.t.Helper()
	e, err := h.api.Event(r)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c.Add(e)
}

func (h *history) do(at time.Duration, user, verb string, obj Object, opts ...opt) {
	h.t.Helper()
	r := Request{Write: invariants.Write{At: t0.Add(at), User: user, Verb: verb, Object: obj}}
	for _, o := range opts {
		o(&r)
	}
	h.add(r)
}

func (h *history) del(at time.Duration, user, resource, namespace, name string, opts ...opt) {
	h.t.Helper()
	r := Request{Write: invariants.Write{At: t0.Add(at), User: user, Verb: "delete", Resource: resource, Namespace: namespace, Name: name}}
	for _, o := range opts {
		o(&r)
	}
	h.add(r)
}

func (h *history) count(p invariants.Property) int { return h.c.Summary().Violations[p] }

func (h *history) explanations() string {
	var out []string
	for _, v := range h.c.Violations() {
		out = append(out, v.String())
	}
	return strings.Join(out, "\n")
}

func cm(namespace, name string, data map[string]string, opts ...Opt) Object {
	return ConfigMap(namespace, name, data, opts...)
}

func TestTheSameBytesAreTheSameChangeWhereverTheyAreWritten(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, ci, "create", cm("app-eastus", "a", map[string]string{"k": "v"}))
	// The same bytes as binaryData in the failover pair, 1m later.
	h.do(time.Minute, ci, "create", Object{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata":   map[string]any{"name": "b", "namespace": "app-westus"},
		"binaryData": map[string]any{"k": base64.StdEncoding.EncodeToString([]byte("v"))}})
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.c.Violations()[0].Clauses).To(Equal([]string{invariants.ClauseWaveNotBaked, invariants.ClauseCanaryNotBaked, invariants.ClausePairNotBaked}))
	g.Expect(h.explanations()).To(ContainSubstring("entered westus, the failover pair of eastus"))
}

func TestWhatDiffersPerRegionByNatureIsNotPartOfTheChange(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, ci, "create", Deployment("app-eastus", "web", "web:2", 3, func(o Object) {
		o["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)["wavegate.io/region"] = "eastus"
	}))
	h.do(time.Minute, ci, "create", Deployment("app-westus", "web", "web:2", 7))
	g.Expect(h.count(invariants.S1)).To(Equal(1), "replicas and the template's region label differ, the change is the same: %s", h.explanations())
	h.do(2*time.Minute, ci, "create", Deployment("app-centralus", "web", "web:3", 3))
	g.Expect(h.count(invariants.S1)).To(Equal(1), "another image is another change")
}

func TestAChangeIDJoinsPayloads(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, ci, "create", cm("app-eastus", "a", map[string]string{"url": "https://eastus"}, Annotation("wavegate.io/change-id", " rotate-42 ")))
	h.do(time.Minute, ci, "create", cm("app-westus", "a", map[string]string{"url": "https://westus"}, Annotation("wavegate.io/change-id", "rotate-42")))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.explanations()).To(ContainSubstring("change rotate-42 entered westus"))
}

func TestObjectsWithoutPayloadCarryNoChangeUntilAPayloadIsEmptied(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	sa := func(namespace string) Object {
		return Object{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "runner", "namespace": namespace}}
	}
	h.do(0, ci, "create", sa("app-eastus"))
	h.do(time.Minute, ci, "create", sa("app-westus"))
	token := Secret("app-eastus", "t", map[string]string{"token": "eHl6"}, Field("type", "kubernetes.io/service-account-token"))
	h.do(2*time.Minute, ci, "create", token)
	h.do(3*time.Minute, ci, "create", Secret("app-westus", "t", map[string]string{"token": "eHl6"}, Field("type", "kubernetes.io/service-account-token")))
	g.Expect(h.count(invariants.S1)).To(Equal(0), h.explanations())
	// Emptying a payload is a change, the same wherever it is emptied.
	h.do(4*time.Minute, ci, "create", cm("app-eastus", "e", map[string]string{"a": "1"}))
	h.do(5*time.Hour, ci, "create", cm("app-westus", "e", map[string]string{"b": "2"}))
	h.do(6*time.Hour, ci, "update", cm("app-eastus", "e", nil))
	h.do(6*time.Hour+time.Minute, ci, "update", cm("app-westus", "e", nil))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.explanations()).To(ContainSubstring("the failover pair of eastus, 1m after"))
}

// The gate decides a few milliseconds after the API server received the
// request: a request within Tolerance of the deadline is not a violation.
func TestClockSkewWithinTheToleranceIsNoViolation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tolerance time.Duration
		early     time.Duration
		want      int
	}{
		{"default tolerance, 500ms early", 0, 500 * time.Millisecond, 0},
		{"default tolerance, 2s early", 0, 2 * time.Second, 1},
		{"exact comparison, 500ms early", -1, 500 * time.Millisecond, 1},
		{"exact comparison, on time", -1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			h := newHistory(t, invariants.Options{Tolerance: tc.tolerance})
			h.do(0, ci, "create", cm("app-eastus2euap", "a", map[string]string{"k": "v"}))
			h.do(time.Hour-tc.early, ci, "create", cm("app-westcentralus", "a", map[string]string{"k": "v"}))
			g.Expect(h.count(invariants.S1)).To(Equal(tc.want), h.explanations())
		})
	}
}

func TestWithoutAPlanASecondRegionWaitsAnHour(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	slow := Annotation("wavegate.io/plan", "slow")
	h.do(0, ci, "create", cm("app-eastus", "a", map[string]string{"k": "v"}, slow))
	h.do(30*time.Minute, ci, "create", cm("app-centralus", "a", map[string]string{"k": "v"}, slow))
	h.do(2*time.Hour, ci, "create", cm("app-eastus2", "a", map[string]string{"k": "v"}, slow))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.explanations()).To(ContainSubstring("no WavePlan slow exists: without a plan a change enters another region only after 1h"))
	h.do(3*time.Hour, ci, "create", cm("shared", "b", map[string]string{"k": "w"}, slow, Annotation("wavegate.io/regions", "eastus,centralus")))
	g.Expect(h.count(invariants.S1)).To(Equal(2), h.explanations())
}

func TestAnUpdateThatMovesAnObjectIsAChange(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, ci, "create", cm("shared", "a", map[string]string{"k": "v"}, Region("eastus")))
	// Relabelled, same data: the change enters westus, eastus's pair.
	h.do(time.Minute, ci, "update", cm("shared", "a", map[string]string{"k": "v"}, Region("westus")))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	// Metadata alone is no change.
	h.do(2*time.Minute, ci, "update", cm("shared", "a", map[string]string{"k": "v"}, Region("westus"), Annotation("team", "x")))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
}

func TestRelabellingANamespaceMovesWhatIsInIt(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, admin, "create", Namespace("team", "eastus"))
	h.do(time.Minute, ci, "create", cm("team", "a", map[string]string{"k": "v"}))
	h.do(2*time.Minute, ci, "create", cm("team", "empty", nil))
	h.do(time.Hour, admin, "update", Namespace("team", "westus"))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	v := h.c.Violations()[0]
	g.Expect(v.Request.Object).To(Equal("ConfigMap team/a (moved by relabelling Namespace team from eastus to westus)"))
	g.Expect(v.Request.User).To(Equal(admin))
}

func TestRemovingFinalizersOfAnObjectBeingDeletedIsNoChange(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	obj := func(opts ...Opt) Object {
		return cm("app-centralus", "a", map[string]string{"k": "v"}, append([]Opt{Deleting(t0)}, opts...)...)
	}
	h.do(-time.Hour, ci, "create", cm("app-centralus", "a", map[string]string{"k": "v"}, Finalizers("x.io/a", "x.io/b")))
	h.do(0, ci, "delete", obj(Finalizers("x.io/a", "x.io/b")))
	h.do(time.Minute, admin, "create", Freeze("f", FreezeSpec{Regions: []string{"centralus"}, Reason: "storage outage"}))
	h.do(2*time.Minute, "system:serviceaccount:x:controller", "update", obj(Finalizers("x.io/b")))
	g.Expect(h.count(invariants.S2)).To(Equal(0), h.explanations())
	h.do(3*time.Minute, "system:serviceaccount:x:controller", "update", obj(Finalizers("x.io/b"), Label("extra", "1")))
	g.Expect(h.count(invariants.S2)).To(Equal(1), "a label change is a change: %s", h.explanations())
	h.do(4*time.Minute, "system:serviceaccount:x:controller", "update", obj(Label("extra", "1")))
	g.Expect(h.count(invariants.S2)).To(Equal(1), h.explanations())
	// The last finalizer gone, so is the object.
	h.do(5*time.Minute, ci, "update", cm("app-centralus", "a", map[string]string{"k": "v"}))
	g.Expect(h.c.Notes()).To(ContainElement(HaveField("Reason", invariants.NoteNotSeen)))
}

func TestAnObjectNeverSeenIsANoteNotAViolation(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(-time.Hour, ci, "create", cm("app-westus", "a", map[string]string{"k": "v"}))
	// Another server's history, of which the checker sees only an update:
	// whether it changed the object's data cannot be told, so S1 (eastus
	// is westus's pair) is not judged.
	other := NewAPIServer()
	_, err := other.Event(Request{Write: invariants.Write{At: t0.Add(-time.Hour), User: ci, Verb: "create", Object: cm("app-eastus", "unseen", map[string]string{"k": "v"})}})
	g.Expect(err).NotTo(HaveOccurred())
	e, err := other.Event(Request{Write: invariants.Write{At: t0, User: ci, Verb: "update", Object: cm("app-eastus", "unseen", map[string]string{"k": "v"})}})
	g.Expect(err).NotTo(HaveOccurred())
	h.c.Add(e)
	h.del(time.Minute, cleanup, "configmaps", "app-eastus", "ghost")
	g.Expect(h.c.Violations()).To(BeEmpty())
	var reasons []string
	for _, n := range h.c.Notes() {
		reasons = append(reasons, n.Reason)
	}
	g.Expect(reasons).To(Equal([]string{invariants.NoteNotSeen, invariants.NoteNotSeen}))
}

func TestKubernetesControllersAreNotJudged(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(-time.Hour, ci, "create", cm("app-eastus", "guarded", map[string]string{"k": "v"}, Protection("protected")))
	h.do(0, admin, "create", Freeze("f", FreezeSpec{Regions: []string{"*"}, Reason: "all regions frozen"}))
	judged := h.c.Summary().Judged
	h.do(time.Minute, "system:serviceaccount:kube-system:root-ca-cert-publisher", "create", cm("app-eastus", "kube-root-ca.crt", map[string]string{"ca.crt": "x"}))
	h.do(time.Minute, "system:kube-controller-manager", "create", cm("app-westus", "kube-root-ca.crt", map[string]string{"ca.crt": "x"}))
	h.del(2*time.Minute, gc, "configmaps", "app-eastus", "guarded")
	g.Expect(h.c.Violations()).To(BeEmpty())
	g.Expect(h.c.Summary().Judged).To(Equal(judged))
}

func TestWavegatesControllerIsJudgedByEveryPropertyButS1(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, invariants.DefaultControllerUser, "create", cm("app-eastus", "a", map[string]string{"k": "v"}))
	h.do(time.Minute, invariants.DefaultControllerUser, "create", cm("app-westus", "a", map[string]string{"k": "v"}))
	g.Expect(h.c.Violations()).To(BeEmpty())
	// Its entries are recorded: a human taking the change to the canary
	// now goes down a wave, and before eastus, its first region, baked.
	h.do(2*time.Minute, ci, "create", cm("app-eastus2euap", "a", map[string]string{"k": "v"}))
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.c.Violations()[0].Clauses).To(Equal([]string{invariants.ClauseWavesGoDown, invariants.ClauseCanaryNotBaked}))
	h.do(3*time.Minute, admin, "create", Freeze("f", FreezeSpec{Regions: []string{"centralus"}, Reason: "storage outage"}))
	h.do(4*time.Minute, invariants.DefaultControllerUser, "create", cm("app-centralus", "b", map[string]string{"k": "w"}))
	g.Expect(h.count(invariants.S2)).To(Equal(1), h.explanations())
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
}

func TestSinceReplaysEarlierRequestsWithoutJudgingThem(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{Since: t0.Add(time.Hour)})
	h.do(0, ci, "create", cm("app-eastus", "a", map[string]string{"k": "v"}))
	h.do(time.Minute, ci, "create", cm("app-westus", "a", map[string]string{"k": "v"}))
	g.Expect(h.c.Violations()).To(BeEmpty())
	h.do(2*time.Hour, ci, "create", cm("app-eastus2euap", "a", map[string]string{"k": "v"}))
	g.Expect(h.count(invariants.S1)).To(Equal(1), "the change reached broad-2 before --since: %s", h.explanations())
}

func TestDryRunsAndDeniedRequestsAreNotJudged(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, admin, "create", Freeze("f", FreezeSpec{Regions: []string{"eastus"}, Reason: "outage in eastus"}))
	h.do(time.Minute, ci, "create", cm("app-eastus", "a", map[string]string{"k": "v"}), func(r *Request) { r.DryRun = true })
	h.do(time.Minute, ci, "create", cm("app-eastus", "b", map[string]string{"k": "v"}), func(r *Request) { r.Code = 403 })
	e, err := h.api.Event(Request{Write: invariants.Write{At: t0.Add(time.Minute), User: ci, Verb: "create", Object: cm("app-eastus", "c", nil)}})
	g.Expect(err).NotTo(HaveOccurred())
	e.RequestURI += "?fieldManager=kubectl&dryRun=All"
	h.c.Add(e)
	g.Expect(h.c.Violations()).To(BeEmpty())
	g.Expect(h.c.Summary().Denied).To(Equal(1))
}

func TestAnAgentsRegionHoldsEveryNamespacedObject(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{AgentRegion: "eastus"})
	h.do(0, admin, "create", Freeze("f", FreezeSpec{Regions: []string{"eastus"}, Reason: "outage in eastus"}))
	h.do(time.Minute, ci, "create", cm("shared", "a", nil))
	h.do(time.Minute, ci, "create", Object{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "r"}})
	g.Expect(h.count(invariants.S2)).To(Equal(1), h.explanations())
	g.Expect(h.c.Violations()[0].Request.Object).To(Equal("ConfigMap shared/a"))
}

func TestAnOrphaningDeleteDeletesNoDependent(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(-time.Hour, ci, "create", cm("app-westus", "owner", map[string]string{"o": "1"}, Protection("deletable")))
	h.do(-time.Hour, ci, "create", cm("app-westus", "child", map[string]string{"c": "1"},
		Owner("ConfigMap", "owner", UID("configmaps", "app-westus", "owner"))))
	h.del(0, cleanup, "configmaps", "app-westus", "owner", func(r *Request) {
		r.Request = map[string]any{"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"}
	})
	g.Expect(h.c.Violations()).To(BeEmpty())
}

func TestDeleteCollectionIsANote(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	e, err := (invariants.Write{At: t0, User: cleanup, Verb: "deletecollection", Resource: "configmaps", Namespace: "app-westus", Code: 200}).Event()
	g.Expect(err).NotTo(HaveOccurred())
	h.c.Add(e)
	g.Expect(h.c.Violations()).To(BeEmpty())
	g.Expect(h.c.Notes()).To(ConsistOf(HaveField("Reason", invariants.NoteCollection)))
}

func TestTheInitialStateIsReplayedFirst(t *testing.T) {
	g := NewWithT(t)
	state := []*unstructured.Unstructured{
		{Object: RegionObject("eastus", "")},
		{Object: Freeze("old", FreezeSpec{Regions: []string{"eastus"}, Reason: "long-running freeze"})},
		{Object: Namespace("app", "eastus")},
		{Object: cm("app", "guarded", map[string]string{"k": "v"}, Protection("protected"))},
	}
	c, err := invariants.New(invariants.Options{State: state})
	g.Expect(err).NotTo(HaveOccurred())
	e, err := (invariants.Write{At: t0, User: "dev", Verb: "delete", Resource: "configmaps", Namespace: "app", Name: "guarded"}).Event()
	g.Expect(err).NotTo(HaveOccurred())
	c.Add(e)
	g.Expect(c.Summary().Violations).To(Equal(map[invariants.Property]int{invariants.S2: 1, invariants.S3: 1}))
	earlier := c.Violations()[1].Earlier[0]
	g.Expect(earlier.String()).To(Equal("(the state file) ConfigMap app/guarded: left ConfigMap app/guarded tagged protected"))

	_, err = invariants.New(invariants.Options{State: []*unstructured.Unstructured{{Object: map[string]any{
		"apiVersion": "wavegate.io/v1alpha1", "kind": "Freeze", "metadata": map[string]any{"name": "x"}, "spec": map[string]any{"regions": "eastus"}}}}})
	g.Expect(err).To(MatchError(ContainSubstring("Freeze")))
}

func TestPlural(t *testing.T) {
	g := NewWithT(t)
	for kind, want := range map[string]string{"ConfigMap": "configmaps", "Freeze": "freezes", "AutomationPolicy": "automationpolicies",
		"Ingress": "ingresses", "Gateway": "gateways", "NetworkPolicy": "networkpolicies", "Namespace": "namespaces"} {
		g.Expect(invariants.Plural(kind)).To(Equal(want))
	}
}

// The history keeps every entry's region and time, and forgets which
// request brought it once that is older than any bake: verdicts do not
// change, the report says so.
func TestOldEntriesKeepTheirVerdictButNotTheirRequest(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{SweepEvery: 1})
	h.do(0, ci, "create", cm("app-westus", "a", map[string]string{"k": "v"}))
	h.do(time.Minute, ci, "create", cm("app-eastus", "a", map[string]string{"k": "v"}))
	g.Expect(h.c.Violations()[0].Earlier[0].Request.User).To(Equal(ci), "a recent entry names its request")
	h.do(30*time.Hour, ci, "create", cm("app-eastus2euap", "a", map[string]string{"k": "v"}))
	g.Expect(h.count(invariants.S1)).To(Equal(2), h.explanations())
	v := h.c.Violations()[1]
	g.Expect(v.Clauses).To(Equal([]string{invariants.ClauseWavesGoDown}))
	g.Expect(v.Earlier).To(HaveLen(1))
	g.Expect(v.Earlier[0].Region).To(Equal("westus"))
	g.Expect(v.Earlier[0].Time).To(Equal(t0))
	g.Expect(v.Earlier[0].User).To(BeEmpty())
	g.Expect(v.Earlier[0].What).To(ContainSubstring("no longer kept"))
}

// The API server logs a Namespace's create without objectRef.namespace and
// its later writes with the Namespace's own name there (seen on a real
// cluster): both are the one Namespace, so a relabel after a plain create
// is judged.
func TestANamespaceLoggedUnderItsOwnNameIsOneObject(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	h.do(0, admin, "create", Namespace("probe", "eastus2euap"))
	h.do(time.Minute, ci, "create", cm("probe", "a", map[string]string{"k": "v"}))
	h.do(2*time.Minute, admin, "update", Namespace("probe", "westus"), func(r *Request) { r.Namespace = "probe" })
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.c.Notes()).To(BeEmpty())
}

// What Kubernetes' own controllers create is not judged, but it is kept: a
// person who edits it later is judged on what the edit changes.
func TestWhatKubernetesCreatesIsJudgedWhenAPersonEditsIt(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	publisher := "system:serviceaccount:kube-system:root-ca-cert-publisher"
	for _, ns := range []string{"app-eastus2euap", "app-westcentralus"} {
		h.do(0, publisher, "create", cm(ns, "kube-root-ca.crt", map[string]string{"ca.crt": "x"}))
	}
	g.Expect(h.c.Violations()).To(BeEmpty())
	for _, ns := range []string{"app-eastus2euap", "app-westcentralus"} {
		h.do(time.Minute, ci, "update", cm(ns, "kube-root-ca.crt", map[string]string{"ca.crt": "edited"}))
	}
	g.Expect(h.count(invariants.S1)).To(Equal(1), h.explanations())
	g.Expect(h.c.Notes()).To(BeEmpty())
}

// A relabel moves what people wrote, not what Kubernetes' own controllers
// wrote last: a root CA ConfigMap is the same in every Namespace and no
// configuration change (§4).
func TestARelabelDoesNotMoveWhatKubernetesWrote(t *testing.T) {
	g := NewWithT(t)
	h := newHistory(t, invariants.Options{})
	for _, ns := range []string{"app-eastus", "app-westus"} {
		h.do(0, "system:serviceaccount:kube-system:root-ca-cert-publisher", "create", cm(ns, "kube-root-ca.crt", map[string]string{"ca.crt": "x"}))
	}
	h.do(time.Minute, admin, "update", Namespace("app-eastus", "centralus"), func(r *Request) { r.Namespace = "app-eastus" })
	h.do(2*time.Minute, admin, "update", Namespace("app-westus", "eastus2"), func(r *Request) { r.Namespace = "app-westus" })
	g.Expect(h.c.Violations()).To(BeEmpty(), h.explanations())
}
