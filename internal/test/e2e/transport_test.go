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
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wavegate/wavegate/internal/test/pki"
)

// TestTheWebhookAuthenticatesTheAPIServer checks the transport as the API
// server meets it (SPEC §8): the manager runs with --client-ca-file and the
// API server presents its client certificate to webhooks, so gated traffic
// is judged as usual, while a forged AdmissionReview posted straight to the
// webhook port without that certificate is refused in the TLS handshake.
// HTTP/2 and TLS 1.1 are refused too.
func TestTheWebhookAuthenticatesTheAPIServer(t *testing.T) { //nolint:gocyclo // a scenario, read top to bottom
	ctx := context.Background()
	addr := env.wavegate.Service.Addr
	url := "https://" + addr + "/gate"
	ca, err := os.ReadFile(filepath.Join(env.wavegate.Replicas[0].CertDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	clientTLS := func(certs ...tls.Certificate) *tls.Config {
		cfg := &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}}
		if len(certs) > 0 {
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		return cfg
	}
	apiserverCert, err := env.cluster.WebhookClient.TLS()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a forged AdmissionReview without a client certificate is refused", func(t *testing.T) {
		_, err := postReview(url, clientTLS())
		if err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("posting without a client certificate: got %v, want the TLS handshake refused (certificate required)", err)
		}
	})
	t.Run("a client certificate from another CA is refused", func(t *testing.T) {
		other, err := pki.NewCA("forger")
		if err != nil {
			t.Fatal(err)
		}
		kp, err := other.Client("kube-apiserver")
		if err != nil {
			t.Fatal(err)
		}
		forged, err := kp.TLS()
		if err != nil {
			t.Fatal(err)
		}
		_, err = postReview(url, clientTLS(forged))
		if err == nil || !strings.Contains(err.Error(), "unknown certificate authority") {
			t.Errorf("posting with a certificate of another CA: got %v, want the TLS handshake refused (unknown certificate authority)", err)
		}
	})
	t.Run("the API server's certificate is served, over HTTP/1.1 only", func(t *testing.T) {
		resp, err := postReview(url, clientTLS(apiserverCert))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Response == nil || resp.Response.UID != "forged-uid" {
			t.Errorf("want an AdmissionReview answer for uid forged-uid, got %+v", resp.Response)
		}
		conn, err := tls.Dial("tcp", addr, clientTLS(apiserverCert))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
			t.Errorf("negotiated %q with a client that offers h2 first, want http/1.1", p)
		}
	})
	t.Run("TLS 1.1 is refused", func(t *testing.T) {
		old := clientTLS(apiserverCert)
		old.MinVersion, old.MaxVersion = tls.VersionTLS11, tls.VersionTLS11 //nolint:gosec // the point of the test
		if _, err := tls.Dial("tcp", addr, old); err == nil {
			t.Error("a TLS 1.1 handshake succeeded")
		}
	})
	t.Run("gated traffic through the API server is judged as before", func(t *testing.T) {
		out, err := kubectl(ctx, "apply", "-f", filepath.Join(samplesDir(), "invalid", "waveplan-unknown-region.yaml"))
		if err == nil || !strings.Contains(out, "region chinaeast9 is not in the region inventory") {
			t.Errorf("kubectl apply of an invalid WavePlan: want the webhook's denial, got err=%v:\n%s", err, out)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "transport-mtls"}}
		if err := admin().Create(ctx, ns); err != nil {
			t.Fatalf("an ordinary create through the gate failed: %v", err)
		}
		t.Cleanup(func() { _ = admin().Delete(context.Background(), ns) })
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "plain"}, Data: map[string]string{"k": "v"}}
		if err := admin().Create(ctx, cm); err != nil {
			t.Errorf("an ordinary create through the gate failed: %v", err)
		}
	})
}

// postReview posts a ConfigMap create, as the API server would, on a fresh
// connection.
func postReview(url string, cfg *tls.Config) (*admissionv1.AdmissionReview, error) {
	cm, _ := json.Marshal(&corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "forged"},
	})
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("forged-uid"),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
			Namespace: "default", Name: "forged", Operation: admissionv1.Create,
			Object: runtime.RawExtension{Raw: cm},
		},
	}
	body, _ := json.Marshal(review)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out admissionv1.AdmissionReview
	return &out, json.Unmarshal(b, &out)
}
