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

package transport

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
)

// http1 is the only application protocol the servers offer: Go's HTTP/2
// server is exposed to the rapid-reset attack (CVE-2023-44487), and neither
// the API server's webhook calls nor Prometheus need HTTP/2.
const http1 = "http/1.1"

// MinVersion is the lowest TLS version the servers accept; it is a
// flag.Value, so a wrong value is a usage error that names the flag.
type MinVersion uint16

var minVersionNames = []struct {
	name    string
	version MinVersion
}{
	{"VersionTLS12", tls.VersionTLS12},
	{"VersionTLS13", tls.VersionTLS13},
	{"1.2", tls.VersionTLS12},
	{"1.3", tls.VersionTLS13},
}

// DefaultMinVersion is TLS 1.2, which every supported API server speaks.
const DefaultMinVersion MinVersion = tls.VersionTLS12

// MinVersionValues lists what --tls-min-version accepts.
func MinVersionValues() []string {
	var names []string
	for _, n := range minVersionNames {
		names = append(names, n.name)
	}
	return names
}

// ParseMinVersion reads VersionTLS12, VersionTLS13, 1.2 or 1.3.
func ParseMinVersion(s string) (MinVersion, error) {
	for _, n := range minVersionNames {
		if s == n.name {
			return n.version, nil
		}
	}
	return 0, fmt.Errorf("%q is not a TLS version Wavegate accepts: use one of %s", s, strings.Join(MinVersionValues(), ", "))
}

// String is the Go constant name, as the flag's default shows it.
func (v *MinVersion) String() string {
	for _, n := range minVersionNames {
		if *v == n.version {
			return n.name
		}
	}
	return fmt.Sprintf("0x%04x", uint16(*v))
}

// Set implements flag.Value.
func (v *MinVersion) Set(s string) error {
	parsed, err := ParseMinVersion(s)
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}

// Options are the TLS settings of the manager's servers.
type Options struct {
	// MinVersion is the lowest TLS version every server accepts.
	MinVersion MinVersion
	// ClientCAFile, when set, is a PEM bundle of CAs: the webhook server then
	// refuses, in the TLS handshake, any client without a certificate signed
	// by one of them. It is read once, at start.
	ClientCAFile string
}

// Servers hands each of the manager's TLS servers its settings.
type Servers struct {
	minVersion uint16
	cert       *Certificate
	clientCAs  *x509.CertPool
	// probe is a client certificate only this process holds, trusted beside
	// the client CAs, so the readiness check completes a full handshake
	// with the webhook server instead of filling its log with refusals.
	probe *tls.Certificate
}

// NewServers reads the client CA file, if any, and serves the key pair in
// certDir.
func NewServers(o Options, certDir string) (*Servers, error) {
	if o.MinVersion == 0 {
		o.MinVersion = DefaultMinVersion
	}
	s := &Servers{minVersion: uint16(o.MinVersion), cert: NewCertificate(certDir)}
	if o.ClientCAFile == "" {
		return s, nil
	}
	pem, err := os.ReadFile(o.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("failed to read the client CA file: %w", err)
	}
	s.clientCAs = x509.NewCertPool()
	if !s.clientCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the client CA file %s holds no PEM certificate", o.ClientCAFile)
	}
	probeCA, probe, err := newProbeIdentity()
	if err != nil {
		return nil, err
	}
	s.clientCAs.AddCert(probeCA)
	s.probe = probe
	return s, nil
}

// Certificate is the serving certificate every server shares.
func (s *Servers) Certificate() *Certificate { return s.cert }

// RequiresClientCertificates reports whether the webhook server
// authenticates its clients.
func (s *Servers) RequiresClientCertificates() bool { return s.clientCAs != nil }

// Metrics returns the metrics server's TLS options (controller-runtime's
// TLSOpts): HTTP/1.1 only, the minimum version and the shared certificate.
// Clients authenticate with a bearer token, checked by the API server.
func (s *Servers) Metrics() []func(*tls.Config) {
	return []func(*tls.Config){s.common}
}

// Webhook returns the webhook server's TLS options: those of every server,
// and client-certificate authentication when a client CA is set.
func (s *Servers) Webhook() []func(*tls.Config) {
	return []func(*tls.Config){s.common, func(c *tls.Config) {
		if s.clientCAs != nil {
			c.ClientCAs = s.clientCAs
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}}
}

func (s *Servers) common(c *tls.Config) {
	c.NextProtos = []string{http1}
	c.MinVersion = s.minVersion
	c.GetCertificate = s.cert.GetCertificate
}

// ProbeClient is the TLS configuration of the manager's own readiness check
// of its webhook server: it does not verify the server (it dials itself) and
// presents the probe certificate when the server asks for one.
func (s *Servers) ProbeClient() *tls.Config {
	c := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // the process dials its own port to see that it serves
		MinVersion:         s.minVersion,
		NextProtos:         []string{http1},
	}
	if s.probe != nil {
		c.Certificates = []tls.Certificate{*s.probe}
	}
	return c
}
