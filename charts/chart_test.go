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
	args := []string{"template", "wavegate", "wavegate", "--namespace", "wavegate-system", "--include-crds"}
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
