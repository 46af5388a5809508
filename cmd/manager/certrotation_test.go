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

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wavegate/wavegate/internal/test/testenv"
)

// TestCertRotationCreatesTheCertificateAndInjectsItsCA runs the rotator
// against a real API server: it creates the Secret, writes the files the
// webhook server loads, injects the CA into the gate's webhook configuration,
// and only then reports the webhook ready.
func TestCertRotationCreatesTheCertificateAndInjectsItsCA(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run with make test")
	}
	g := NewWithT(t)
	env, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(env.Stop()).To(Succeed()) }()
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "wavegate-system"}})).To(Succeed())
	// The install creates the Secret empty; the rotator fills and renews it.
	g.Expect(env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "wavegate-system", Name: "wavegate-webhook-cert"}})).To(Succeed())

	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	certs := certOptions{rotate: true, namespace: "wavegate-system", secret: "wavegate-webhook-cert", service: "wavegate-webhook-service", configurations: "gate"} //nolint:gosec // a Secret name, not a credential
	ready, err := certs.setup(mgr, dir)
	g.Expect(err).NotTo(HaveOccurred())
	check := webhookReady(9443, &tls.Config{InsecureSkipVerify: true}, ready) //nolint:gosec // dials itself
	g.Expect(check(httptest.NewRequest("GET", "/readyz", nil))).To(MatchError("the webhook certificate is not loaded yet"))

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	defer func() {
		cancel()
		g.Expect(<-done).To(Succeed())
	}()
	secret := &corev1.Secret{}
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "wavegate-system", Name: "wavegate-webhook-cert"}, secret)).To(Succeed())
		g.Expect(secret.Data).To(HaveKey("ca.crt"))
		g.Expect(secret.Data).To(HaveKey("tls.crt"))
	}).WithTimeout(30*time.Second).Should(Succeed(), "the rotator fills the Secret")
	g.Expect(check(httptest.NewRequest("GET", "/readyz", nil))).To(HaveOccurred(), "not ready before the certificate is mounted")

	// In a pod the kubelet mounts the Secret into the cert directory; envtest
	// has no kubelet, so the test does what it would.
	for _, f := range []string{"tls.crt", "tls.key"} {
		g.Expect(os.WriteFile(filepath.Join(dir, f), secret.Data[f], 0o600)).To(Succeed())
	}
	g.Eventually(ready).WithTimeout(60 * time.Second).Should(BeClosed())
	g.Eventually(func(g Gomega) {
		vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: "gate"}, vwc)).To(Succeed())
		for _, w := range vwc.Webhooks {
			g.Expect(bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"])).To(BeTrue(), "webhook %s carries the rotator's CA", w.Name)
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())
}
