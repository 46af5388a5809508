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

package realcluster

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LeaderElectionID is the manager's leader election Lease.
const LeaderElectionID = "wavegate-manager.wavegate.io"

// Replica is one manager process.
type Replica struct {
	Name        string
	WebhookAddr string
	MetricsAddr string
	ProbeAddr   string
	// PprofAddr serves Go's profiles (plain HTTP, loopback only).
	PprofAddr string
	// LogPath collects the process's output across restarts.
	LogPath string
	// CertDir holds the webhook certificate, as the Secret volume would.
	CertDir string

	binary  string
	args    []string
	env     []string
	metrics *metricsClient

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

var probeClient = &http.Client{Timeout: time.Second}

// Start runs the process; its output is appended to LogPath.
func (r *Replica) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return fmt.Errorf("%s is already running", r.Name)
	}
	log, err := os.OpenFile(r.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.binary, r.args...) //nolint:gosec // our own manager binary
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("failed to start %s: %w", r.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = log.Close()
		close(exited)
	}()
	r.cmd, r.exited = cmd, exited
	return nil
}

// Running reports whether the process is up.
func (r *Replica) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return false
	}
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

// Kill ends the process with SIGKILL, as a node failure would: it releases
// nothing, not even its Lease.
func (r *Replica) Kill() { r.signal(syscall.SIGKILL) }

// Stop ends the process with SIGTERM and waits for it.
func (r *Replica) Stop() { r.signal(syscall.SIGTERM) }

func (r *Replica) signal(sig syscall.Signal) {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Ready reports whether /readyz passes.
func (r *Replica) Ready() bool {
	if !r.Running() {
		return false
	}
	resp, err := probeClient.Get("http://" + r.ProbeAddr + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// ReadinessReport is /readyz?verbose, to say why a replica is not ready.
func (r *Replica) ReadinessReport() string {
	resp, err := probeClient.Get("http://" + r.ProbeAddr + "/readyz?verbose")
	if err != nil {
		return err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// IsLeader reads the leader election metric the manager exports.
func (r *Replica) IsLeader() bool {
	v, ok := r.Metric(`leader_election_master_status{name="` + LeaderElectionID + `"}`)
	return ok && v == "1"
}

// Metric returns the value of one series (name with its labels, as the
// text exposition writes it) from the replica's /metrics, scraped as
// Prometheus does: HTTPS, verified with the webhook CA, with a token bound
// to the metrics-reader ClusterRole.
func (r *Replica) Metric(series string) (string, bool) {
	raw, err := r.Metrics()
	if err != nil {
		return "", false
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// Metrics returns the replica's whole /metrics text, scraped as Metric does.
func (r *Replica) Metrics() ([]byte, error) {
	resp, err := r.metrics.get(r.CertDir, "https://"+r.MetricsAddr+"/metrics")
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics of replica %s: %s", r.MetricsAddr, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// metricsClient scrapes a replica's metrics. The serving certificate is the
// webhook's, so it verifies it with the CA in the replica's certificate
// directory, re-read when it changes.
type metricsClient struct {
	token string

	mu     sync.Mutex
	ca     []byte
	client *http.Client
}

func newMetricsClient(token string) *metricsClient { return &metricsClient{token: token} }

func (m *metricsClient) get(certDir, url string) (*http.Response, error) {
	ca, err := os.ReadFile(filepath.Join(certDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.client == nil || !bytes.Equal(ca, m.ca) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		m.ca = ca
		m.client = &http.Client{Timeout: time.Second, Transport: &http.Transport{
			// The certificate names localhost (--cert-extra-dns-names).
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		}}
	}
	c := m.client
	m.mu.Unlock()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	return c.Do(req)
}
