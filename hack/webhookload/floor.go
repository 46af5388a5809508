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
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/transport"
)

// The floor is what any validating webhook costs the same workload on this
// machine at this rate: Wavegate's own webhook server (controller-runtime's,
// with the manager's TLS options, its serving certificate and the API
// server's client CA), behind a Service of its own as Wavegate's replicas
// are, registered as a copy of the installed region-namespace webhook
// (rules, selectors, match conditions, CA bundle) with only its name and
// URL changed, answering "allowed" without deciding anything or writing a
// change record. It is served from this process, one backend instead of
// two replicas, so it shares the cores with the load generator as the
// replicas do.
const (
	floorConfig  = "webhookload-floor"
	floorWebhook = "floor.webhookload.wavegate.io"
	floorPath    = "/floor"
	// regionWebhook is the gate's webhook that admits this workload.
	regionWebhook = "region-namespace.gate.wavegate.io"
)

func isFloor(name string) bool { return name == floorWebhook }

// floorPhase runs phase C and returns its create latencies and the API
// server's p99 for the floor webhook (seconds); then, with the floor still
// registered, more (the ramp).
func floorPhase(ctx context.Context, cs kubernetes.Interface, cluster *realcluster.Cluster, certDir string, like *admissionregistrationv1.ValidatingWebhook, regions []string, rate int, duration, warmup time.Duration, more func(nss []string)) (*result, float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answered, url, failed, err := serveFloor(ctx, cluster.WebhookClientCAFile, certDir)
	if err != nil {
		return nil, 0, err
	}
	cfgs := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := cfgs.Create(ctx, floorConfiguration(url, like), metav1.CreateOptions{}); err != nil {
		return nil, 0, fmt.Errorf("registering the floor webhook: %w", err)
	}
	defer func() { _ = cfgs.Delete(context.Background(), floorConfig, metav1.DeleteOptions{}) }()
	nsC, err := namespaces(ctx, cs, "load-c", regions)
	if err != nil {
		return nil, 0, err
	}
	if err := awaitFloor(ctx, cs, nsC[0], answered, failed); err != nil {
		return nil, 0, err
	}
	step("phase C (floor: a webhook that only answers, in Wavegate's server): warm-up %s, then %d creates/s for %s", warmup, rate, duration)
	drive(ctx, cs, nsC, "warm-c", rate, warmup)
	before, err := scrape(ctx, cs, nil, isFloor)
	if err != nil {
		return nil, 0, err
	}
	c := drive(ctx, cs, nsC, "c", rate, duration)
	after, err := scrape(ctx, cs, nil, isFloor)
	if err != nil {
		return nil, 0, err
	}
	d := after.sub(before)
	p99 := d.webhook.quantile(0.99)
	step("phase C: %s", c)
	step("API server's admission_duration for the floor webhook over phase C: %d calls, p50 %s ms, p99 %s ms (bucket resolution; buckets %s)",
		int(d.webhook.count()), ms(d.webhook.quantile(0.5)), ms(p99), d.webhook)
	step("CPU seconds over phase C (%s): %s", duration, d.cpuString())
	more(nsC)
	return c, p99, ctx.Err()
}

// serveFloor starts the floor's webhook server and a Service in front of
// it until ctx ends. It returns the number of requests answered so far, the
// webhook's URL, and a channel that receives the server's error if it
// stops before ctx ends.
func serveFloor(ctx context.Context, clientCAFile, certDir string) (*atomic.Int64, string, <-chan error, error) {
	servers, err := transport.NewServers(transport.Options{ClientCAFile: clientCAFile}, certDir)
	if err != nil {
		return nil, "", nil, err
	}
	ports, err := realcluster.FreePorts(1)
	if err != nil {
		return nil, "", nil, err
	}
	port := ports[0]
	srv := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: certDir, TLSOpts: servers.Webhook()})
	answered := &atomic.Int64{}
	srv.Register(floorPath, &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		answered.Add(1)
		return admission.Allowed("")
	})})
	failed := make(chan error, 1)
	go func() {
		if err := srv.Start(ctx); err != nil {
			failed <- fmt.Errorf("the floor's webhook server: %w", err)
		}
	}()
	svc, err := realcluster.NewService("127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	// Always ready: awaitFloor waits for the first answer, and a readiness
	// check that dials without the API server's client certificate would
	// fill the log with refused handshakes.
	svc.SetBackends(&realcluster.Backend{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Ready: func() bool { return true }})
	go svc.Run(ctx)
	_, svcPort, _ := net.SplitHostPort(svc.Addr)
	// localhost: the name Wavegate's certificate carries for the harness.
	return answered, "https://localhost:" + svcPort + floorPath, failed, nil
}

// floorConfiguration registers the floor as a copy of the installed
// webhook like, with only its name and URL changed.
func floorConfiguration(url string, like *admissionregistrationv1.ValidatingWebhook) *admissionregistrationv1.ValidatingWebhookConfiguration {
	w := like.DeepCopy()
	w.Name = floorWebhook
	w.ClientConfig.URL, w.ClientConfig.Service = &url, nil
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: floorConfig},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{*w},
	}
}

// awaitFloor creates probe ConfigMaps in ns until the floor has answered
// one: the API server picks up a new webhook configuration within moments,
// and a create before that would not be a call to it.
func awaitFloor(ctx context.Context, cs kubernetes.Interface, ns string, answered *atomic.Int64, failed <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for i := 0; answered.Load() == 0; i++ {
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("the API server did not call the floor webhook within 30s; the last create failed: %w", last)
			}
			return errors.New("the API server did not call the floor webhook within 30s")
		}
		select {
		case err := <-failed:
			return err
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("floor-probe-%d", i), Namespace: ns}}
		_, last = cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

// installedWebhook is the gate's region-namespace webhook as installed,
// its CA bundle included (the chart's certificate rotation put it there;
// that CA also signs the floor's certificate, which is Wavegate's).
func installedWebhook(ctx context.Context, cs kubernetes.Interface) (*admissionregistrationv1.ValidatingWebhook, error) {
	cfg, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, gateConfigs[0], metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the gate's webhooks: %w", err)
	}
	for i := range cfg.Webhooks {
		if w := &cfg.Webhooks[i]; w.Name == regionWebhook && len(w.ClientConfig.CABundle) > 0 {
			return w, nil
		}
	}
	return nil, fmt.Errorf("%s has no webhook %s with a CA bundle", gateConfigs[0], regionWebhook)
}
