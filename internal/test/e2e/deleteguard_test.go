//go:build e2e

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

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDeleteGuard replays the delete side of the first outage: automation
// named by an AutomationPolicy may delete only what is tagged deletable,
// only while its scope is fully tagged, and the gate knows it is automation
// everywhere, also outside regional Namespaces (the leader keeps its
// identity in the gate's webhook configuration).
func TestDeleteGuard(t *testing.T) {
	ctx := context.Background()
	since := time.Now()
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "aoai-system"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "scratch"}},
		regionalNamespace("aoai-internal", "eastus"),
	} {
		mustDo(t, "create Namespace "+ns.Name, admin().Create(ctx, ns))
	}
	applyYAML(ctx, t, `
apiVersion: v1
kind: ServiceAccount
metadata: {name: cleanup, namespace: aoai-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-cleanup}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list, delete]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-cleanup}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-cleanup}
subjects: [{kind: ServiceAccount, name: cleanup, namespace: aoai-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: endpoint-eus, namespace: aoai-internal}
data: {endpoint: "https://eus.example.net"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: stale-cache, namespace: aoai-internal, labels: {wavegate.io/protection: deletable}}
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: notes, namespace: scratch}
data: {k: v}
`)
	if err := applySamples(ctx, "60-automationpolicy.yaml"); err != nil {
		t.Fatal(err)
	}
	cfg, err := env.cluster.ServiceAccountConfig(ctx, "aoai-system", "cleanup")
	if err != nil {
		t.Fatal(err)
	}
	automation, err := client.New(cfg, client.Options{Scheme: admin().Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	deleteAs := func(ns, name string) error {
		return automation.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	}

	// The leader names the policy's identities in the gate's configuration
	// (decision 19); until then that identity's deletes outside regional
	// Namespaces are not judged, as before the policy existed.
	waitForAutomationIdentity(ctx, t, "system:serviceaccount:aoai-system:cleanup")
	// Untagged means protected, in a regional Namespace and outside one.
	err = deleteAs("scratch", "notes")
	if err == nil || !strings.Contains(err.Error(), "[wavegate:protected-delete] ConfigMap scratch/notes") {
		t.Errorf("automation deleting an untagged ConfigMap outside regional Namespaces: want protected-delete, got %v", err)
	}
	err = deleteAs("aoai-internal", "endpoint-eus")
	if err == nil || !strings.Contains(err.Error(), "[wavegate:protected-delete] ConfigMap aoai-internal/endpoint-eus is not tagged wavegate.io/protection=deletable") {
		t.Errorf("automation deleting an untagged ConfigMap: want protected-delete, got %v", err)
	}
	// Even a deletable object waits while the scope holds untagged ones.
	err = deleteAs("aoai-internal", "stale-cache")
	if err == nil || !strings.Contains(err.Error(), "[wavegate:automation-scope] AutomationPolicy aoai-storage-cleanup is not Ready") {
		t.Errorf("automation deleting while its scope has untagged objects: want automation-scope, got %v", err)
	}
	// Tag the scope, including the kube-root-ca.crt that Kubernetes puts in
	// every Namespace; the policy turns Ready and the deletable object may go.
	for _, cm := range []string{"endpoint-eus", "kube-root-ca.crt"} {
		if out, err := kubectl(ctx, "-n", "aoai-internal", "label", "configmap", cm, "wavegate.io/protection=protected"); err != nil {
			t.Fatalf("tagging %s: %v: %s", cm, err, out)
		}
	}
	eventually(t, 30*time.Second, "automation to delete a deletable ConfigMap once its scope is tagged", func() (bool, error) {
		err := deleteAs("aoai-internal", "stale-cache")
		return err == nil, err
	})
	// People are not automation: they delete an unlabelled object at will.
	if out, err := kubectl(ctx, "-n", "scratch", "delete", "configmap", "notes"); err != nil {
		t.Errorf("a person deleting an unlabelled ConfigMap: %v: %s", err, out)
	}
	checkDenials(t, since, "protected-delete", "automation-scope")
}

// waitForAutomationIdentity waits until the gate's webhook configuration
// sends the user's deletes to the gate.
func waitForAutomationIdentity(ctx context.Context, t *testing.T, user string) {
	t.Helper()
	eventually(t, 30*time.Second, "the gate's configuration to name the automation identity "+user, func() (bool, error) {
		var vwc admissionregistrationv1.ValidatingWebhookConfiguration
		if err := admin().Get(ctx, client.ObjectKey{Name: "wavegate-gate"}, &vwc); err != nil {
			return false, err
		}
		for _, w := range vwc.Webhooks {
			for _, c := range w.MatchConditions {
				if strings.Contains(c.Expression, user) {
					return true, nil
				}
			}
		}
		return false, nil
	})
}
