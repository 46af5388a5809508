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
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/realcluster"
)

// leaseDuration and retryPeriod are the manager's leader election defaults.
// A standby takes over once the lease has gone unrenewed for leaseDuration
// since it last saw it change, and it looks every retryPeriod with up to
// 120% jitter (client-go), so the bound is the lease plus two jittered
// retries, plus a little slack for a shared CI machine that starves the
// process of CPU at that moment.
const (
	leaseDuration = 15 * time.Second
	retryPeriod   = 2 * time.Second
	takeoverBound = leaseDuration + 2*retryPeriod*22/10 + 3*time.Second
)

// TestLeaderLoss kills the leader with SIGKILL in the middle of a rollout.
// The survivor must answer every gated request while it takes over, take
// over within the lease, and carry the rollout on without repeating or
// skipping a wave step.
func TestLeaderLoss(t *testing.T) {
	ctx := context.Background()
	since := time.Now()
	ensurePlan(ctx, t)
	w := env.wavegate
	t.Cleanup(func() { restartAll(t, w) })
	for _, r := range planRegions() {
		ns := "ll-" + r
		if err := admin().Create(ctx, regionalNamespace(ns, r)); err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "feature-flags", Labels: map[string]string{"app.kubernetes.io/version": "1"}},
			Data:       map[string]string{"region": r, "newCheckout": "off"},
		}
		if err := admin().Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	applyYAML(ctx, t, `
apiVersion: wavegate.io/v1alpha1
kind: ConfigRollout
metadata: {name: new-checkout}
spec:
  planRef: e2e
  target: {apiVersion: v1, kind: ConfigMap, name: feature-flags}
  version: "2"
  patch:
    metadata: {labels: {app.kubernetes.io/version: "2"}}
    data: {newCheckout: "on"}
`)
	tracker := newWaveTracker()
	eventually(t, 2*time.Minute, "new-checkout to apply its second wave", func() (bool, error) {
		ro, err := getRollout(ctx, "new-checkout")
		if err != nil {
			return false, err
		}
		tracker.observe(ro)
		return regionState(ro, "westcentralus").AppliedAt != nil, nil
	})
	leader, err := w.Leader(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	// Gated traffic through the whole takeover.
	stop := make(chan struct{})
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		gatedTraffic(ctx, stop, "ll-eastus", &sent, &failed)
	}()

	killed := time.Now()
	leader.Kill()
	logf("SIGKILLed the leader %s during wave %s", leader.Name, "pilot")
	next, err := w.Leader(ctx, 2*takeoverBound)
	if err != nil {
		t.Fatal(err)
	}
	takeover := time.Since(killed)
	logf("leader takeover: %s became the leader %.1fs after the kill (lease duration %s, bound %s)", next.Name, takeover.Seconds(), leaseDuration, takeoverBound)
	if takeover > takeoverBound {
		t.Errorf("takeover took %s, more than the lease duration %s plus two jittered retry periods (%s)", takeover, leaseDuration, takeoverBound)
	}

	var ro *wavegatev1alpha1.ConfigRollout
	eventually(t, 2*time.Minute, "new-checkout to complete under the new leader", func() (bool, error) {
		if ro, err = getRollout(ctx, "new-checkout"); err != nil {
			return false, err
		}
		tracker.observe(ro)
		return ro.Status.Phase == wavegatev1alpha1.PhaseComplete, nil
	})
	close(stop)
	wg.Wait()
	logf("%d gated creates during the takeover, %d failed", sent.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d gated requests failed while the survivor served alone", failed.Load(), sent.Load())
	}
	tracker.check(t, len(planWaves))
	for _, r := range planRegions() {
		if _, ok := tracker.applied[r]; !ok {
			t.Errorf("region %s was never applied: a wave step was skipped", r)
		}
		var cm corev1.ConfigMap
		if err := admin().Get(ctx, client.ObjectKey{Namespace: "ll-" + r, Name: "feature-flags"}, &cm); err != nil {
			t.Fatal(err)
		}
		if cm.Data["newCheckout"] != "on" {
			t.Errorf("%s was not changed: %v", r, cm.Data)
		}
	}
	checkPatchedOnce(t, since, "ll-", "feature-flags")
	checkDenials(t, since)
}

// gatedTraffic creates distinct regional ConfigMaps until stop closes.
func gatedTraffic(ctx context.Context, stop <-chan struct{}, ns string, sent, failed *atomic.Int64) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("traffic-%d", i)},
			Data:       map[string]string{"n": fmt.Sprint(i)},
		}
		sent.Add(1)
		if err := admin().Create(ctx, cm); err != nil {
			failed.Add(1)
			logf("gated create %d failed: %v", i, err)
		}
	}
}

// checkPatchedOnce fails t unless the manager patched the target of every
// region exactly once, as the API server's audit log shows: a wave step that
// is repeated patches again; one that is skipped never patches.
func checkPatchedOnce(t *testing.T, since time.Time, nsPrefix, name string) {
	t.Helper()
	manager := "system:serviceaccount:" + realcluster.Namespace + ":" + realcluster.ServiceAccount
	writes, err := env.cluster.Writes(since, func(w realcluster.Write) bool {
		return w.User == manager && w.Verb == "patch" && w.Name == name && strings.HasPrefix(w.Namespace, nsPrefix)
	})
	if err != nil {
		t.Fatal(err)
	}
	patches := map[string]int{}
	for _, w := range writes {
		patches[strings.TrimPrefix(w.Namespace, nsPrefix)]++
	}
	for _, r := range planRegions() {
		if patches[r] != 1 {
			t.Errorf("the target in region %s was patched %d times, want exactly once", r, patches[r])
		}
	}
}

// TestAllReplicasDown stops every replica. Gated changes are denied (fail
// closed); ungated work goes on; wavegate pause still creates a Freeze; and
// everything recovers when the replicas return.
func TestAllReplicasDown(t *testing.T) { //nolint:gocyclo // a scenario, read top to bottom
	ctx := context.Background()
	since := time.Now()
	w := env.wavegate
	t.Cleanup(func() { restartAll(t, w) })
	for _, ns := range []*corev1.Namespace{regionalNamespace("down-eastus", "eastus"), {ObjectMeta: metav1.ObjectMeta{Name: "down-plain"}}} {
		if err := admin().Create(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	web := deployment("down-eastus", "web", "eastus", "1", 1)
	mustDo(t, "create a regional Deployment", admin().Create(ctx, web))
	for _, r := range w.Replicas {
		r.Kill()
	}
	eventually(t, 10*time.Second, "the Service to have no ready endpoint", func() (bool, error) {
		for _, r := range w.Replicas {
			if r.Ready() {
				return false, nil
			}
		}
		time.Sleep(500 * time.Millisecond)
		return true, nil
	})
	logf("every Wavegate replica is down")

	gated := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "down-eastus", Name: "while-down"}, Data: map[string]string{"k": "v"}}
	err := admin().Create(ctx, gated)
	if err == nil {
		t.Error("a gated change was admitted while every replica was down")
	} else {
		logf("gated change while down: %v", err)
	}

	// Ungated work: Pods, objects that name no region, kube-system, and
	// deletes by Kubernetes' controllers (the garbage collector).
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "down-eastus", Name: "debug"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "debug", Image: "registry.example.com/debug:1"}}},
	}
	mustDo(t, "create a Pod in a regional Namespace", admin().Create(ctx, pod))
	plain := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "down-plain", Name: "plain"}, Data: map[string]string{"k": "v"}}
	mustDo(t, "create a ConfigMap that names no region", admin().Create(ctx, plain))
	mustDo(t, "delete a ConfigMap that names no region", admin().Delete(ctx, plain))
	sys := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "e2e-while-down"}, Data: map[string]string{"k": "v"}}
	mustDo(t, "create a ConfigMap in kube-system", admin().Create(ctx, sys))
	mustDo(t, "delete a ConfigMap in kube-system", admin().Delete(ctx, sys))
	d := deployment("down-plain", "worker", "eastus", "1", 2)
	mustDo(t, "create a Deployment that names no region", admin().Create(ctx, d))
	eventually(t, time.Minute, "the unregional Deployment to be available", func() (bool, error) {
		err := admin().Get(ctx, client.ObjectKeyFromObject(d), d)
		return err == nil && available(d), err
	})
	mustDo(t, "delete the Deployment", admin().Delete(ctx, d, client.PropagationPolicy(metav1.DeletePropagationBackground)))
	eventually(t, time.Minute, "the garbage collector to delete its ReplicaSet and Pods", func() (bool, error) {
		var pods corev1.PodList
		err := admin().List(ctx, &pods, client.InNamespace("down-plain"))
		return err == nil && len(pods.Items) == 0, err
	})

	// The emergency switch does not need Wavegate, and says at once that
	// nothing runs to report it (exit code 3): at most when the killed
	// leader's Lease expires. The harness's manager runs on the host, so
	// the chart's Service never has a ready endpoint; the Lease is what
	// pause can tell a running replica by here.
	pauseStart := time.Now()
	out, err := wavegateCLI(ctx, "pause", "--all-regions", "--reason", "e2e: every Wavegate replica is down", "--ticket", "E2E-1")
	logf("$ wavegate pause --all-regions ... (every replica down, %.1fs)\n%s", time.Since(pauseStart).Seconds(), out)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 || !strings.Contains(out, "is created and in force at the API server, but no Wavegate replica is ready") {
		t.Errorf("wavegate pause with every replica down: want exit code 3 saying no replica is ready, got %v", err)
	}
	var freezes wavegatev1alpha1.FreezeList
	mustDo(t, "list Freezes", admin().List(ctx, &freezes))
	var name string
	for _, f := range freezes.Items {
		if f.Spec.Ticket == "E2E-1" {
			name = f.Name
		}
	}
	if name == "" {
		t.Fatalf("wavegate pause did not create a Freeze while Wavegate was down:\n%s", out)
	}

	restartAll(t, w)
	logf("replicas are back")
	eventually(t, 30*time.Second, "the Freeze to be reported active", func() (bool, error) {
		f := &wavegatev1alpha1.Freeze{}
		err := admin().Get(ctx, client.ObjectKey{Name: name}, f)
		return err == nil && f.Status.Active, err
	})
	err = admin().Create(ctx, gated.DeepCopy())
	if err == nil || !strings.Contains(err.Error(), "[wavegate:freeze]") {
		t.Errorf("a gated change during the Freeze: want a [wavegate:freeze] denial, got %v", err)
	}
	// kubectl scale goes through the scale subresource: frozen too.
	out, err = kubectl(ctx, "-n", "down-eastus", "scale", "deployment/web", "--replicas=3")
	if err == nil || !strings.Contains(out, "[wavegate:freeze]") {
		t.Errorf("kubectl scale of a regional Deployment during the Freeze: want a [wavegate:freeze] denial, got %v: %s", err, out)
	}
	if out, err := wavegateCLI(ctx, "resume", name); err != nil {
		t.Fatalf("wavegate resume: %v: %s", err, out)
	}
	eventually(t, 10*time.Second, "gated changes to be admitted again", func() (bool, error) {
		err := admin().Create(ctx, gated.DeepCopy())
		return err == nil, err
	})
	denials := checkDenials(t, since, "unreachable", "freeze")
	if len(denials) == 0 {
		t.Error("the audit log shows no denial while every replica was down")
	}
}

func mustDo(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// restartAll starts every stopped replica and waits until all are ready.
func restartAll(t *testing.T, w *realcluster.Wavegate) {
	t.Helper()
	for _, r := range w.Replicas {
		if !r.Running() {
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.WaitReady(context.Background(), 2*time.Minute); err != nil {
		t.Fatalf("the replicas did not become ready again: %v", err)
	}
}
