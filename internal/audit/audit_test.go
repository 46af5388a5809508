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

package audit_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wavegate/wavegate/internal/audit"
	. "github.com/wavegate/wavegate/internal/audit/audittest"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

var update = flag.Bool("update", false, "rewrite testdata from the scenarios")

// render writes a scenario's history as the API server's audit log: the
// lines in the order the requests completed.
func render(sc scenario) ([]byte, error) {
	s := &script{}
	sc.write(s)
	reqs := s.reqs
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].At.Before(reqs[j].At) })
	api := NewAPIServer()
	var buf bytes.Buffer
	for _, r := range reqs {
		line, err := api.Line(r)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func testdata(name string) string { return filepath.Join("testdata", name) }

// The logs under testdata are checked in, as a reviewer reads them; this
// keeps them what the scenarios write.
func TestTestdataIsWhatTheScenariosWrite(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			g := NewWithT(t)
			data, err := render(sc)
			g.Expect(err).NotTo(HaveOccurred())
			path := testdata(sc.name + ".log")
			if *update {
				g.Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(data)).To(Equal(string(want)), "run go test ./internal/audit -run TestTestdata -update")
		})
	}
	t.Run("the good history, rotated and gzipped", func(t *testing.T) {
		g := NewWithT(t)
		data, err := os.ReadFile(testdata("good.log"))
		g.Expect(err).NotTo(HaveOccurred())
		lines := bytes.SplitAfter(data, []byte("\n"))
		half := len(lines) / 2
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, err = zw.Write(bytes.Join(lines[:half], nil))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(zw.Close()).To(Succeed())
		first, second := testdata("rotated/audit-2024-07-18T09-00-00.000.log.gz"), testdata("rotated/audit.log")
		if *update {
			g.Expect(os.MkdirAll(testdata("rotated"), 0o750)).To(Succeed())
			g.Expect(os.WriteFile(first, gz.Bytes(), 0o600)).To(Succeed())
			g.Expect(os.WriteFile(second, bytes.Join(lines[half:], nil), 0o600)).To(Succeed()) //nolint:gosec // testdata of this package
		}
		got, err := os.ReadFile(second)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(got)).To(Equal(string(bytes.Join(lines[half:], nil))))
		zr, err := os.Open(first)
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = zr.Close() }()
		r, err := gzip.NewReader(zr)
		g.Expect(err).NotTo(HaveOccurred())
		var plain bytes.Buffer
		_, err = plain.ReadFrom(r)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(plain.String()).To(Equal(string(bytes.Join(lines[:half], nil))))
	})
}

func run(g Gomega, logs []string, state string) *audit.Report {
	rep, err := audit.Run(context.Background(), audit.Config{Logs: logs, State: state})
	g.Expect(err).NotTo(HaveOccurred())
	return rep
}

func TestRecordedHistories(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			g := NewWithT(t)
			state := ""
			if sc.state != "" {
				state = testdata(sc.state)
			}
			rep := run(g, []string{testdata(sc.name + ".log")}, state)
			var text bytes.Buffer
			g.Expect(rep.WriteText(&text)).To(Succeed())
			for _, p := range invariants.Properties {
				g.Expect(rep.Summary.Violations[p]).To(Equal(sc.want[p]), "violations of %s:\n%s", p, text.String())
			}
			var rules []string
			for _, v := range rep.Violations {
				rules = append(rules, v.Rule)
			}
			g.Expect(rules).To(Equal(sc.rules), text.String())
			var clauses [][]string
			for _, v := range rep.Violations {
				if v.Property == invariants.S1 {
					clauses = append(clauses, v.Clauses)
				}
			}
			g.Expect(clauses).To(Equal(sc.clauses), text.String())
			g.Expect(rep.BreakGlass).To(HaveLen(sc.breakGlass), text.String())
			for _, want := range sc.texts {
				g.Expect(text.String()).To(ContainSubstring(want))
			}
			for _, v := range rep.Violations {
				// Only S4, S5 and a change's first regions entered at once
				// need no earlier request.
				if v.Property != invariants.S5 && v.Property != invariants.S4 && !strings.Contains(v.Explanation, " at once") {
					g.Expect(v.Earlier).NotTo(BeEmpty(), "%s names the earlier requests that make it a violation", v)
				}
				g.Expect(v.Request.Where()).To(HavePrefix(testdata(sc.name + ".log:")))
			}
		})
	}
}

func TestRotatedAndGzippedFilesReadInTheOrderOfTheirFirstEvent(t *testing.T) {
	g := NewWithT(t)
	whole := run(g, []string{testdata("good.log")}, "")
	rotated := run(g, []string{testdata("rotated/audit.log"), testdata("rotated/audit-2024-07-18T09-00-00.000.log.gz")}, "")
	g.Expect(rotated.Files).To(Equal([]string{testdata("rotated/audit-2024-07-18T09-00-00.000.log.gz"), testdata("rotated/audit.log")}))
	g.Expect(rotated.Summary).To(Equal(whole.Summary))
	g.Expect(rotated.Summary.Events).To(BeNumerically(">", 50))
}

func TestBadInputNamesTheFileAndTheLine(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(testdata("s5-unknown-region.log"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	lines := strings.SplitAfter(string(good), "\n")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		NewWithT(t).Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed()) //nolint:gosec // the test's own temporary directory
		return p
	}
	cases := []struct {
		name, path string
		line       int
		want       string
	}{
		{"a line that is not JSON", write("not-json.log", lines[0]+lines[1]+"this is not JSON\n"+lines[2]), 3, "not a JSON audit event"},
		{"JSON that is not an audit event", write("other.log", lines[0]+`{"kind":"ConfigMap","apiVersion":"v1"}`+"\n"), 2, "not an audit.k8s.io/v1 Event"},
		{"a first line that is not an audit event", write("first.log", "{}\n"), 1, "not a JSON audit event"},
		{"a gzip file that is cut short", write("cut.log.gz", "\x1f\x8b\x08\x00\x00\x00"), 0, ""},
		{"a file that does not exist", filepath.Join(dir, "nope.log"), 0, "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := audit.Run(context.Background(), audit.Config{Logs: []string{testdata("good.log"), tc.path}})
			var in *audit.InputError
			g.Expect(errors.As(err, &in)).To(BeTrue(), "%v", err)
			g.Expect(in.File).To(Equal(tc.path))
			g.Expect(in.Line).To(Equal(tc.line))
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		})
	}
	t.Run("a state file that does not decode", func(t *testing.T) {
		g := NewWithT(t)
		bad := write("state.yaml", "apiVersion: wavegate.io/v1alpha1\nkind: Freeze\nmetadata: {name: x}\nspec: {regions: eastus}\n")
		_, err := audit.Run(context.Background(), audit.Config{Logs: []string{testdata("good.log")}, State: bad})
		var in *audit.InputError
		g.Expect(errors.As(err, &in)).To(BeTrue(), "%v", err)
		g.Expect(err.Error()).To(ContainSubstring(bad))
	})
	t.Run("a last line cut short is skipped with a warning", func(t *testing.T) {
		g := NewWithT(t)
		cut := write("live.log", string(good)+lines[3][:40])
		rep := run(g, []string{cut}, "")
		g.Expect(rep.Truncated).To(Equal([]string{cut + ":" + itoa(len(lines))}))
		g.Expect(rep.Summary.Violations[invariants.S5]).To(Equal(1))
	})
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// The histories of testdata/*.log, written as the API server would log
// them (TestTestdataIsWhatTheScenariosWrite keeps the files and these in
// step; `go test -run TestTestdata -update` rewrites them).

var t0 = time.Date(2024, 7, 18, 12, 0, 0, 0, time.UTC)

const (
	admin    = "kubernetes-admin"
	ci       = "system:serviceaccount:ci:deployer"
	oncall   = "oncall@example.com"
	dev      = "dev@example.com"
	sre      = "sre@example.com"
	cleanup  = "system:serviceaccount:ops:cleanup"
	manager  = invariants.DefaultControllerUser
	kcm      = "system:serviceaccount:kube-system:root-ca-cert-publisher"
	gc       = "system:serviceaccount:kube-system:generic-garbage-collector"
	cleaner  = "system:serviceaccount:example:finalizer-remover"
	deployer = "system:serviceaccount:kube-system:deployment-controller"
)

var breakGlass = []string{"wavegate:break-glass", "system:authenticated"}

// script is a history being written.
type script struct{ reqs []Request }

type reqOpt func(*Request)

func groups(g ...string) reqOpt { return func(r *Request) { r.Groups = g } }
func dryRun() reqOpt            { return func(r *Request) { r.DryRun = true } }
func code(c int) reqOpt         { return func(r *Request) { r.Code = c } }
func metadataLevel() reqOpt     { return func(r *Request) { r.Level = "Metadata" } }
func subresource(s string) reqOpt {
	return func(r *Request) { r.Subresource = s }
}

func (s *script) do(at time.Duration, user, verb string, obj Object, opts ...reqOpt) {
	r := Request{Write: invariants.Write{At: t0.Add(at), User: user, Verb: verb, Object: obj, Groups: []string{"system:authenticated"}}}
	for _, o := range opts {
		o(&r)
	}
	s.reqs = append(s.reqs, r)
}

func (s *script) del(at time.Duration, user, group, resource, namespace, name string, opts ...reqOpt) {
	r := Request{Write: invariants.Write{At: t0.Add(at), User: user, Verb: "delete", APIGroup: group, Resource: resource,
		Namespace: namespace, Name: name, Groups: []string{"system:authenticated"}}}
	for _, o := range opts {
		o(&r)
	}
	s.reqs = append(s.reqs, r)
}

var regions = [][2]string{
	{"eastus2euap", ""}, {"westcentralus", ""}, {"eastus", "westus"}, {"westus", "eastus"},
	{"centralus", "eastus2"}, {"eastus2", "centralus"}, {"australiaeast", "australiasoutheast"},
	{"australiasoutheast", "australiaeast"}, {"brazilsouth", "brazilsoutheast"}, {"brazilsoutheast", "brazilsouth"},
}

var defaultPlan = []Wave{
	{Name: "canary", Bake: time.Hour, Regions: []string{"eastus2euap"}},
	{Name: "pilot", Bake: 2 * time.Hour, Regions: []string{"westcentralus"}},
	{Name: "broad-1", Bake: 6 * time.Hour, Regions: []string{"eastus", "australiaeast", "centralus"}},
	{Name: "broad-2", Bake: 6 * time.Hour, Regions: []string{"westus", "australiasoutheast", "eastus2"}},
}

// setup is the start of every history: the inventory (brazilsouth and its
// pair are in no wave), the default plan, a delete automation, a Namespace
// app-<region> per region and an unlabelled one, each with what
// Kubernetes' controllers put in every Namespace.
func setup(s *script) {
	at := -3 * time.Hour
	for _, r := range regions {
		s.do(at, admin, "create", RegionObject(r[0], r[1]))
	}
	s.do(at, admin, "create", WavePlan("default", defaultPlan...))
	s.do(at, admin, "create", AutomationPolicy("cleanup", []string{"ops/cleanup"}, nil, nil, "westus"))
	namespaces := []string{"shared"}
	for _, r := range regions {
		namespaces = append(namespaces, "app-"+r[0])
	}
	for i, ns := range namespaces {
		at := at + time.Duration(i+1)*time.Second
		region := ""
		if ns != "shared" {
			region = ns[len("app-"):]
		}
		s.do(at, admin, "create", Namespace(ns, region))
		s.do(at+10*time.Millisecond, kcm, "create", ConfigMap(ns, "kube-root-ca.crt", map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}))
		s.do(at+20*time.Millisecond, "system:serviceaccount:kube-system:service-account-controller", "create", object("v1", "ServiceAccount", ns, "default"))
	}
}

func object(apiVersion, kind, namespace, name string, opts ...Opt) Object {
	o := Object{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": namespace}}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

func settings(region, flag string) Object {
	return ConfigMap("app-"+region, "settings", map[string]string{"flag": flag})
}

type scenario struct {
	name string
	// state names a state file under testdata, for histories that start
	// from one rather than from setup.
	state string
	write func(*script)
	// want counts the violations per property, and breakGlass the
	// break-glass admissions.
	want       map[invariants.Property]int
	breakGlass int
	// rules are the rules the violations name, in order.
	rules []string
	// clauses are the S1 clauses each S1 violation names, in order.
	clauses [][]string
	// texts are in the text report.
	texts []string
}

var scenarios = []scenario{{
	name: "good",
	write: func(s *script) {
		setup(s)
		s.do(-2*time.Hour, admin, "create", ConfigRollout("msi-auto-keys", "2.0.0", 1, 0))
		s.do(-2*time.Hour, admin, "create", Namespace("moving", "eastus2euap"))
		// A change rolled out wave by wave, each after the previous baked.
		s.do(0, ci, "create", settings("eastus2euap", "on"))
		s.do(time.Minute, ci, "create", ConfigMap("moving", "cfg", map[string]string{"m": "1"}))
		s.do(time.Hour+time.Minute, ci, "create", settings("westcentralus", "on"))
		s.do(3*time.Hour+2*time.Minute, ci, "create", settings("eastus", "on"))
		s.do(3*time.Hour+3*time.Minute, ci, "create", settings("australiaeast", "on"))
		s.do(9*time.Hour+5*time.Minute, ci, "create", settings("westus", "on"))
		// Not judged: a dry run and a denied request that would violate S1.
		s.do(10*time.Minute, ci, "create", settings("westus", "on"), dryRun())
		s.do(11*time.Minute, ci, "create", settings("eastus2", "on"), code(403))
		// A Secret at level Metadata: judged by its Namespace's region.
		s.do(12*time.Minute, ci, "create", Secret("app-eastus", "token", map[string]string{"t": "c2VjcmV0"}), metadataLevel())
		// A Deployment, its ReplicaSet by Kubernetes, a scale.
		s.do(13*time.Minute, ci, "create", Deployment("app-eastus2euap", "web", "web:1.0", 3))
		s.do(13*time.Minute+time.Second, deployer, "create", object("apps/v1", "ReplicaSet", "app-eastus2euap", "web-5d8f",
			Owner("Deployment", "web", UID("deployments", "app-eastus2euap", "web")), Field("spec", map[string]any{"replicas": 3})))
		s.do(14*time.Minute, oncall, "update", object("autoscaling/v1", "Scale", "app-eastus2euap", "web", Field("spec", map[string]any{"replicas": 5})),
			subresource("scale"), func(r *Request) { r.Resource, r.APIGroup = "deployments", "apps" })
		// An object being deleted, then a Freeze of its region, then its
		// finalizer removed: not a change.
		s.do(5*time.Minute, ci, "create", ConfigMap("app-centralus", "legacy", map[string]string{"x": "1"}, Finalizers("example.com/cleanup")))
		s.do(15*time.Minute, ci, "delete", ConfigMap("app-centralus", "legacy", map[string]string{"x": "1"}, Finalizers("example.com/cleanup"), Deleting(t0.Add(15*time.Minute))))
		s.do(20*time.Minute, oncall, "create", Freeze("inc-centralus", FreezeSpec{Regions: []string{"centralus"}, Reason: "Central US storage outage", Ticket: "INC-1"}))
		s.do(25*time.Minute, cleaner, "update", ConfigMap("app-centralus", "legacy", map[string]string{"x": "1"}, Deleting(t0.Add(15*time.Minute))))
		// Delete automation deletes what is tagged deletable.
		s.do(6*time.Minute, ci, "create", ConfigMap("app-westus", "tmp", map[string]string{"tmp": "1"}, Protection("deletable")))
		s.del(30*time.Minute, cleanup, "", "configmaps", "app-westus", "tmp")
		// A change that requires a rollout, once it converged in the
		// region and its pair.
		s.do(40*time.Minute, manager, "update", ConfigRollout("msi-auto-keys", "2.0.0", 1, 1,
			RegionStatus{Name: "eastus", State: "Converged", Version: "2.0.0"}, RegionStatus{Name: "westus", State: "Converged", Version: "2.0.0"}),
			subresource("status"))
		s.do(41*time.Minute, ci, "create", ConfigMap("app-eastus", "needs-msi", map[string]string{"k": "v2"}, Annotation("wavegate.io/requires", "msi-auto-keys")))
		// Wavegate's controller is not judged by S1: a change of its own
		// entering two regions of broad-2 as its first.
		s.do(45*time.Minute, manager, "create", ConfigMap("app-eastus2", "rollout", map[string]string{"version": "2.0.0"}))
		s.do(46*time.Minute, manager, "create", ConfigMap("app-australiasoutheast", "rollout", map[string]string{"version": "2.0.0"}))
		// A Namespace relabelled once its change baked in the canary.
		s.do(time.Hour+5*time.Minute, admin, "update", Namespace("moving", "westcentralus"))
		// The garbage collector's delete is not judged.
		s.del(50*time.Minute, gc, "apps", "replicasets", "app-eastus2euap", "web-5d8f")
	},
	want:  map[invariants.Property]int{},
	texts: []string{"0 violations", "Secret logged at level Metadata"},
}, {
	name: "s1-a-waves-go-down",
	write: func(s *script) {
		setup(s)
		s.do(0, ci, "create", settings("westus", "a"))
		s.do(7*time.Hour, ci, "create", settings("eastus2euap", "a"))
	},
	want:    map[invariants.Property]int{invariants.S1: 1},
	rules:   []string{"change-velocity"},
	clauses: [][]string{{invariants.ClauseWavesGoDown}},
	texts:   []string{"entered eastus2euap (wave canary) after it had reached wave broad-2 of plan default: the waves a change enters never go down"},
}, {
	name: "s1-b-next-wave-before-bake",
	write: func(s *script) {
		setup(s)
		s.do(0, ci, "create", settings("eastus2euap", "b"))
		s.do(30*time.Minute, ci, "create", settings("westcentralus", "b"))
	},
	want:    map[invariants.Property]int{invariants.S1: 1},
	rules:   []string{"change-velocity"},
	clauses: [][]string{{invariants.ClauseWaveNotBaked}},
	texts:   []string{"entered westcentralus (wave pilot) before wave canary baked: it last entered that wave in eastus2euap 30m earlier (bake 1h); the next wave may follow after 2024-07-18T13:00:00Z"},
}, {
	name: "s1-c-canary-not-baked",
	write: func(s *script) {
		setup(s)
		s.do(0, ci, "create", settings("eastus", "c"))
		s.do(time.Hour, ci, "create", settings("australiaeast", "c"))
	},
	want:    map[invariants.Property]int{invariants.S1: 1},
	rules:   []string{"change-velocity"},
	clauses: [][]string{{invariants.ClauseCanaryNotBaked}},
	texts:   []string{"entered australiaeast before its canary eastus baked"},
}, {
	name: "s1-d-failover-pair",
	write: func(s *script) {
		setup(s)
		s.do(0, ci, "create", settings("eastus2euap", "d"))
		s.do(time.Hour+time.Minute, ci, "create", settings("westcentralus", "d"))
		s.do(3*time.Hour+2*time.Minute, ci, "create", settings("eastus", "d"))
		s.do(9*time.Hour+3*time.Minute, ci, "create", settings("westus", "d"))
		// brazilsouth and its pair are in no wave: both count as broad-2.
		s.do(9*time.Hour+4*time.Minute, ci, "create", settings("brazilsouth", "d"))
		s.do(9*time.Hour+5*time.Minute, ci, "create", settings("brazilsoutheast", "d"))
	},
	want:    map[invariants.Property]int{invariants.S1: 1},
	rules:   []string{"change-velocity"},
	clauses: [][]string{{invariants.ClausePairNotBaked}},
	texts:   []string{"entered brazilsoutheast, the failover pair of brazilsouth, 1m after it entered brazilsouth (wave broad-2, bake 6h)"},
}, {
	name: "s1-e-regions-at-once",
	write: func(s *script) {
		setup(s)
		s.do(0, ci, "create", ConfigMap("shared", "global", map[string]string{"e": "1"}, Annotation("wavegate.io/regions", "eastus,westus")))
		// Its own label and its Namespace's: two regions of broad-1 as
		// the change's first.
		s.do(time.Minute, ci, "create", ConfigMap("app-australiaeast", "split", map[string]string{"e": "2"}, Region("eastus")))
	},
	want:    map[invariants.Property]int{invariants.S1: 2},
	rules:   []string{"multi-region", "change-velocity"},
	clauses: [][]string{{invariants.ClauseAtOnce}, {invariants.ClauseAtOnce}},
	texts: []string{"entered eastus, westus at once: eastus and westus are a failover pair; they are of different waves",
		"entered australiaeast, eastus at once: they are the change's first regions and not in the plan's first wave"},
}, {
	name: "s2-freeze",
	write: func(s *script) {
		setup(s)
		// No payload: these carry no change, only S2 judges them.
		s.do(-time.Hour, admin, "create", object("v1", "ConfigMap", "app-centralus", "plain"))
		s.do(-time.Hour, admin, "create", object("v1", "ConfigMap", "app-eastus", "mislabelled", Region("centralus")))
		s.do(-time.Hour, admin, "create", object("v1", "ConfigMap", "app-centralus", "labelled-eastus", Region("eastus")))
		s.do(0, oncall, "create", Freeze("inc-centralus", FreezeSpec{Regions: []string{"centralus"}, Reason: "Central US storage outage", Ticket: "INC-12345"}))
		// Within a second of the Freeze: not yet a violation.
		s.do(500*time.Millisecond, dev, "update", object("v1", "ConfigMap", "app-centralus", "plain", Annotation("note", "1")))
		// 2 s after: its label names centralus, its Namespace eastus.
		s.do(2*time.Second, dev, "update", object("v1", "ConfigMap", "app-eastus", "mislabelled", Region("centralus"), Annotation("note", "2")))
		// Its label names eastus, its Namespace centralus.
		s.del(3*time.Second, dev, "", "configmaps", "app-centralus", "labelled-eastus")
		// Another region: not frozen.
		s.do(4*time.Second, dev, "create", object("v1", "ConfigMap", "app-eastus", "other"))
	},
	want:  map[invariants.Property]int{invariants.S2: 2},
	rules: []string{"freeze", "freeze"},
	texts: []string{"update ConfigMap app-eastus/mislabelled (centralus, eastus)", "region centralus is frozen by Freeze inc-centralus (INC-12345), created 1.995s before the request: Central US storage outage",
		"delete ConfigMap app-centralus/labelled-eastus (centralus, eastus)"},
}, {
	name: "s3-direct",
	write: func(s *script) {
		setup(s)
		s.do(-time.Hour, ci, "create", object("v1", "ConfigMap", "app-westus", "untagged"))
		s.do(-time.Hour, ci, "create", object("v1", "ConfigMap", "app-westus", "guarded", Protection("protected")))
		s.do(-time.Hour, ci, "create", object("v1", "ConfigMap", "app-westus", "typo", Protection("deleteable")))
		s.do(-time.Hour, ci, "create", object("v1", "ConfigMap", "app-westus", "human-may"))
		s.del(0, cleanup, "", "configmaps", "app-westus", "untagged")
		s.del(time.Minute, dev, "", "configmaps", "app-westus", "guarded")
		s.del(2*time.Minute, cleanup, "", "configmaps", "app-westus", "typo")
		// A human may delete an untagged object.
		s.del(3*time.Minute, dev, "", "configmaps", "app-westus", "human-may")
	},
	want:  map[invariants.Property]int{invariants.S3: 3},
	rules: []string{"protected-delete", "protected-delete", "protected-delete"},
	texts: []string{"delete automation deleted ConfigMap app-westus/untagged (untagged, which counts as protected)",
		"a human without break-glass deleted ConfigMap app-westus/guarded (tagged protected)",
		`tagged "deleteable", which is not deletable`},
}, {
	name: "s3-namespace",
	write: func(s *script) {
		setup(s)
		s.do(-time.Hour, admin, "create", Namespace("tenant-a", "westus", Protection("deletable")))
		s.do(-time.Hour+10*time.Millisecond, kcm, "create", ConfigMap("tenant-a", "kube-root-ca.crt", map[string]string{"ca.crt": "x"}))
		s.do(-time.Hour+time.Second, ci, "create", ConfigMap("tenant-a", "gone", map[string]string{"a": "1"}, Protection("deletable")))
		s.do(-time.Hour+time.Second, ci, "create", ConfigMap("tenant-a", "kept", map[string]string{"a": "2"}))
		s.del(0, cleanup, "", "namespaces", "", "tenant-a")
	},
	want:  map[invariants.Property]int{invariants.S3: 1},
	rules: []string{"protected-delete"},
	texts: []string{"delete automation deleted Namespace tenant-a, which holds ConfigMap tenant-a/kept (untagged"},
}, {
	name: "s3-owner-cascade",
	write: func(s *script) {
		setup(s)
		s.do(-time.Hour, ci, "create", ConfigMap("app-westus", "owner", map[string]string{"o": "1"}, Protection("deletable")))
		s.do(-time.Hour, ci, "create", ConfigMap("app-westus", "child", map[string]string{"c": "1"}, Protection("protected"),
			Owner("ConfigMap", "owner", UID("configmaps", "app-westus", "owner"))))
		s.del(0, cleanup, "", "configmaps", "app-westus", "owner")
		s.del(time.Second, gc, "", "configmaps", "app-westus", "child")
	},
	want:  map[invariants.Property]int{invariants.S3: 1},
	rules: []string{"protected-delete"},
	texts: []string{"delete automation deleted ConfigMap app-westus/owner, and with it what depends on it through ownerReferences: ConfigMap app-westus/child (tagged protected)"},
}, {
	name: "s3-automation-edits",
	write: func(s *script) {
		setup(s)
		s.do(-time.Hour, ci, "create", ConfigMap("app-westus", "owner", map[string]string{"o": "1"}, Protection("deletable")))
		s.do(-time.Hour, ci, "create", ConfigMap("app-westus", "keep", map[string]string{"k": "1"}))
		s.do(-time.Hour, ci, "create", ConfigMap("app-westus", "guarded", map[string]string{"g": "1"}, Protection("protected")))
		s.do(0, cleanup, "update", ConfigMap("app-westus", "keep", map[string]string{"k": "1"},
			Owner("ConfigMap", "owner", UID("configmaps", "app-westus", "owner"))))
		s.do(time.Minute, cleanup, "update", ConfigMap("app-westus", "guarded", map[string]string{"g": "1"}, Protection("deletable")))
	},
	want:  map[invariants.Property]int{invariants.S3: 2},
	rules: []string{"protected-delete", "protected-delete"},
	texts: []string{"delete automation adds an ownerReference to ConfigMap app-westus/owner on ConfigMap app-westus/keep",
		`delete automation lowers the protection of ConfigMap app-westus/guarded from "protected" to "deletable"`},
}, {
	name:  "s4-requires",
	state: "s4-state.yaml",
	write: func(s *script) {
		s.do(0, ci, "create", ConfigMap("app-eastus", "ok", map[string]string{"k": "1"}, Annotation("wavegate.io/requires", "msi-auto-keys")))
		s.do(time.Minute, ci, "create", ConfigMap("app-australiaeast", "pinned", map[string]string{"k": "2"}, Annotation("wavegate.io/requires", "msi-auto-keys")))
		s.do(2*time.Minute, ci, "create", ConfigMap("app-eastus2euap", "missing", map[string]string{"k": "3"}, Annotation("wavegate.io/requires", "no-such-rollout")))
		s.do(3*time.Minute, admin, "update", ConfigRollout("msi-auto-keys", "2.1.0", 2, 1,
			RegionStatus{Name: "eastus", State: "Converged", Version: "2.0.0"}, RegionStatus{Name: "westus", State: "Converged", Version: "2.0.0"}))
		s.do(4*time.Minute, ci, "create", ConfigMap("app-eastus", "after-edit", map[string]string{"k": "4"}, Annotation("wavegate.io/requires", "msi-auto-keys")))
	},
	want:  map[invariants.Property]int{invariants.S4: 3},
	rules: []string{"requires", "requires", "requires"},
	texts: []string{"requires ConfigRollout msi-auto-keys, which has not converged in australiaeast (Pinned at 1.9.3: hotfix hold) and australiasoutheast (Pinned at 1.9.3)",
		"requires ConfigRollout no-such-rollout, which does not exist",
		"has not converged in eastus (status is for generation 1, not 2)"},
}, {
	name: "s5-unknown-region",
	write: func(s *script) {
		setup(s)
		s.do(0, ci, "create", ConfigMap("shared", "typo", map[string]string{"x": "1"}, Region("chinaeast9")))
	},
	want:  map[invariants.Property]int{invariants.S5: 1},
	rules: []string{"unknown-region"},
	texts: []string{"region chinaeast9 is not in the region inventory"},
}, {
	name: "s6-freeze-weakened",
	write: func(s *script) {
		setup(s)
		spec := FreezeSpec{Regions: []string{"eastus", "westus"}, Reason: "East US incident", ExpiresAt: t0.Add(4 * time.Hour)}
		s.do(0, oncall, "create", Freeze("inc-east", spec))
		spec.Regions = []string{"eastus"}
		s.do(10*time.Minute, dev, "update", Freeze("inc-east", spec))
		spec.ExpiresAt = t0.Add(time.Hour)
		s.do(11*time.Minute, dev, "update", Freeze("inc-east", spec))
		spec.ExemptUsers = []string{dev}
		s.do(12*time.Minute, dev, "update", Freeze("inc-east", spec))
		spec.AllowReverts = true
		s.do(13*time.Minute, dev, "update", Freeze("inc-east", spec))
		// Extending it is fine, and so is deleting it.
		spec.ExpiresAt = t0.Add(8 * time.Hour)
		s.do(14*time.Minute, dev, "update", Freeze("inc-east", spec))
		s.del(15*time.Minute, dev, "wavegate.io", "freezes", "", "inc-east")
	},
	want:  map[invariants.Property]int{invariants.S6: 4},
	rules: []string{"freeze", "freeze", "freeze", "freeze"},
	texts: []string{"removes region westus from spec.regions", "moves spec.expiresAt earlier, from 2024-07-18T16:00:00Z to 2024-07-18T13:00:00Z",
		"adds the exemption of user dev@example.com", "turns spec.allowReverts on"},
}, {
	name: "break-glass",
	write: func(s *script) {
		setup(s)
		s.do(-time.Hour, ci, "create", object("v1", "ConfigMap", "app-centralus", "cm"))
		s.do(-time.Hour, ci, "create", object("v1", "ConfigMap", "app-westus", "guarded", Protection("protected")))
		s.do(-time.Hour, ci, "create", ConfigMap("app-centralus", "reverted", map[string]string{"v": "2"}))
		s.do(0, oncall, "create", Freeze("inc-centralus", FreezeSpec{Regions: []string{"centralus"}, Reason: "Central US storage outage",
			ExemptGroups: []string{"team:storage"}, AllowReverts: true}))
		s.do(5*time.Minute, sre, "update", object("v1", "ConfigMap", "app-centralus", "cm", Annotation("fix", "1")), groups(breakGlass...))
		s.do(6*time.Minute, dev, "update", object("v1", "ConfigMap", "app-centralus", "cm", Annotation("fix", "2")), groups("team:storage"))
		s.do(7*time.Minute, manager, "update", ConfigMap("app-centralus", "reverted", map[string]string{"v": "1"},
			Annotation("wavegate.io/revert-of", "msi-auto-keys")))
		s.del(8*time.Minute, sre, "", "configmaps", "app-westus", "guarded", groups(breakGlass...))
		s.do(9*time.Minute, sre, "update", Freeze("inc-centralus", FreezeSpec{Regions: []string{"centralus"}, Reason: "Central US storage outage",
			ExemptGroups: []string{"team:storage", "team:network"}, AllowReverts: true}), groups(breakGlass...))
	},
	want:       map[invariants.Property]int{},
	breakGlass: 5,
	texts: []string{"Break-glass admissions", "member of the break-glass group wavegate:break-glass", "group team:storage is exempt by Freeze inc-centralus",
		"Wavegate's controller restoring a rollout (wavegate.io/revert-of), which Freeze inc-centralus allows (allowReverts)"},
}}
