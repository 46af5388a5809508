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

package webhookconfig

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestEveryGateWebhookFailsClosedFastAndRecordsNothingOnDryRun(t *testing.T) {
	cfg := Configuration(Options{Namespace: "wavegate-system", ServiceNamespace: "wavegate-system", Service: "wavegate-webhook", Path: "/gate"})
	NewWithT(t).Expect(cfg.Webhooks).To(HaveLen(11))
	for _, w := range cfg.Webhooks {
		t.Run(w.Name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(*w.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
			g.Expect(*w.TimeoutSeconds).To(BeNumerically("<=", 5))
			g.Expect(*w.SideEffects).To(Equal(admissionregistrationv1.SideEffectClassNoneOnDryRun))
			g.Expect(*w.ClientConfig.Service.Path).To(Equal("/gate"))

			g.Expect(w.NamespaceSelector.MatchExpressions).To(ContainElement(HaveField("Values", ConsistOf("kube-system", "wavegate-system"))),
				"kube-system and Wavegate's own namespace are never gated")
			var exprs []string
			for _, c := range w.MatchConditions {
				exprs = append(exprs, c.Expression)
			}
			all := strings.Join(exprs, " && ")
			for _, never := range []string{"'pods'", "'nodes'", "'events'", "'leases'", "'events.k8s.io'", "request.resource.group != 'wavegate.io'",
				"!(request.userInfo.username in ['system:kube-controller-manager', 'system:kube-scheduler'] || request.userInfo.username.startsWith('system:serviceaccount:kube-system:'))"} {
				g.Expect(all).To(ContainSubstring(never))
			}
		})
	}
}

func TestCreatesAndUpdatesReachTheWebhookOnlyForRegionalObjects(t *testing.T) {
	cfg := Configuration(Options{Namespace: "wavegate-system", Path: "/gate"})
	for _, w := range cfg.Webhooks {
		if w.Rules[0].Operations[0] != admissionregistrationv1.Create {
			continue
		}
		narrowed := false
		if w.ObjectSelector != nil && w.ObjectSelector.MatchExpressions[0].Key == "wavegate.io/region" {
			narrowed = true
		}
		for _, e := range w.NamespaceSelector.MatchExpressions {
			narrowed = narrowed || e.Key == "wavegate.io/region"
		}
		for _, c := range w.MatchConditions {
			narrowed = narrowed || strings.Contains(c.Expression, "'wavegate.io/regions' in object.metadata.annotations") ||
				c.Name == "protection-unknown"
		}
		NewWithT(t).Expect(narrowed).To(BeTrue(), "webhook %s would receive creates and updates of objects that name no region (nor a mistyped protection)", w.Name)
	}
}

func TestScaleIsGatedLikeTheWorkloadAndStatusIsNot(t *testing.T) {
	cfg := Configuration(Options{Namespace: "wavegate-system", Path: "/gate"})
	scale := map[string]bool{}
	for _, w := range cfg.Webhooks {
		for _, r := range w.Rules {
			for _, res := range r.Resources {
				NewWithT(t).Expect(res).NotTo(HaveSuffix("/status"), "status is never gated")
				if strings.HasSuffix(res, "/scale") {
					scale[w.Name] = true
					NewWithT(t).Expect(r.Operations).To(Equal([]admissionregistrationv1.OperationType{admissionregistrationv1.Update}))
				}
			}
		}
	}
	NewWithT(t).Expect(scale).To(HaveLen(2), "scale in regional namespaces, and of the workloads whose region labels the gate tracks")

	opts := Options{Namespace: "wavegate-system"}
	scaling := func(group, resource, user string, regionalNS bool) Request {
		scale := object(nil, nil)
		return Request{Operation: "UPDATE", Group: group, Version: "v1", Resource: resource, SubResource: "scale", Namespace: "app", Name: "web",
			User: user, Object: scale, OldObject: scale, NamespaceLabels: regionLabels(regionalNS)}
	}
	g := NewWithT(t)
	g.Expect(Gated(opts, scaling("apps", "deployments", "alice", false))).To(BeTrue(), "the gate looks the Deployment's label up")
	g.Expect(Gated(opts, scaling("example.com", "widgets", "alice", true))).To(BeTrue(), "anything in a regional namespace")
	g.Expect(Gated(opts, scaling("example.com", "widgets", "alice", false))).To(BeFalse())
	g.Expect(Gated(opts, scaling("apps", "deployments", "system:serviceaccount:kube-system:horizontal-pod-autoscaler", true))).To(BeFalse(),
		"autoscaling by Kubernetes never waits for Wavegate")
	status := scaling("apps", "deployments", "alice", true)
	status.SubResource = "status"
	g.Expect(Gated(opts, status)).To(BeFalse())
}

func TestKubernetesOwnControllersNeverReachTheGate(t *testing.T) {
	opts := Options{Namespace: "wavegate-system"}
	regional := object(map[string]string{"wavegate.io/region": "eastus"}, nil)
	for _, user := range []string{"system:kube-controller-manager", "system:kube-scheduler", "system:serviceaccount:kube-system:root-ca-cert-publisher",
		"system:serviceaccount:kube-system:generic-garbage-collector"} {
		for _, op := range []string{"CREATE", "UPDATE", "DELETE"} {
			a := Request{Operation: op, Version: "v1", Resource: "configmaps", Namespace: "app", Name: "x", User: user, Object: regional, NamespaceLabels: regionLabels(true)}
			if op != "CREATE" {
				a.OldObject = regional
			}
			if op == "DELETE" {
				a.Object = nil
			}
			NewWithT(t).Expect(Gated(opts, a)).To(BeFalse(), "%s %s", user, op)
		}
	}
	a := Request{Operation: "CREATE", Version: "v1", Resource: "configmaps", Namespace: "app", Name: "x", User: "system:serviceaccount:kube-systemx:ctl", Object: regional}
	NewWithT(t).Expect(Gated(opts, a)).To(BeTrue(), "only kube-system's own service accounts")
}

func TestDeletesReachTheGateOnlyWhenARuleCanDenyThem(t *testing.T) {
	synced := &Automation{Users: []string{"system:serviceaccount:auto:cleaner"}, Groups: []string{"cleaners"}}
	del := func(resource string, labels, annotations map[string]string, regionalNS bool, user string, groups ...string) Request {
		return Request{Operation: "DELETE", Version: "v1", Resource: resource, Namespace: "app", Name: "x", User: user, Groups: groups,
			OldObject: object(labels, annotations), NamespaceLabels: regionLabels(regionalNS)}
	}
	cases := []struct {
		name       string
		a          Request
		automation *Automation
		want       bool
	}{
		{name: "a human deletes an untagged object in a namespace without a region", a: del("configmaps", nil, nil, false, "alice"), automation: synced, want: false},
		{name: "a human deletes a deletable object", a: del("configmaps", map[string]string{"wavegate.io/protection": "deletable"}, nil, false, "alice"), automation: synced, want: false},
		{name: "a human deletes a protected object", a: del("configmaps", map[string]string{"wavegate.io/protection": "protected"}, nil, false, "alice"), automation: synced, want: true},
		{name: "a human deletes an object with a mistyped protection", a: del("configmaps", map[string]string{"wavegate.io/protection": "Protected"}, nil, false, "alice"), automation: synced, want: true},
		{name: "a human deletes a regional object", a: del("configmaps", map[string]string{"wavegate.io/region": "eastus"}, nil, false, "alice"), automation: synced, want: true},
		{name: "a human deletes a multi-region object", a: del("configmaps", nil, map[string]string{"wavegate.io/regions": "*"}, false, "alice"), automation: synced, want: true},
		{name: "a human deletes in a regional namespace", a: del("configmaps", nil, nil, true, "alice"), automation: synced, want: true},
		{name: "a human deletes a Namespace", a: Request{Operation: "DELETE", Version: "v1", Resource: "namespaces", Name: "app", User: "alice", OldObject: object(nil, nil)}, automation: synced, want: true},
		{name: "automation deletes an untagged object", a: del("configmaps", nil, nil, false, "system:serviceaccount:auto:cleaner"), automation: synced, want: true},
		{name: "automation by group", a: del("configmaps", nil, nil, false, "bot", "cleaners"), automation: synced, want: true},
		{name: "before the identities are known every delete is sent", a: del("configmaps", nil, nil, false, "alice"), automation: nil, want: true},
		{name: "with no AutomationPolicy", a: del("configmaps", nil, nil, false, "system:serviceaccount:auto:cleaner"), automation: &Automation{}, want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(Gated(Options{Namespace: "wavegate-system", Automation: tc.automation}, tc.a)).To(Equal(tc.want))
		})
	}
}

func TestTheAutomationConditionNamesEveryIdentity(t *testing.T) {
	g := NewWithT(t)
	g.Expect((*Automation)(nil).Condition()).To(Equal("true"), "fail closed until the identities are known")
	g.Expect((&Automation{}).Condition()).To(Equal("false"))
	a := AutomationOf([]*wavegatev1alpha1.AutomationPolicy{
		{Spec: wavegatev1alpha1.AutomationPolicySpec{Identities: wavegatev1alpha1.Identities{ServiceAccounts: []string{"auto/cleaner"}, Users: []string{`o'neil "bob"`}}}},
		{Spec: wavegatev1alpha1.AutomationPolicySpec{Identities: wavegatev1alpha1.Identities{ServiceAccounts: []string{"auto/cleaner"}, Groups: []string{"cleaners"}}}},
	})
	g.Expect(a.Users).To(Equal([]string{`o'neil "bob"`, "system:serviceaccount:auto:cleaner"}))
	g.Expect(a.Condition()).To(Equal(`request.userInfo.username in ["o'neil \"bob\"", "system:serviceaccount:auto:cleaner"] || ` +
		`(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ["cleaners"]))`))

	cfg := Configuration(Options{Namespace: "wavegate-system"})
	g.Expect(SetAutomation(cfg, a)).To(BeTrue())
	g.Expect(SetAutomation(cfg, a)).To(BeFalse(), "nothing to change the second time")
	g.Expect(cfg).To(Equal(Configuration(Options{Namespace: "wavegate-system", Automation: a})))
}

func TestUpdatesThatOnlyFinalizeAreNotGated(t *testing.T) {
	cfg := Configuration(Options{Namespace: "wavegate-system"})
	for _, w := range cfg.Webhooks {
		if w.Rules[0].Operations[0] != admissionregistrationv1.Create {
			continue
		}
		NewWithT(t).Expect(w.MatchConditions).To(ContainElement(HaveField("Name", "not-finalizing")), w.Name)
	}
	old := object(map[string]string{"wavegate.io/region": "eastus"}, nil)
	meta := old["metadata"].(map[string]any)
	meta["deletionTimestamp"] = "2026-11-29T10:00:00Z"
	meta["finalizers"] = []any{"example.com/cleanup"}
	updated := object(map[string]string{"wavegate.io/region": "eastus"}, nil)
	updated["metadata"].(map[string]any)["deletionTimestamp"] = "2026-11-29T10:00:00Z"
	a := Request{Operation: "UPDATE", Version: "v1", Resource: "configmaps", Namespace: "app", Name: "x", User: "alice", Object: updated, OldObject: old}
	NewWithT(t).Expect(Gated(Options{}, a)).To(BeFalse(), "removing the last finalizer of an object being deleted")
	updated["data"] = map[string]any{"k": "changed"}
	NewWithT(t).Expect(Gated(Options{}, a)).To(BeTrue(), "a change to the payload while finalizing is gated")
}

// object is a ConfigMap as a JSON map, with the labels and annotations.
func object(labels, annotations map[string]string) map[string]any {
	meta := map[string]any{"name": "x", "namespace": "app"}
	if labels != nil {
		meta["labels"] = toAny(labels)
	}
	if annotations != nil {
		meta["annotations"] = toAny(annotations)
	}
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": map[string]any{"k": "v"}}
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func regionLabels(regional bool) map[string]string {
	if regional {
		return map[string]string{"wavegate.io/region": "eastus"}
	}
	return nil
}

// TestProtectionTyposAndAutomationLoweringProtectionReachTheGateOnce: a
// create or update of an object outside every region reaches the gate when
// its protection value is mistyped (the gate warns) or when delete
// automation lowers its protection (the gate denies); a request never
// reaches two entries, so it is never judged twice.
func TestProtectionTyposAndAutomationLoweringProtectionReachTheGateOnce(t *testing.T) {
	synced := &Automation{Users: []string{"system:serviceaccount:auto:cleaner"}}
	const bot = "system:serviceaccount:auto:cleaner"
	prot := func(v string, extra ...string) map[string]string {
		l := map[string]string{}
		if v != "-" {
			l["wavegate.io/protection"] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	update := func(user, from, to string, regionalNS bool, extra ...string) Request {
		return Request{Operation: "UPDATE", Version: "v1", Resource: "configmaps", Namespace: "app", Name: "x", User: user,
			OldObject: object(prot(from, extra...), nil), Object: object(prot(to, extra...), nil), NamespaceLabels: regionLabels(regionalNS)}
	}
	create := func(v string) Request {
		return Request{Operation: "CREATE", Version: "v1", Resource: "configmaps", Namespace: "app", Name: "x", User: "alice",
			Object: object(prot(v), nil), NamespaceLabels: regionLabels(false)}
	}
	cases := []struct {
		name string
		a    Request
		want int
	}{
		{name: "automation relabels protected deletable", a: update(bot, "protected", "deletable", false), want: 1},
		{name: "automation removes a protected label", a: update(bot, "protected", "-", false), want: 1},
		{name: "automation tags an untagged object deletable", a: update(bot, "-", "deletable", false), want: 1},
		{name: "automation relabels a typo deletable", a: update(bot, "Protected", "deletable", false), want: 1},
		{name: "automation raises protection", a: update(bot, "deletable", "protected", false), want: 0},
		{name: "automation keeps protection", a: update(bot, "protected", "protected", false), want: 0},
		{name: "a human lowers protection", a: update("alice", "protected", "deletable", false), want: 0},
		{name: "automation lowers protection of a regional object", a: update(bot, "protected", "deletable", false, "wavegate.io/region", "eastus"), want: 1},
		{name: "automation lowers protection in a regional namespace", a: update(bot, "protected", "deletable", true), want: 1},
		{name: "a create with a typo", a: create("protect"), want: 1},
		{name: "a create protected", a: create("protected"), want: 0},
		{name: "a create untagged", a: create("-"), want: 0},
		{name: "an update to a typo of a regional object", a: update("alice", "protected", "Protected", false, "wavegate.io/region", "eastus"), want: 1},
	}
	cfg := Configuration(Options{Namespace: "wavegate-system", Automation: synced})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for i := range cfg.Webhooks {
				if matchesWebhook(&cfg.Webhooks[i], tc.a) {
					n++
				}
			}
			NewWithT(t).Expect(n).To(Equal(tc.want))
		})
	}
}

// TestOnAnAgentsClusterEveryNamespacedChangeReachesTheGateOnce: on an
// agent's cluster an object that names no region is the agent's region's,
// so its creates, updates and deletes are gated, each by one entry only (a
// request judged twice would be recorded twice).
func TestOnAnAgentsClusterEveryNamespacedChangeReachesTheGateOnce(t *testing.T) {
	const bot = "system:serviceaccount:auto:cleaner"
	automation := &Automation{Users: []string{bot}}
	plain := object(nil, nil)
	typo := object(map[string]string{"wavegate.io/protection": "Protected"}, nil)
	protected := object(map[string]string{"wavegate.io/protection": "protected"}, nil)
	deletable := object(map[string]string{"wavegate.io/protection": "deletable"}, nil)
	req := func(op, user string, obj, old map[string]any) Request {
		return Request{Operation: op, Version: "v1", Resource: "configmaps", Namespace: "app", Name: "x", User: user, Object: obj, OldObject: old}
	}
	cases := []struct {
		name       string
		a          Request
		agent, hub int
	}{
		{name: "a create", a: req("CREATE", "alice", plain, nil), agent: 1, hub: 0},
		{name: "an update", a: req("UPDATE", "alice", plain, plain), agent: 1, hub: 0},
		{name: "a create with a protection typo", a: req("CREATE", "alice", typo, nil), agent: 1, hub: 1},
		{name: "automation lowering protection", a: req("UPDATE", bot, deletable, protected), agent: 1, hub: 1},
		{name: "a human's delete", a: req("DELETE", "alice", nil, plain), agent: 1, hub: 0},
		{name: "automation's delete", a: req("DELETE", bot, nil, plain), agent: 1, hub: 1},
		{name: "a delete of a protected object", a: req("DELETE", "alice", nil, protected), agent: 1, hub: 1},
		{name: "a Kubernetes controller's update", a: req("UPDATE", "system:kube-controller-manager", plain, plain), agent: 0, hub: 0},
		{name: "scaling a custom workload", a: Request{Operation: "UPDATE", Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts", SubResource: "scale",
			Namespace: "app", Name: "x", User: "alice"}, agent: 1, hub: 0},
		{name: "scaling a Deployment", a: Request{Operation: "UPDATE", Group: "apps", Version: "v1", Resource: "deployments", SubResource: "scale",
			Namespace: "app", Name: "x", User: "alice"}, agent: 1, hub: 1},
	}
	count := func(cfg *admissionregistrationv1.ValidatingWebhookConfiguration, r Request) int {
		n := 0
		for i := range cfg.Webhooks {
			if matchesWebhook(&cfg.Webhooks[i], r) {
				n++
			}
		}
		return n
	}
	agent := Configuration(Options{Namespace: "wavegate-system", Automation: automation, Agent: true})
	hub := Configuration(Options{Namespace: "wavegate-system", Automation: automation})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(count(agent, tc.a)).To(Equal(tc.agent), "on an agent's cluster")
			g.Expect(count(hub, tc.a)).To(Equal(tc.hub), "on a hub")
		})
	}
}
