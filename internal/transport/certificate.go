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
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Certificate is the serving key pair in a directory (tls.crt and tls.key),
// where the webhook certificate Secret is mounted. Every server serves it
// through GetCertificate, so a renewal (by Wavegate's own rotation or by
// cert-manager) reaches them all without a restart.
//
// The files are read at each TLS handshake and parsed again only when they
// change; the API server and Prometheus keep their connections open, so
// handshakes are rare. Until the files exist (Wavegate may still be issuing
// them), handshakes fail; while they are being replaced and do not match,
// the last good pair is served.
type Certificate struct {
	certFile, keyFile string

	mu      sync.Mutex
	certPEM []byte
	keyPEM  []byte
	pair    *tls.Certificate
}

// NewCertificate serves dir/tls.crt and dir/tls.key.
func NewCertificate(dir string) *Certificate {
	return &Certificate{certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key")}
}

// GetCertificate implements tls.Config.GetCertificate.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	certPEM, certErr := os.ReadFile(c.certFile)
	keyPEM, keyErr := os.ReadFile(c.keyFile)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := errors.Join(certErr, keyErr); err != nil {
		if c.pair != nil {
			return c.pair, nil
		}
		return nil, fmt.Errorf("no serving certificate yet: %w", err)
	}
	if c.pair != nil && bytes.Equal(certPEM, c.certPEM) && bytes.Equal(keyPEM, c.keyPEM) {
		return c.pair, nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if c.pair != nil {
			return c.pair, nil
		}
		return nil, fmt.Errorf("the serving certificate in %s does not load: %w", filepath.Dir(c.certFile), err)
	}
	c.pair, c.certPEM, c.keyPEM = &pair, certPEM, keyPEM
	return c.pair, nil
}
