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
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// echoBackend answers every line with its name.
func echoBackend(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					_, _ = c.Write([]byte(name + "\n"))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func ask(t *testing.T, addr string) (string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

// deadAddr is an address where nothing listens.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func startService(t *testing.T, bs ...*Backend) *Service {
	t.Helper()
	svc, err := NewService("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc.SetBackends(bs...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go svc.Run(ctx)
	return svc
}

func TestServiceSendsOnlyToReadyEndpoints(t *testing.T) {
	var bReady atomic.Bool
	a := &Backend{Addr: echoBackend(t, "a"), Ready: func() bool { return true }}
	b := &Backend{Addr: echoBackend(t, "b"), Ready: bReady.Load}
	svc := startService(t, a, b)
	time.Sleep(300 * time.Millisecond) // one probe
	for i := 0; i < 6; i++ {
		got, err := ask(t, svc.Addr)
		if err != nil || got != "a\n" {
			t.Fatalf("request %d: got %q, %v; want only the ready endpoint a", i, got, err)
		}
	}
	bReady.Store(true)
	seen := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) < 2 && time.Now().Before(deadline) {
		got, err := ask(t, svc.Addr)
		if err != nil {
			t.Fatal(err)
		}
		seen[got] = true
	}
	if len(seen) != 2 {
		t.Fatalf("once b is ready both endpoints should receive connections, saw %v", seen)
	}
}

func TestServiceSkipsAnEndpointThatIsGone(t *testing.T) {
	// dead still passes its readiness check: it died since the last probe.
	dead := &Backend{Addr: deadAddr(t), Ready: func() bool { return true }}
	live := &Backend{Addr: echoBackend(t, "live"), Ready: func() bool { return true }}
	svc := startService(t, dead, live)
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 4; i++ {
		if got, err := ask(t, svc.Addr); err != nil || got != "live\n" {
			t.Fatalf("request %d: got %q, %v; want the live endpoint", i, got, err)
		}
	}
}

func TestServiceWithoutReadyEndpointsAnswersNothing(t *testing.T) {
	svc := startService(t, &Backend{Addr: echoBackend(t, "a"), Ready: func() bool { return false }})
	time.Sleep(300 * time.Millisecond)
	if got, err := ask(t, svc.Addr); err == nil {
		t.Fatalf("got %q from a Service with no ready endpoint", got)
	}
}
