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

// Package charts holds the Helm chart; its test lints and renders the chart
// with the pinned helm, and has a real API server accept what it renders.
package charts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

func helm(t *testing.T, args ...string) string {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		t.Fatal("HELM is not set: run with make test, which builds the pinned helm into bin/")
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...) //nolint:gosec // the pinned helm the Makefile built
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s failed: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

func render(t *testing.T, sets ...string) []*unstructured.Unstructured {
	// helm template assumes Kubernetes 1.20 unless told; the chart needs 1.30.
	args := []string{"template", "wavegate", "wavegate", "--namespace", "wavegate-system", "--include-crds", "--kube-version", "1.37.2"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	objs, err := manifest.Read(strings.NewReader(helm(t, args...)))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return objs
}

func kinds(objs []*unstructured.Unstructured) map[string]int {
	k := map[string]int{}
	for _, o := range objs {
		k[o.GetKind()]++
	}
	return k
}

func TestTheChartIsLintClean(t *testing.T) {
	out := helm(t, "lint", "wavegate")
	g := NewWithT(t)
	g.Expect(out).To(ContainSubstring("1 chart(s) linted, 0 chart(s) failed"))
	g.Expect(out).NotTo(ContainSubstring("[WARNING]"))
	g.Expect(out).NotTo(ContainSubstring("[ERROR]"))
}

// apply has the API server accept every rendered object (server-side dry run),
// except kinds whose CRDs a bare cluster does not have.
func apply(t *testing.T, objs []*unstructured.Unstructured, skip ...string) {
	g := NewWithT(t)
	env, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(env.Stop()).To(Succeed()) }()
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "wavegate-system"},
	}})).To(Succeed())
	skipped := map[string]bool{}
	for _, k := range skip {
		skipped[k] = true
	}
	for _, o := range objs {
		if skipped[o.GetKind()] {
			continue
		}
		err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("helm-test"), client.ForceOwnership, client.DryRunAll)
		g.Expect(err).NotTo(HaveOccurred(), "%s %s was rejected", o.GetKind(), o.GetName())
	}
}

func TestTheDefaultRenderIsAcceptedByTheAPIServer(t *testing.T) {
	objs := render(t)
	g := NewWithT(t)
	k := kinds(objs)
	g.Expect(k).To(HaveKeyWithValue("CustomResourceDefinition", 6))
	g.Expect(k).To(HaveKeyWithValue("ValidatingWebhookConfiguration", 2))
	g.Expect(k).To(HaveKeyWithValue("PodDisruptionBudget", 1))
	g.Expect(k).To(HaveKeyWithValue("Secret", 1), "the Secret the manager fills with its own certificate")
	g.Expect(k).NotTo(HaveKey("Certificate"))
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			replicas, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "replicas")
			g.Expect(replicas).To(BeNumerically("==", 3))
		}
	}
	apply(t, objs)
}

func TestANonDefaultRenderIsAcceptedByTheAPIServer(t *testing.T) {
	objs := render(t, "certManager.enabled=true", "networkPolicy.enabled=true", "replicaCount=1")
	g := NewWithT(t)
	k := kinds(objs)
	g.Expect(k).To(HaveKey("Certificate"))
	g.Expect(k).To(HaveKey("Issuer"))
	g.Expect(k).To(HaveKey("NetworkPolicy"))
	g.Expect(k).NotTo(HaveKey("PodDisruptionBudget"), "one replica cannot keep one available through a drain")
	g.Expect(k).NotTo(HaveKey("Secret"), "cert-manager writes the Secret")
	for _, o := range objs {
		if o.GetKind() == "ValidatingWebhookConfiguration" {
			g.Expect(o.GetAnnotations()).To(HaveKeyWithValue("cert-manager.io/inject-ca-from", "wavegate-system/wavegate-webhook-cert"))
		}
	}
	apply(t, objs, "Certificate", "Issuer")
}

// rules returns every rule of every Role and ClusterRole, by object.
func rules(objs []*unstructured.Unstructured) map[string][]rbacv1.PolicyRule {
	out := map[string][]rbacv1.PolicyRule{}
	for _, o := range objs {
		if o.GetKind() != "Role" && o.GetKind() != "ClusterRole" {
			continue
		}
		var role rbacv1.ClusterRole
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role); err != nil {
			panic(err)
		}
		out[o.GetKind()+" "+o.GetName()] = role.Rules
	}
	return out
}

func TestTheDefaultRenderGrantsNoWildcardAndNoSecretsOutsideItsNamespace(t *testing.T) {
	g := NewWithT(t)
	all := rules(render(t))
	g.Expect(all).To(HaveKey("ClusterRole wavegate-manager"))
	for _, name := range []string{"rollout-targets", "rollout-targets-default", "protection-scan", "protection-scan-default", "viewer", "freeze-operator", "admin"} {
		g.Expect(all).To(HaveKey("ClusterRole wavegate-"+name), "SPEC §8 ships it")
	}
	for role, rs := range all {
		for _, r := range rs {
			for _, field := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs} {
				for _, v := range field {
					g.Expect(v).NotTo(ContainSubstring("*"), "%s grants %v", role, r)
				}
			}
			if strings.HasPrefix(role, "ClusterRole ") {
				g.Expect(r.Resources).NotTo(ContainElement("secrets"), "%s grants %v", role, r)
			}
		}
	}
}

func TestSecretsAreSeenOnlyWhenTheValuesSaySo(t *testing.T) {
	g := NewWithT(t)
	all := rules(render(t, "rbac.protectionScan.secrets=true", `rbac.rolloutTargets.extraRules[0].apiGroups[0]=batch`,
		`rbac.rolloutTargets.extraRules[0].resources[0]=cronjobs`, `rbac.rolloutTargets.extraRules[0].verbs={get,list,watch,patch}`))
	g.Expect(all["ClusterRole wavegate-protection-scan-secrets"]).To(ConsistOf(rbacv1.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list", "watch"},
	}))
	g.Expect(all["ClusterRole wavegate-rollout-targets-extra"]).To(ConsistOf(rbacv1.PolicyRule{
		APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}, Verbs: []string{"get", "list", "watch", "patch"},
	}))
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func managerContainer(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	d := find(objs, "Deployment", "wavegate-manager")
	if d == nil {
		t.Fatal("no Deployment wavegate-manager")
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		if m := c.(map[string]any); m["name"] == "manager" {
			return m
		}
	}
	t.Fatal("no container manager")
	return nil
}

func TestMetricsAreServedOverHTTPSOffTheWebhookService(t *testing.T) {
	g := NewWithT(t)
	objs := render(t, "serviceMonitor.enabled=true", "networkPolicy.enabled=true")
	webhookSvc := find(objs, "Service", "wavegate-webhook-service")
	g.Expect(webhookSvc).NotTo(BeNil())
	ports, _, _ := unstructured.NestedSlice(webhookSvc.Object, "spec", "ports")
	g.Expect(ports).To(HaveLen(1), "the webhook Service exposes the webhook only")
	g.Expect(ports[0]).To(HaveKeyWithValue("name", "webhook"))

	metricsSvc := find(objs, "Service", "wavegate-metrics-service")
	g.Expect(metricsSvc).NotTo(BeNil())
	ports, _, _ = unstructured.NestedSlice(metricsSvc.Object, "spec", "ports")
	g.Expect(ports).To(ConsistOf(HaveKeyWithValue("port", BeNumerically("==", 8443))))

	reader := find(objs, "ClusterRole", "wavegate-metrics-reader")
	g.Expect(reader).NotTo(BeNil())
	rules, _, _ := unstructured.NestedSlice(reader.Object, "rules")
	g.Expect(rules).To(Equal([]any{map[string]any{"nonResourceURLs": []any{"/metrics"}, "verbs": []any{"get"}}}))

	sm := find(objs, "ServiceMonitor", "wavegate-manager")
	g.Expect(sm).NotTo(BeNil())
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	g.Expect(endpoints).To(HaveLen(1))
	ep := endpoints[0].(map[string]any)
	g.Expect(ep).To(HaveKeyWithValue("scheme", "https"))
	g.Expect(ep).To(HaveKeyWithValue("port", "https-metrics"))
	g.Expect(ep).To(HaveKey("bearerTokenFile"))
	g.Expect(ep["tlsConfig"]).To(HaveKeyWithValue("serverName", "wavegate-webhook-service.wavegate-system.svc"))
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	g.Expect(metricsSvc.GetLabels()).To(Satisfy(func(l map[string]string) bool {
		for k, v := range sel {
			if l[k] != v {
				return false
			}
		}
		return true
	}), "the ServiceMonitor selects the metrics Service")
	g.Expect(webhookSvc.GetLabels()).NotTo(HaveKeyWithValue("app.kubernetes.io/component", "metrics"), "and not the webhook Service")

	np := find(objs, "NetworkPolicy", "wavegate-manager")
	npPorts, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	g.Expect(fmt.Sprint(npPorts)).To(And(ContainSubstring("port:8443"), Not(ContainSubstring("port:8080"))))

	c := managerContainer(t, objs)
	g.Expect(c["args"]).To(ContainElement("--tls-min-version=VersionTLS12"))
	g.Expect(c["args"]).NotTo(ContainElement(HavePrefix("--client-ca-file")), "client certificates are optional")
	g.Expect(c["ports"]).To(ContainElement(HaveKeyWithValue("containerPort", BeNumerically("==", 8443))))
}

func TestTheWebhookClientCAIsMountedAndPassedToTheManager(t *testing.T) {
	for _, tc := range []struct{ set, volume string }{
		{"webhook.clientCA.secretName=apiserver-client-ca", "secret"},
		{"webhook.clientCA.configMapName=apiserver-client-ca", "configMap"},
	} {
		t.Run("from a "+tc.volume, func(t *testing.T) {
			g := NewWithT(t)
			objs := render(t, tc.set, "manager.tlsMinVersion=VersionTLS13")
			c := managerContainer(t, objs)
			g.Expect(c["args"]).To(ContainElements("--client-ca-file=/etc/wavegate/client-ca/ca.crt", "--tls-min-version=VersionTLS13"))
			g.Expect(c["volumeMounts"]).To(ContainElement(HaveKeyWithValue("mountPath", "/etc/wavegate/client-ca")))
			d := find(objs, "Deployment", "wavegate-manager")
			volumes, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes")
			g.Expect(volumes).To(ContainElement(And(HaveKeyWithValue("name", "client-ca"), HaveKey(tc.volume))))
			apply(t, objs)
		})
	}
}

func TestCertManagerIssuesTheServingCertificateFromALongLivedCA(t *testing.T) {
	g := NewWithT(t)
	objs := render(t, "certManager.enabled=true")
	selfSigned := find(objs, "Issuer", "wavegate-selfsigned")
	g.Expect(selfSigned).NotTo(BeNil())
	g.Expect(selfSigned.Object["spec"]).To(HaveKey("selfSigned"))

	ca := find(objs, "Certificate", "wavegate-ca")
	g.Expect(ca).NotTo(BeNil())
	g.Expect(ca.Object["spec"]).To(And(HaveKeyWithValue("isCA", true), HaveKeyWithValue("secretName", "wavegate-ca"), HaveKeyWithValue("duration", "87600h")))
	g.Expect(ca.Object["spec"]).To(HaveKeyWithValue("issuerRef", HaveKeyWithValue("name", "wavegate-selfsigned")), "the CA is bootstrapped by the self-signed Issuer")

	caIssuer := find(objs, "Issuer", "wavegate-ca")
	g.Expect(caIssuer).NotTo(BeNil())
	g.Expect(caIssuer.Object["spec"]).To(HaveKeyWithValue("ca", HaveKeyWithValue("secretName", "wavegate-ca")))

	serving := find(objs, "Certificate", "wavegate-webhook-cert")
	g.Expect(serving).NotTo(BeNil())
	g.Expect(serving.Object["spec"]).To(HaveKeyWithValue("issuerRef", And(HaveKeyWithValue("kind", "Issuer"), HaveKeyWithValue("name", "wavegate-ca"))),
		"the serving certificate comes from the CA Issuer, not straight from the self-signed one")
	g.Expect(serving.Object["spec"]).NotTo(HaveKey("isCA"))
	g.Expect(serving.Object["spec"]).To(HaveKeyWithValue("secretName", "wavegate-webhook-cert"))
	for _, o := range objs {
		if o.GetKind() == "ValidatingWebhookConfiguration" {
			g.Expect(o.GetAnnotations()).To(HaveKeyWithValue("cert-manager.io/inject-ca-from", "wavegate-system/wavegate-webhook-cert"),
				"the cainjector injects the serving certificate's CA, which is the long-lived one")
		}
	}

	t.Run("an issuerRef of the operator's replaces the whole chain", func(t *testing.T) {
		g := NewWithT(t)
		objs := render(t, "certManager.enabled=true", "certManager.issuerRef.kind=ClusterIssuer", "certManager.issuerRef.name=corp-ca")
		g.Expect(kinds(objs)).NotTo(HaveKey("Issuer"))
		g.Expect(find(objs, "Certificate", "wavegate-ca")).To(BeNil())
		serving := find(objs, "Certificate", "wavegate-webhook-cert")
		g.Expect(serving.Object["spec"]).To(HaveKeyWithValue("issuerRef", And(HaveKeyWithValue("kind", "ClusterIssuer"), HaveKeyWithValue("name", "corp-ca"))))
	})
}

func TestTheManagerPodIsHardened(t *testing.T) {
	g := NewWithT(t)
	objs := render(t)
	d := find(objs, "Deployment", "wavegate-manager")
	g.Expect(d).NotTo(BeNil())
	pod, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
	c := managerContainer(t, objs)

	t.Run("non-root, read-only, no capabilities, RuntimeDefault seccomp", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(pod["securityContext"]).To(And(
			HaveKeyWithValue("runAsNonRoot", true),
			HaveKeyWithValue("runAsUser", BeNumerically("==", 65532)),
			HaveKeyWithValue("seccompProfile", HaveKeyWithValue("type", "RuntimeDefault"))))
		g.Expect(c["securityContext"]).To(And(
			HaveKeyWithValue("allowPrivilegeEscalation", false),
			HaveKeyWithValue("readOnlyRootFilesystem", true),
			HaveKeyWithValue("capabilities", HaveKeyWithValue("drop", ConsistOf("ALL")))))
	})
	t.Run("the image tag is the chart's appVersion", func(t *testing.T) {
		NewWithT(t).Expect(c["image"]).To(Equal("ghcr.io/wavegate/wavegate:0.1.0"))
	})
	t.Run("scheduled as cluster-critical, with a quota that admits it outside kube-system", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(pod).To(HaveKeyWithValue("priorityClassName", "system-cluster-critical"))
		q := find(objs, "ResourceQuota", "wavegate-critical-pods")
		g.Expect(q).NotTo(BeNil())
		g.Expect(fmt.Sprint(q.Object["spec"])).To(ContainSubstring("values:[system-cluster-critical]"))
		g.Expect(find(render(t, "priorityClassName=wavegate-high"), "ResourceQuota", "wavegate-critical-pods")).To(BeNil(),
			"an operator's own class needs no quota")
	})
	t.Run("spread over zones and nodes", func(t *testing.T) {
		g := NewWithT(t)
		keys := map[string]string{}
		for _, tsc := range pod["topologySpreadConstraints"].([]any) {
			m := tsc.(map[string]any)
			keys[m["topologyKey"].(string)] = m["whenUnsatisfiable"].(string)
		}
		g.Expect(keys).To(Equal(map[string]string{"topology.kubernetes.io/zone": "ScheduleAnyway", "kubernetes.io/hostname": "ScheduleAnyway"}))
		strict := find(render(t, "topologySpread.zone=DoNotSchedule"), "Deployment", "wavegate-manager")
		g.Expect(fmt.Sprint(strict.Object)).To(ContainSubstring("topologyKey:topology.kubernetes.io/zone whenUnsatisfiable:DoNotSchedule"))
	})
	t.Run("leaves the endpoints before the servers stop", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(c["lifecycle"]).To(HaveKeyWithValue("preStop", HaveKeyWithValue("sleep", HaveKeyWithValue("seconds", BeNumerically("==", 10)))))
		g.Expect(c["args"]).To(ContainElement("--graceful-shutdown-timeout=25s"))
		g.Expect(pod["terminationGracePeriodSeconds"]).To(BeNumerically(">", 10+25+5), "room for the sleep, the graceful shutdown and the last Events")
	})
	t.Run("Kubernetes 1.30 or newer", func(t *testing.T) {
		out, err := exec.Command(os.Getenv("HELM"), "template", "wavegate", "wavegate", "--kube-version", "1.29.9").CombinedOutput() //nolint:gosec // the pinned helm
		g := NewWithT(t)
		g.Expect(err).To(HaveOccurred())
		g.Expect(string(out)).To(ContainSubstring("Wavegate needs Kubernetes 1.30 or newer; this cluster is v1.29.9"))
	})
}

func TestAnAgentRenderNamesItsHubAndRegionAndGatesEveryNamespacedChange(t *testing.T) {
	g := NewWithT(t)
	objs := render(t, "mode=agent", "agent.region=eastus", "agent.hubStaleness=2m",
		"agent.hubKubeconfigSecret.name=hub", "agent.hubKubeconfigSecret.key=config")
	c := managerContainer(t, objs)
	g.Expect(c["args"]).To(ContainElements("--hub-kubeconfig=/etc/wavegate/hub/config", "--region=eastus", "--hub-staleness=2m"))
	g.Expect(c["volumeMounts"]).To(ContainElement(HaveKeyWithValue("mountPath", "/etc/wavegate/hub")))
	d := find(objs, "Deployment", "wavegate-manager")
	volumes, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes")
	g.Expect(volumes).To(ContainElement(And(HaveKeyWithValue("name", "hub-kubeconfig"), HaveKeyWithValue("secret", HaveKeyWithValue("secretName", "hub")))))
	gate := find(objs, "ValidatingWebhookConfiguration", "wavegate-gate")
	webhooks, _, _ := unstructured.NestedSlice(gate.Object, "webhooks")
	g.Expect(webhooks).To(ContainElement(HaveKeyWithValue("name", "agent-region.gate.wavegate.io")))
	g.Expect(rules(objs)).NotTo(HaveKey("ClusterRole wavegate-agent"), "the agents' role is the hub's")
	g.Expect(c["args"]).To(ContainElement("--controller-user=system:serviceaccount:wavegate-system:wavegate-hub"),
		"the hub patches this cluster's targets as wavegate-hub, the sanctioned path")
	binding := find(objs, "ClusterRoleBinding", "wavegate-hub")
	g.Expect(binding).NotTo(BeNil())
	g.Expect(binding.Object["roleRef"]).To(HaveKeyWithValue("name", "wavegate-rollout-targets"), "rollout-target rights only")
	apply(t, objs)

	hub := render(t, "hub.kubeconfigNamespace=region-kubeconfigs")
	all := rules(hub)
	g.Expect(all).To(HaveKey("ClusterRole wavegate-agent"))
	g.Expect(all["Role wavegate-region-kubeconfigs"]).To(ConsistOf(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}),
		"the hub reads kubeconfig Secrets by get, in that namespace only")
	gate = find(hub, "ValidatingWebhookConfiguration", "wavegate-gate")
	webhooks, _, _ = unstructured.NestedSlice(gate.Object, "webhooks")
	g.Expect(webhooks).NotTo(ContainElement(HaveKeyWithValue("name", "agent-region.gate.wavegate.io")))
}

func TestAnAgentMustNameItsRegion(t *testing.T) {
	bin := os.Getenv("HELM")
	if bin == "" {
		t.Fatal("HELM is not set: run with make test, which builds the pinned helm into bin/")
	}
	out, err := exec.Command(bin, "template", "wavegate", "wavegate", "--kube-version", "1.37.2", "--set", "mode=agent").CombinedOutput() //nolint:gosec // the pinned helm
	g := NewWithT(t)
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("mode agent needs agent.region"))
}

// The Freeze and ChangeRecord policies take the release's break-glass group,
// in their expressions and in every message that says who may instead; the
// freeze operator's role names the Endpoints and the Lease that wavegate
// pause reads, as this chart names them (issue 24).
func TestThePoliciesAndRolesNameTheReleasesObjects(t *testing.T) {
	g := NewWithT(t)
	objs := render(t, "manager.breakGlassGroup=oncall:sre")
	policy := find(objs, "ValidatingAdmissionPolicy", "wavegate-freezes.wavegate.io")
	g.Expect(policy).NotTo(BeNil())
	text := fmt.Sprint(policy.Object)
	g.Expect(text).NotTo(ContainSubstring("wavegate:break-glass"))
	g.Expect(text).To(ContainSubstring(`"oncall:sre" in request.userInfo.groups`))
	g.Expect(strings.Count(text, "only the break-glass group (oncall:sre) may")).To(Equal(4), "exemptions, regions, expiry, allowReverts")

	g.Expect(find(objs, "Service", "wavegate-webhook-service")).NotTo(BeNil())
	g.Expect(rules(objs)["ClusterRole wavegate-freeze-operator"]).To(ContainElements(
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"endpoints"}, ResourceNames: []string{"wavegate-webhook-service"}, Verbs: []string{"get"}},
		rbacv1.PolicyRule{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{"wavegate-manager.wavegate.io"}, Verbs: []string{"get"}},
	))
}
