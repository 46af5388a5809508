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

package failclosed

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	e, err := testenv.StartWithoutWebhookServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	if err := env.Stop(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

func TestWithNoReplicaServingOnlyGatedRequestsAreRejected(t *testing.T) {
	ctx := context.Background()
	g := NewWithT(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}
	g.Expect(env.Client.Create(ctx, ns)).To(Succeed(), "an unlabelled namespace is never gated")

	plain := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "plain"}, Data: map[string]string{"k": "v"}}
	g.Expect(env.Client.Create(ctx, plain)).To(Succeed(), "an unlabelled ConfigMap in a normal namespace is still accepted")
	plain.Data["k"] = "v2"
	g.Expect(env.Client.Update(ctx, plain)).To(Succeed())

	regional := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: "apps", Name: "regional", Labels: map[string]string{wavegatev1alpha1.LabelRegion: "eastus"},
	}}
	err := env.Client.Create(ctx, regional)
	g.Expect(err).To(MatchError(ContainSubstring(`failed calling webhook "region-label.gate.wavegate.io"`)), "a regional change fails closed")

	global := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: "apps", Name: "global", Annotations: map[string]string{wavegatev1alpha1.AnnotationRegions: "*"},
	}}
	g.Expect(env.Client.Create(ctx, global)).To(MatchError(ContainSubstring(`failed calling webhook "region-annotation.gate.wavegate.io"`)))

	g.Expect(env.Client.Delete(ctx, plain)).To(MatchError(ContainSubstring(`failed calling webhook "delete-automation.gate.wavegate.io"`)),
		"until Wavegate has read the AutomationPolicies, any delete may come from delete automation, so it fails closed too")

	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "leader"}}
	g.Expect(env.Client.Create(ctx, lease)).To(Succeed())
	g.Expect(env.Client.Delete(ctx, lease)).To(Succeed(), "Leases are never gated, not even their deletes")

	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "apps", Name: "ev"},
		InvolvedObject: corev1.ObjectReference{Namespace: "apps", Name: "plain", Kind: "ConfigMap"},
		FirstTimestamp: metav1.NewTime(time.Now()),
	}
	g.Expect(env.Client.Create(ctx, ev)).To(Succeed())
	g.Expect(env.Client.Delete(ctx, ev)).To(Succeed(), "Events are never gated")

	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "plain-cluster-scoped"}}
	g.Expect(env.Client.Create(ctx, role)).To(Succeed(), "a cluster-scoped object that names no region is never gated")

	sys := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: "kube-system", Name: "regional", Labels: map[string]string{wavegatev1alpha1.LabelRegion: "eastus"},
	}}
	g.Expect(env.Client.Create(ctx, sys)).To(Succeed(), "kube-system is never gated")
	g.Expect(env.Client.Delete(ctx, sys)).To(Succeed())
}
