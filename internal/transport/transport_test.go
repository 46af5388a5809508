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

package transport_test

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wavegate/wavegate/internal/test/pki"
	"github.com/wavegate/wavegate/internal/transport"
)

// serve runs an HTTPS server configured by opts, as controller-runtime's
// servers apply TLSOpts, and returns its address.
func serve(t *testing.T, opts []func(*tls.Config)) string {
	t.Helper()
	cfg := &tls.Config{NextProtos: []string{"h2"}} // controller-runtime's starting point
	for _, o := range opts {
		o(cfg)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto) //nolint:gosec // the protocol name, for the test to read
	}), ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

type fixture struct {
	dir      string
	serverCA *pki.CA
	clientCA *pki.CA
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	g := NewWithT(t)
	f := fixture{dir: t.TempDir()}
	var err error
	f.serverCA, err = pki.NewCA("serving-ca")
	g.Expect(err).NotTo(HaveOccurred())
	f.clientCA, err = pki.NewCA("client-ca")
	g.Expect(err).NotTo(HaveOccurred())
	serving, err := f.serverCA.Server("localhost", "127.0.0.1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(serving.Write(f.dir, "tls.crt", "tls.key")).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(f.dir, "client-ca.crt"), f.clientCA.CertPEM, 0o600)).To(Succeed())
	return f
}

func (f fixture) client(certs ...tls.Certificate) *tls.Config {
	cfg := &tls.Config{RootCAs: f.serverCA.Pool(), ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}}
	if len(certs) > 0 {
		// Present the certificate even when the server names other CAs.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
	}
	return cfg
}

// get makes one request on a fresh connection and returns the protocol the
// server saw.
func get(cfg *tls.Config, addr string) (string, error) {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestEveryServerSpeaksHTTP1AboveTheMinimumVersion(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		opts func(*transport.Servers) []func(*tls.Config)
	}{
		{"the webhook server", (*transport.Servers).Webhook},
		{"the metrics server", (*transport.Servers).Metrics},
	} {
		t.Run(tc.name+" refuses HTTP/2 even when the client asks for it", func(t *testing.T) {
			g := NewWithT(t)
			s, err := transport.NewServers(transport.Options{}, f.dir)
			g.Expect(err).NotTo(HaveOccurred())
			addr := serve(t, tc.opts(s))
			conn, err := tls.Dial("tcp", addr, f.client())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(conn.ConnectionState().NegotiatedProtocol).To(Equal("http/1.1"))
			_ = conn.Close()
			g.Expect(get(f.client(), addr)).To(Equal("HTTP/1.1"))
		})
		t.Run(tc.name+" refuses TLS 1.1, and TLS 1.2 when the minimum is 1.3", func(t *testing.T) {
			g := NewWithT(t)
			s, err := transport.NewServers(transport.Options{}, f.dir)
			g.Expect(err).NotTo(HaveOccurred())
			addr := serve(t, tc.opts(s))
			old := f.client()
			old.MinVersion, old.MaxVersion = tls.VersionTLS11, tls.VersionTLS11 //nolint:gosec // the point of the test
			_, err = tls.Dial("tcp", addr, old)
			g.Expect(err).To(MatchError(ContainSubstring("protocol version")))
			tls12 := f.client()
			tls12.MaxVersion = tls.VersionTLS12
			g.Expect(get(tls12, addr)).To(Equal("HTTP/1.1"), "TLS 1.2 is the default minimum")

			s13, err := transport.NewServers(transport.Options{MinVersion: tls.VersionTLS13}, f.dir)
			g.Expect(err).NotTo(HaveOccurred())
			addr13 := serve(t, tc.opts(s13))
			_, err = tls.Dial("tcp", addr13, tls12)
			g.Expect(err).To(MatchError(ContainSubstring("protocol version")))
			g.Expect(get(f.client(), addr13)).To(Equal("HTTP/1.1"))
		})
	}
}

func TestTheWebhookServerAuthenticatesTheAPIServerByClientCertificate(t *testing.T) {
	f := newFixture(t)
	g := NewWithT(t)
	s, err := transport.NewServers(transport.Options{ClientCAFile: filepath.Join(f.dir, "client-ca.crt")}, f.dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.RequiresClientCertificates()).To(BeTrue())
	addr := serve(t, s.Webhook())

	t.Run("a client without a certificate is refused", func(t *testing.T) {
		_, err := get(f.client(), addr)
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("certificate required")))
	})
	t.Run("a certificate from another CA is refused", func(t *testing.T) {
		g := NewWithT(t)
		other, err := pki.NewCA("other")
		g.Expect(err).NotTo(HaveOccurred())
		kp, err := other.Client("kube-apiserver")
		g.Expect(err).NotTo(HaveOccurred())
		cert, err := kp.TLS()
		g.Expect(err).NotTo(HaveOccurred())
		_, err = get(f.client(cert), addr)
		g.Expect(err).To(MatchError(ContainSubstring("unknown certificate authority")))
	})
	t.Run("a certificate from the client CA is served", func(t *testing.T) {
		g := NewWithT(t)
		kp, err := f.clientCA.Client("kube-apiserver")
		g.Expect(err).NotTo(HaveOccurred())
		cert, err := kp.TLS()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(get(f.client(cert), addr)).To(Equal("HTTP/1.1"))
	})
	t.Run("the manager's own readiness check completes a handshake", func(t *testing.T) {
		g := NewWithT(t)
		conn, err := tls.Dial("tcp", addr, s.ProbeClient())
		g.Expect(err).NotTo(HaveOccurred())
		// In TLS 1.3 a refusal of the client arrives after the handshake: read to see it.
		_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		g.Expect(err).NotTo(HaveOccurred())
		buf := make([]byte, 12)
		_, err = io.ReadFull(conn, buf)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(buf)).To(Equal("HTTP/1.1 200"))
		_ = conn.Close()
	})
	t.Run("the metrics server asks for no client certificate", func(t *testing.T) {
		NewWithT(t).Expect(get(f.client(), serve(t, s.Metrics()))).To(Equal("HTTP/1.1"))
	})
}

func TestAClientCAFileWithoutCertificatesIsAnError(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("not PEM"), 0o600)).To(Succeed())
	_, err := transport.NewServers(transport.Options{ClientCAFile: filepath.Join(dir, "ca.crt")}, dir)
	g.Expect(err).To(MatchError(ContainSubstring("holds no PEM certificate")))
	_, err = transport.NewServers(transport.Options{ClientCAFile: filepath.Join(dir, "missing.crt")}, dir)
	g.Expect(err).To(MatchError(ContainSubstring("failed to read the client CA file")))
}

func TestTheServersShareTheRenewedCertificate(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	s, err := transport.NewServers(transport.Options{}, dir)
	g.Expect(err).NotTo(HaveOccurred())
	webhook, metrics := serve(t, s.Webhook()), serve(t, s.Metrics())
	_, err = tls.Dial("tcp", webhook, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // no certificate to verify yet
	g.Expect(err).To(HaveOccurred(), "no certificate on disk yet: the handshake fails")

	first, err := pki.NewCA("first")
	g.Expect(err).NotTo(HaveOccurred())
	kp, err := first.Server("localhost")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(kp.Write(dir, "tls.crt", "tls.key")).To(Succeed())
	for _, addr := range []string{webhook, metrics} {
		_, err := get(&tls.Config{RootCAs: first.Pool(), ServerName: "localhost"}, addr)
		g.Expect(err).NotTo(HaveOccurred())
	}

	renewed, err := pki.NewCA("renewed")
	g.Expect(err).NotTo(HaveOccurred())
	kp, err = renewed.Server("localhost")
	g.Expect(err).NotTo(HaveOccurred())
	// Half-written: the new certificate beside the old key keeps the old pair served.
	g.Expect(pki.WriteFileAtomic(filepath.Join(dir, "tls.crt"), kp.CertPEM)).To(Succeed())
	_, err = get(&tls.Config{RootCAs: first.Pool(), ServerName: "localhost"}, webhook)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pki.WriteFileAtomic(filepath.Join(dir, "tls.key"), kp.KeyPEM)).To(Succeed())
	for _, addr := range []string{webhook, metrics} {
		_, err := get(&tls.Config{RootCAs: renewed.Pool(), ServerName: "localhost"}, addr)
		g.Expect(err).NotTo(HaveOccurred(), "both servers serve the renewed certificate")
	}
}

func TestParseMinVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
	}{{"VersionTLS12", tls.VersionTLS12}, {"VersionTLS13", tls.VersionTLS13}, {"1.2", tls.VersionTLS12}, {"1.3", tls.VersionTLS13}} {
		v, err := transport.ParseMinVersion(tc.in)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		NewWithT(t).Expect(uint16(v)).To(Equal(tc.want), tc.in)
	}
	for _, bad := range []string{"VersionTLS11", "1.1", "tls12", ""} {
		_, err := transport.ParseMinVersion(bad)
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("use one of VersionTLS12, VersionTLS13, 1.2, 1.3")), bad)
	}
}
