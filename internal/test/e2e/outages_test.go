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
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/manifest"
)

// pinned are the failover pair held on the old build, as in the outage.
var pinned = map[string]bool{"australiaeast": true, "australiasoutheast": true}

// TestFourOutages replays docs/spec.md section 1 on the real cluster: a ConfigRollout
// moves real Deployments wave by wave until the pinned failover pair blocks
// it, the key rotation that depends on it is denied, and the other three
// outages get their verdicts.
func TestFourOutages(t *testing.T) { //nolint:gocyclo // a scenario, read top to bottom
	ctx := context.Background()
	since := time.Now()
	ensurePlan(ctx, t)
	if err := applySamples(ctx, "30-waveplan.yaml", "50-freeze.yaml"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin().Delete(context.Background(), &wavegatev1alpha1.Freeze{ObjectMeta: metav1.ObjectMeta{Name: "inc-20240718-centralus"}})
	})
	for _, ns := range []string{"aoai", "dns", "storage", "storage-eastus", "storage-westus"} {
		if err := admin().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range planRegions() {
		createTokenService(ctx, t, r)
	}
	for _, r := range planRegions() {
		eventually(t, 2*time.Minute, "the token service in "+r+" to be available", func() (bool, error) {
			var d appsv1.Deployment
			err := admin().Get(ctx, client.ObjectKey{Namespace: "identity-" + r, Name: "msi-token-service"}, &d)
			return err == nil && available(&d), err
		})
	}
	logf("the token service runs 1.9.3 in %d regions", len(planRegions()))

	applyYAML(ctx, t, msiAutoKeys)
	tracker := newWaveTracker()
	var ro *wavegatev1alpha1.ConfigRollout
	lastWave := ""
	eventually(t, 4*time.Minute, "msi-auto-keys to stop Blocked: PinnedBuild", func() (bool, error) {
		var err error
		if ro, err = getRollout(ctx, "msi-auto-keys"); err != nil {
			return false, err
		}
		tracker.observe(ro)
		if ro.Status.CurrentWave != lastWave {
			lastWave = ro.Status.CurrentWave
			logf("msi-auto-keys: wave %s, phase %s, converged %s", lastWave, ro.Status.Phase, ro.Status.Convergence)
		}
		blocked := ro.Status.Phase == wavegatev1alpha1.PhaseBlocked && strings.Contains(condMessage(ro, "Stalled", "Blocked"), "australiaeast")
		return blocked && regionState(ro, "eastus").State == wavegatev1alpha1.RegionConverged &&
			regionState(ro, "northeurope").State == wavegatev1alpha1.RegionConverged, nil
	})
	logf("msi-auto-keys: %s at wave %s: %s", ro.Status.Phase, ro.Status.CurrentWave, condMessage(ro, "Stalled", "Blocked"))
	tracker.check(t, 3)
	if reason := condReason(ro, "Stalled", "Blocked"); reason != wavegatev1alpha1.ReasonPinnedBuild {
		t.Errorf("blocked with reason %q, want %s", reason, wavegatev1alpha1.ReasonPinnedBuild)
	}
	for _, w := range planWaves[:3] {
		for _, r := range w.Regions {
			rs := regionState(ro, r)
			want := wavegatev1alpha1.RegionConverged
			if pinned[r] {
				want = wavegatev1alpha1.RegionPinned
			}
			if rs.State != want {
				t.Errorf("region %s is %s (%s), want %s", r, rs.State, rs.Message, want)
			}
			if !pinned[r] {
				checkPodsAt(ctx, t, "identity-"+r, "2.0.0")
			}
		}
	}
	for _, r := range planWaves[3].Regions {
		if rs := regionState(ro, r); rs.AppliedAt != nil {
			t.Errorf("region %s of the last wave was applied while the rollout is blocked", r)
		}
	}

	// The dependent key rotation, and the other three outages, as kubectl applies.
	expectDenied(ctx, t, "2-key-rotation.yaml", "[wavegate:requires] ConfigRollout msi-auto-keys has not converged in australiaeast")
	expectDenied(ctx, t, "1-global-cleanup-config.yaml", "[wavegate:multi-region]")
	expectDenied(ctx, t, "3-decommission.yaml", "[wavegate:unknown-region] region chinaeast9")
	out := expectDenied(ctx, t, "4-regional-change.yaml", "[wavegate:freeze] region centralus is frozen by Freeze inc-20240718-centralus")
	if strings.Count(out, "configmap/storage-settings created") != 1 || !strings.Contains(out, "[wavegate:change-velocity]") {
		t.Errorf("the regional change should enter eastus and be stopped at its pair westus, got:\n%s", out)
	}
	checkDenials(t, since, "requires", "multi-region", "unknown-region", "freeze", "change-velocity")
}

const msiAutoKeys = `
apiVersion: wavegate.io/v1alpha1
kind: ConfigRollout
metadata: {name: msi-auto-keys}
spec:
  planRef: e2e
  target: {apiVersion: apps/v1, kind: Deployment, name: msi-token-service}
  version: "2.0.0"
  regions: [eastus2euap, westcentralus, eastus, northeurope, australiaeast, westus, westeurope, australiasoutheast]
  patch:
    spec:
      template:
        metadata:
          labels: {app.kubernetes.io/version: "2.0.0"}
  progressDeadline: 5m
`

// createTokenService creates the region's Namespace and the token service
// at 1.9.3, pinned there in the failover pair.
func createTokenService(ctx context.Context, t *testing.T, region string) {
	t.Helper()
	ns := "identity-" + region
	if err := admin().Create(ctx, regionalNamespace(ns, region)); err != nil {
		t.Fatal(err)
	}
	d := deployment(ns, "msi-token-service", region, "1.9.3", 2)
	if pinned[region] {
		d.Annotations = map[string]string{
			wavegatev1alpha1.AnnotationPinnedVersion: "1.9.3", wavegatev1alpha1.AnnotationPinReason: "hotfix hold",
		}
	}
	if err := admin().Create(ctx, d); err != nil {
		t.Fatalf("creating the token service in %s: %v", region, err)
	}
}

// checkPodsAt fails t unless every pod of the token service in ns is Ready
// at version.
func checkPodsAt(ctx context.Context, t *testing.T, ns, version string) {
	t.Helper()
	var pods corev1.PodList
	if err := admin().List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app": "msi-token-service"}); err != nil {
		t.Fatal(err)
	}
	ready := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if p.Labels["app.kubernetes.io/version"] != version {
			t.Errorf("pod %s/%s runs %s, want %s", ns, p.Name, p.Labels["app.kubernetes.io/version"], version)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	if ready < 2 {
		t.Errorf("%s has %d ready pods at %s, want 2", ns, ready, version)
	}
}

func applyYAML(ctx context.Context, t *testing.T, doc string) {
	t.Helper()
	objs, err := manifest.Read(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := admin().Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("e2e"), client.ForceOwnership); err != nil {
			t.Fatalf("applying %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// expectDenied runs kubectl apply on an incident sample and checks that the
// output carries want.
func expectDenied(ctx context.Context, t *testing.T, file, want string) string {
	t.Helper()
	out, err := kubectl(ctx, "apply", "-f", filepath.Join(samplesDir(), "incidents", file))
	logf("$ kubectl apply -f config/samples/incidents/%s\n%s", file, out)
	if err == nil {
		t.Errorf("kubectl apply -f %s succeeded, want a denial with %q", file, want)
	}
	if !strings.Contains(out, want) {
		t.Errorf("kubectl apply -f %s: want %q in:\n%s", file, want, out)
	}
	return out
}

// condMessage and condReason read the first of the condition types present.
func condMessage(ro *wavegatev1alpha1.ConfigRollout, types ...string) string {
	if c := cond(ro, types...); c != nil {
		return c.Message
	}
	return ""
}

func condReason(ro *wavegatev1alpha1.ConfigRollout, types ...string) string {
	if c := cond(ro, types...); c != nil {
		return c.Reason
	}
	return ""
}

func cond(ro *wavegatev1alpha1.ConfigRollout, types ...string) *metav1.Condition {
	for _, ty := range types {
		for i := range ro.Status.Conditions {
			if c := &ro.Status.Conditions[i]; c.Type == ty && c.Status == metav1.ConditionTrue {
				return c
			}
		}
	}
	return nil
}
