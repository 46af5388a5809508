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
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// TestKubectlWait waits on Wavegate's kinds the way scripts and GitOps tools
// do, with kubectl wait --for=condition=Ready: it returns for a ConfigRollout
// once it is Complete, for a Freeze while it is in force and for an
// AutomationPolicy whose scope is fully tagged. Before that it does not
// return, and an expired Freeze is not Ready.
func TestKubectlWait(t *testing.T) {
	ctx := context.Background()
	ensurePlan(ctx, t)

	// A ConfigRollout of ConfigMaps through the four waves of the e2e plan.
	for _, r := range planRegions() {
		ns := "wait-" + r
		mustDo(t, "create Namespace "+ns, admin().Create(ctx, regionalNamespace(ns, r)))
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wait-settings", Labels: map[string]string{wavegatev1alpha1.LabelVersion: "1.0.0"}},
			Data:       map[string]string{"region": r, "mode": "old"},
		}
		mustDo(t, "create the ConfigMap in "+ns, admin().Create(ctx, cm))
	}
	applyYAML(ctx, t, `
apiVersion: wavegate.io/v1alpha1
kind: ConfigRollout
metadata: {name: wait-settings}
spec:
  planRef: e2e
  target: {apiVersion: v1, kind: ConfigMap, name: wait-settings}
  patch:
    metadata: {labels: {app.kubernetes.io/version: "2.0.0"}}
    data: {mode: new}
  version: "2.0.0"
`)
	// Four waves with a bake of 3s each: not Complete within 2s.
	expectWaitTimesOut(ctx, t, "configrollout/wait-settings", "a ConfigRollout that has just started")
	start := time.Now()
	expectWait(ctx, t, "configrollout/wait-settings", 3*time.Minute)
	ro, err := getRollout(ctx, "wait-settings")
	mustDo(t, "get the rollout", err)
	logf("kubectl wait returned for configrollout/wait-settings after %.1fs: %s, %s regions converged",
		time.Since(start).Seconds(), ro.Status.Phase, ro.Status.Convergence)
	if ro.Status.Phase != wavegatev1alpha1.PhaseComplete || ro.Status.Convergence != fmt.Sprintf("%d/%d", len(planRegions()), len(planRegions())) {
		t.Errorf("Ready returned for a rollout in phase %s, %s converged; want Complete, every region", ro.Status.Phase, ro.Status.Convergence)
	}
	if got := conditionsOf(ro.Status.Conditions); got != "Converged=True Ready=True" {
		t.Errorf("a Complete rollout carries %s; want only Converged=True Ready=True", got)
	}

	// A Freeze is Ready while it is in force, and not once it has expired.
	// It covers a region no other suite uses, and is deleted at the end.
	expires := time.Now().Add(20 * time.Second).UTC().Truncate(time.Second)
	t.Cleanup(func() {
		_ = admin().Delete(context.Background(), &wavegatev1alpha1.Freeze{ObjectMeta: metav1.ObjectMeta{Name: "wait-freeze"}})
	})
	applyYAML(ctx, t, fmt.Sprintf(`
apiVersion: wavegate.io/v1alpha1
kind: Freeze
metadata: {name: wait-freeze}
spec:
  regions: [westcentralus]
  reason: "kubectl wait on a Freeze that expires by itself"
  expiresAt: %q
`, expires.Format(time.RFC3339)))
	expectWait(ctx, t, "freeze/wait-freeze", 15*time.Second)
	frz := &wavegatev1alpha1.Freeze{}
	mustDo(t, "get the Freeze", admin().Get(ctx, client.ObjectKey{Name: "wait-freeze"}, frz))
	if !frz.Status.Active || !time.Now().Before(expires) {
		t.Errorf("Ready returned for a Freeze with active %v at %s, expiring at %s", frz.Status.Active, time.Now().UTC().Format(time.RFC3339), expires.Format(time.RFC3339))
	}
	out, err := kubectl(ctx, "wait", "--for=condition=Ready=false", "--timeout=60s", "freeze/wait-freeze")
	if err != nil {
		t.Fatalf("kubectl wait --for=condition=Ready=false freeze/wait-freeze: %v: %s", err, out)
	}
	logf("the Freeze turned not Ready %.1fs after its expiresAt", time.Since(expires).Seconds())
	if time.Now().Before(expires) {
		t.Errorf("the Freeze turned not Ready before its expiresAt %s", expires.Format(time.RFC3339))
	}
	mustDo(t, "get the Freeze", admin().Get(ctx, client.ObjectKey{Name: "wait-freeze"}, frz))
	if ready := meta.FindStatusCondition(frz.Status.Conditions, wavegatev1alpha1.ConditionReady); frz.Status.Active ||
		ready == nil || ready.Reason != wavegatev1alpha1.ReasonExpired {
		t.Errorf("an expired Freeze: active %v, conditions %s; want inactive, Ready False with reason %s",
			frz.Status.Active, conditionsOf(frz.Status.Conditions), wavegatev1alpha1.ReasonExpired)
	}
	expectWaitTimesOut(ctx, t, "freeze/wait-freeze", "an expired Freeze")

	// An AutomationPolicy is Ready once nothing in its scope is untagged.
	ns := regionalNamespace("wait-ap", "northeurope")
	mustDo(t, "create Namespace wait-ap", admin().Create(ctx, ns))
	// Its own payload: the suites share a cluster, and the same payload in
	// another region would be the same change (change-velocity).
	notes := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "wait-ap", Name: "notes"}, Data: map[string]string{"owner": "TestKubectlWait"}}
	mustDo(t, "create an untagged ConfigMap", admin().Create(ctx, notes))
	// Kubernetes puts kube-root-ca.crt, untagged, into every Namespace.
	eventually(t, time.Minute, "kube-root-ca.crt in wait-ap", func() (bool, error) {
		err := admin().Get(ctx, client.ObjectKey{Namespace: "wait-ap", Name: "kube-root-ca.crt"}, &corev1.ConfigMap{})
		return err == nil, err
	})
	t.Cleanup(func() {
		_ = admin().Delete(context.Background(), &wavegatev1alpha1.AutomationPolicy{ObjectMeta: metav1.ObjectMeta{Name: "wait-cleanup"}})
	})
	applyYAML(ctx, t, `
apiVersion: wavegate.io/v1alpha1
kind: AutomationPolicy
metadata: {name: wait-cleanup}
spec:
  identities: {serviceAccounts: [wait-ap/cleanup]}
  scope:
    regions: [northeurope]
    namespaces: [wait-ap]
    resources: [{group: "", resource: configmaps}]
  maxDeletionsPerHour: 10
`)
	expectWaitTimesOut(ctx, t, "automationpolicy/wait-cleanup", "an AutomationPolicy with untagged resources in scope")
	for _, cm := range []string{"notes", "kube-root-ca.crt"} {
		if out, err := kubectl(ctx, "-n", "wait-ap", "label", "configmap", cm, "wavegate.io/protection=protected"); err != nil {
			t.Fatalf("tagging %s: %v: %s", cm, err, out)
		}
	}
	expectWait(ctx, t, "automationpolicy/wait-cleanup", 30*time.Second)
}

// expectWait runs kubectl wait --for=condition=Ready on obj and fails t
// unless it returns within timeout.
func expectWait(ctx context.Context, t *testing.T, obj string, timeout time.Duration) {
	t.Helper()
	out, err := kubectl(ctx, "wait", "--for=condition=Ready", "--timeout="+timeout.String(), obj)
	logf("$ kubectl wait --for=condition=Ready --timeout=%s %s\n%s", timeout, obj, out)
	if err != nil || !strings.Contains(out, "condition met") {
		t.Fatalf("kubectl wait --for=condition=Ready %s: %v: %s", obj, err, out)
	}
}

// expectWaitTimesOut fails t when kubectl wait --for=condition=Ready returns
// for obj within 2s: what is not Ready must not satisfy it.
func expectWaitTimesOut(ctx context.Context, t *testing.T, obj, what string) {
	t.Helper()
	out, err := kubectl(ctx, "wait", "--for=condition=Ready", "--timeout=2s", obj)
	if err == nil || !strings.Contains(out, "timed out") {
		t.Errorf("kubectl wait --for=condition=Ready returned for %s (%s): %v: %s", obj, what, err, out)
	}
}

// conditionsOf words conditions as "Type=Status", sorted.
func conditionsOf(conds []metav1.Condition) string {
	out := make([]string, len(conds))
	for i, c := range conds {
		out[i] = c.Type + "=" + string(c.Status)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
