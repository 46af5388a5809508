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

package promtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EnvBinary names the prometheus binary; make test, make e2e and make demo
// set it to the one make prometheus builds into bin/.
const EnvBinary = "WAVEGATE_PROMETHEUS"

// JobName is the scrape job of every target, the job label of its series.
const JobName = "promtest"

// BinaryFromEnv returns the prometheus binary that EnvBinary names, and an
// error that says how to build it when it is unset or missing.
func BinaryFromEnv() (string, error) {
	path := os.Getenv(EnvBinary)
	if path == "" {
		return "", errors.New(EnvBinary + " is not set: run the tests with 'make test', " +
			"which builds Prometheus from Go modules into bin/ (make prometheus) and points " + EnvBinary + " at it")
	}
	if _, err := os.Stat(path); err != nil { //nolint:gosec // the test's own environment names the binary
		return "", fmt.Errorf("%s=%s: %w (build it with 'make prometheus', or run the tests with 'make test')", EnvBinary, path, err)
	}
	return path, nil
}

// Options say how to run Prometheus.
type Options struct {
	// Binary is the prometheus program, usually BinaryFromEnv's.
	Binary string
	// Dir holds the configuration, the TSDB (Dir/data) and the log
	// (Dir/prometheus.log); a test passes t.TempDir().
	Dir string
	// Targets are the host:port scraped at /metrics, such as Exporter.Addr().
	Targets []string
	// ScrapeInterval is both the scrape and the rule evaluation interval, in
	// whole milliseconds; 1s when zero.
	ScrapeInterval time.Duration
}

// readyTimeout bounds how long Prometheus may take to answer /-/ready; it
// replays its write-ahead log first, which is short for a test's data.
const readyTimeout = time.Minute

// Server is a prometheus process. It keeps its port and data directory
// across Stop, Kill and Restart, so a test can take Prometheus away and
// bring it back with the series it had scraped.
type Server struct {
	opts    Options
	addr    string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start writes the configuration, starts Prometheus on a free port of
// 127.0.0.1 and returns once /-/ready answers 200. When it does not, the
// error carries the end of the log.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Binary == "" {
		return nil, errors.New("options.Binary is empty: use BinaryFromEnv")
	}
	if opts.Dir == "" {
		return nil, errors.New("options.Dir is empty")
	}
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.ScrapeInterval < time.Millisecond || opts.ScrapeInterval%time.Millisecond != 0 {
		return nil, fmt.Errorf("scrape interval %s is not a positive whole number of milliseconds", opts.ScrapeInterval)
	}
	if err := os.WriteFile(filepath.Join(opts.Dir, "prometheus.yml"), config(opts), 0o600); err != nil {
		return nil, fmt.Errorf("failed to write the Prometheus configuration: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, addr: addr, logPath: filepath.Join(opts.Dir, "prometheus.log")}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// config is the whole configuration: one job scraping the targets, with
// the evaluation interval equal to the scrape interval.
func config(opts Options) []byte {
	interval := strconv.FormatInt(opts.ScrapeInterval.Milliseconds(), 10) + "ms"
	var b bytes.Buffer
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", interval, interval, interval)
	fmt.Fprintf(&b, "scrape_configs:\n- job_name: %s\n", JobName)
	// Exporters other than client_golang's may answer with a Content-Type
	// that Prometheus 3 refuses without a fallback.
	b.WriteString("  fallback_scrape_protocol: PrometheusText0.0.4\n")
	b.WriteString("  static_configs:\n  - targets: [")
	for i, t := range opts.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(t))
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// freeAddr picks a port that nothing listens on; Restart reuses it.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("failed to find a free port for Prometheus: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// URL is Prometheus' address, http://127.0.0.1:<port>, as --prometheus-url
// and the query helpers take it.
func (s *Server) URL() string { return "http://" + s.addr }

// LogPath is the file that collects Prometheus' output across restarts.
func (s *Server) LogPath() string { return s.logPath }

// Running reports whether the process is up (not whether it is ready).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Stop ends Prometheus with SIGTERM and waits for it to exit; it does
// nothing when Prometheus is not running.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Kill ends Prometheus with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Restart stops Prometheus if it runs and starts it again on the same port
// with the same data, returning once it is ready.
func (s *Server) Restart(ctx context.Context) error {
	s.Stop()
	return s.start(ctx)
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("prometheus is already running")
	}
	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open the Prometheus log: %w", err)
	}
	//nolint:gosec // the binary is the one make prometheus builds
	cmd := exec.Command(s.opts.Binary,
		"--config.file="+filepath.Join(s.opts.Dir, "prometheus.yml"),
		"--web.listen-address="+s.addr,
		"--storage.tsdb.path="+filepath.Join(s.opts.Dir, "data"),
		"--log.level=warn",
		// Targets are applied every discovery reload interval (5s by
		// default), which would delay the first scrape after every start.
		"--scrape.discovery-reload-interval=100ms",
	)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("failed to start %s: %w", s.opts.Binary, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = log.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	if err := waitReady(ctx, s.URL(), exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		s.cmd = nil
		return fmt.Errorf("prometheus did not become ready on %s: %w; the end of %s:\n%s", s.addr, err, s.logPath, logTail(s.logPath, 20))
	}
	return nil
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/-/ready", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// logTail is the last n lines of the log, for a start failure's error.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
