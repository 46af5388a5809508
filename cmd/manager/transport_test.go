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
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wavegate/wavegate/internal/test/pki"
	"github.com/wavegate/wavegate/internal/test/testenv"
	"github.com/wavegate/wavegate/internal/transport"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestTheManagersServersAreHardened builds the manager's options as the
// binary does, from its flags, starts it against a real API server and
// checks every server it runs: HTTP/1.1 only, the minimum TLS version, the
// webhook server refusing clients without a certificate from
// --client-ca-file, and metrics over HTTPS for callers whose token may get
// /metrics.
func TestTheManagersServersAreHardened(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run with make test")
	}
	g := NewWithT(t)
	env, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(env.Stop()).To(Succeed()) }()
	ctx := context.Background()

	dir := t.TempDir()
	servingCA, err := pki.NewCA("wavegate-ca")
	g.Expect(err).NotTo(HaveOccurred())
	serving, err := servingCA.Server("localhost", "127.0.0.1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(serving.Write(dir, "tls.crt", "tls.key")).To(Succeed())
	apiserverCA, err := pki.NewCA("apiserver-client-ca")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(filepath.Join(dir, "client-ca.crt"), apiserverCA.CertPEM, 0o600)).To(Succeed())

	webhookPort, metricsPort := freePort(t), freePort(t)
	opts, err := parseFlags([]string{
		"--webhook-port=" + strconv.Itoa(webhookPort), "--webhook-cert-dir=" + dir,
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(metricsPort), "--health-probe-bind-address=0",
		"--client-ca-file=" + filepath.Join(dir, "client-ca.crt"), "--tls-min-version=VersionTLS12",
	})
	g.Expect(err).NotTo(HaveOccurred())
	servers, err := transport.NewServers(opts.tls, opts.webhookCertDir)
	g.Expect(err).NotTo(HaveOccurred())
	mgr, err := ctrl.NewManager(env.Config, managerOptions(opts, servers))
	g.Expect(err).NotTo(HaveOccurred())
	mgr.GetWebhookServer().Register("/validate", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "served")
	}))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	defer func() {
		cancel()
		g.Expect(<-done).To(Succeed())
	}()
	certsReady := make(chan struct{})
	close(certsReady)
	ready := webhookReady(webhookPort, servers.ProbeClient(), certsReady)
	g.Eventually(func() error { return ready(httptest.NewRequest("GET", "/readyz", nil)) }).WithTimeout(30*time.Second).Should(Succeed(),
		"the readiness check completes a handshake with the webhook server that requires client certificates")

	webhookURL := fmt.Sprintf("https://localhost:%d/validate", webhookPort)
	metricsURL := fmt.Sprintf("https://localhost:%d/metrics", metricsPort)
	apiserverCert, err := apiserverCA.Client("kube-apiserver")
	g.Expect(err).NotTo(HaveOccurred())
	clientCert, err := apiserverCert.TLS()
	g.Expect(err).NotTo(HaveOccurred())
	tlsClient := func(certs ...tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: servingCA.Pool(), NextProtos: []string{"h2", "http/1.1"}, Certificates: certs}
	}

	t.Run("the webhook server refuses a client without a certificate from the client CA", func(t *testing.T) {
		g := NewWithT(t)
		_, _, err := request(tlsClient(), webhookURL, "")
		g.Expect(err).To(MatchError(ContainSubstring("certificate required")))
		status, proto, err := request(tlsClient(clientCert), webhookURL, "")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusOK))
		g.Expect(proto).To(Equal("HTTP/1.1"), "HTTP/2 is off although the client offers it")
	})
	t.Run("no server accepts TLS 1.1", func(t *testing.T) {
		for _, port := range []int{webhookPort, metricsPort} {
			cfg := tlsClient(clientCert)
			cfg.ServerName, cfg.MinVersion, cfg.MaxVersion = "localhost", tls.VersionTLS11, tls.VersionTLS11
			_, err := tls.Dial("tcp", net.JoinHostPort("localhost", strconv.Itoa(port)), cfg)
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring("protocol version")), "port %d", port)
		}
	})
	t.Run("metrics are served over HTTPS to a token that may get /metrics, and to no one else", func(t *testing.T) {
		g := NewWithT(t)
		cs, err := kubernetes.NewForConfig(env.Config)
		g.Expect(err).NotTo(HaveOccurred())
		_, err = cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "prometheus"}}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, "prometheus", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		token := tr.Status.Token

		status, _, err := request(tlsClient(), metricsURL, "")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusUnauthorized), "no token")
		status, _, err = request(tlsClient(), metricsURL, token)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusForbidden), "a token not bound to the metrics reader role")

		_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "wavegate-metrics-reader"},
			Rules:      []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}},
		}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "prometheus-wavegate-metrics"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wavegate-metrics-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "default", Name: "prometheus"}},
		}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		// The filter caches denials for a while; a fresh token is a fresh cache key.
		tr, err = cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, "prometheus", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Eventually(func(g Gomega) {
			status, proto, err := request(tlsClient(), metricsURL, tr.Status.Token)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(status).To(Equal(http.StatusOK))
			g.Expect(proto).To(Equal("HTTP/1.1"))
		}).WithTimeout(30 * time.Second).Should(Succeed())
		resp, err := http.Get(fmt.Sprintf("http://localhost:%d/metrics", metricsPort))
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "no plain HTTP: Go's TLS server answers 400")
	})
}

// request makes one GET on a fresh connection and returns the status and the
// protocol used.
func request(cfg *tls.Config, url, token string) (int, string, error) {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Proto, nil
}
