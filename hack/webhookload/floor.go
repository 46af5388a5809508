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

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/transport"
)

// The floor is what any validating webhook costs the same workload on this
// machine at this rate: Wavegate's own webhook server (controller-runtime's,
// with the manager's TLS options, its serving certificate and the API
// server's client CA), behind a Service of its own as Wavegate's replicas
// are, registered with the gate's region-namespace rules, answering
// "allowed" without deciding anything or writing a change record.
const (
	floorConfig  = "webhookload-floor"
	floorWebhook = "floor.webhookload.wavegate.io"
	floorPath    = "/floor"
)

func isFloor(name string) bool { return name == floorWebhook }

// floorPhase runs phase C and returns its create latencies and the API
// server's p99 for the floor webhook (seconds).
func floorPhase(ctx context.Context, cs kubernetes.Interface, cluster *realcluster.Cluster, certDir string, caBundle []byte, regions []string, rate int, duration, warmup time.Duration) (*result, float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answered, url, err := serveFloor(ctx, cluster.WebhookClientCAFile, certDir)
	if err != nil {
		return nil, 0, err
	}
	cfgs := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := cfgs.Create(ctx, floorConfiguration(url, caBundle), metav1.CreateOptions{}); err != nil {
		return nil, 0, fmt.Errorf("registering the floor webhook: %w", err)
	}
	defer func() { _ = cfgs.Delete(context.Background(), floorConfig, metav1.DeleteOptions{}) }()
	nsC, err := namespaces(ctx, cs, "load-c", regions)
	if err != nil {
		return nil, 0, err
	}
	if err := awaitFloor(ctx, cs, nsC[0], answered); err != nil {
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
	return c, p99, ctx.Err()
}

// serveFloor starts the floor's webhook server and a Service in front of
// it until ctx ends. It returns the number of requests answered so far and
// the webhook's URL.
func serveFloor(ctx context.Context, clientCAFile, certDir string) (*atomic.Int64, string, error) {
	servers, err := transport.NewServers(transport.Options{ClientCAFile: clientCAFile}, certDir)
	if err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	srv := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: certDir, TLSOpts: servers.Webhook()})
	answered := &atomic.Int64{}
	srv.Register(floorPath, &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		answered.Add(1)
		return admission.Allowed("")
	})})
	go func() { _ = srv.Start(ctx) }()
	svc, err := realcluster.NewService("127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	// Always ready: awaitFloor waits for the first answer, and a readiness
	// check that dials without the API server's client certificate would
	// fill the log with refused handshakes.
	svc.SetBackends(&realcluster.Backend{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Ready: func() bool { return true }})
	go svc.Run(ctx)
	_, svcPort, _ := net.SplitHostPort(svc.Addr)
	// localhost: the name Wavegate's certificate carries for the harness.
	return answered, "https://localhost:" + svcPort + floorPath, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// floorConfiguration registers the floor with the rules and settings of
// the gate's region-namespace webhook.
func floorConfiguration(url string, caBundle []byte) *admissionregistrationv1.ValidatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	sideEffects := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	scope := admissionregistrationv1.AllScopes
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: floorConfig},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         floorWebhook,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}, Scope: &scope},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: wavegatev1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpExists},
			}},
			FailurePolicy:           &fail,
			SideEffects:             &sideEffects,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

// awaitFloor creates probe ConfigMaps in ns until the floor has answered
// one: the API server picks up a new webhook configuration within moments,
// and a create before that would not be a call to it.
func awaitFloor(ctx context.Context, cs kubernetes.Interface, ns string, answered *atomic.Int64) error {
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; answered.Load() == 0; i++ {
		if time.Now().After(deadline) {
			return errors.New("the API server did not call the floor webhook within 30s")
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("floor-probe-%d", i), Namespace: ns}}
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

// servingCA is the CA bundle the chart's certificate rotation put in the
// gate's webhook configuration: it also signs the floor's certificate,
// which is Wavegate's.
func servingCA(ctx context.Context, cs kubernetes.Interface) ([]byte, error) {
	cfg, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, gateConfigs[0], metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the gate's CA bundle: %w", err)
	}
	if len(cfg.Webhooks) == 0 || len(cfg.Webhooks[0].ClientConfig.CABundle) == 0 {
		return nil, fmt.Errorf("%s has no CA bundle", gateConfigs[0])
	}
	return cfg.Webhooks[0].ClientConfig.CABundle, nil
}
