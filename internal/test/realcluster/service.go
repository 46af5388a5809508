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
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Service stands in for the webhook Service and kube-proxy: it accepts TCP
// connections on one address and passes each, unopened (TLS goes through),
// to the next ready backend in turn. A backend is ready while its readiness
// check passes, as an endpoint is; with none ready, connections are refused,
// as the API server sees when no replica is ready.
type Service struct {
	// Addr is the address the Service listens on.
	Addr string

	ln       net.Listener
	mu       sync.Mutex
	backends []*Backend
	next     int
	wg       sync.WaitGroup
	accepted atomic.Int64
}

// Accepted is how many connections the Service has accepted: a client that
// keeps its connections open (as the API server should) opens few.
func (s *Service) Accepted() int64 { return s.accepted.Load() }

// Backend is one endpoint of the Service.
type Backend struct {
	// Addr receives the connections.
	Addr string
	// Ready reports whether the endpoint may receive connections.
	Ready func() bool
	ready atomic.Bool
}

// NewService listens on addr ("127.0.0.1:0" picks a port).
func NewService(addr string) (*Service, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Service{Addr: ln.Addr().String(), ln: ln}, nil
}

// SetBackends replaces the endpoints.
func (s *Service) SetBackends(bs ...*Backend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backends = bs
}

// Run probes readiness and forwards connections until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.probe(ctx)
	}()
	go func() {
		<-ctx.Done()
		_ = s.ln.Close()
	}()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			s.wg.Wait()
			return
		}
		s.accepted.Add(1)
		go s.forward(conn)
	}
}

// probe refreshes every backend's readiness, as the kubelet's readiness
// probe and the endpoints controller do, only faster.
func (s *Service) probe(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		bs := append([]*Backend(nil), s.backends...)
		s.mu.Unlock()
		for _, b := range bs {
			b.ready.Store(b.Ready())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ready returns the ready backends, starting with the next in turn.
func (s *Service) ready() []*Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.backends)
	s.next++
	var out []*Backend
	for i := 0; i < n; i++ {
		if b := s.backends[(s.next+i)%n]; b.ready.Load() {
			out = append(out, b)
		}
	}
	return out
}

// dial connects to the first ready backend that answers: a replica that died
// since the last probe is skipped, as kube-proxy skips an endpoint that is gone.
func (s *Service) dial() (net.Conn, error) {
	errs := []error{errors.New("no ready endpoint")}
	for _, b := range s.ready() {
		out, err := net.DialTimeout("tcp", b.Addr, 2*time.Second)
		if err == nil {
			return out, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (s *Service) forward(in net.Conn) {
	defer func() { _ = in.Close() }()
	out, err := s.dial()
	if err != nil {
		return
	}
	defer func() { _ = out.Close() }()
	toBackend := make(chan struct{})
	go func() {
		_, _ = io.Copy(out, in)
		if tc, ok := out.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(toBackend)
	}()
	_, _ = io.Copy(in, out)
	// The backend is gone (or done): reset the client's connection rather
	// than close it, as a vanished endpoint does, so the API server sees a
	// connection reset, which it retries on another connection.
	if tc, ok := in.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = in.Close()
	<-toBackend
}
