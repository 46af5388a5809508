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
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=get;list;watch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=update;patch,resourceNames=wavegate-gate;wavegate-validating-webhook-configuration
// +kubebuilder:rbac:groups="",namespace=wavegate-system,resources=secrets,verbs=get;list;watch;create;update;patch

// certOptions configure the webhook certificate that Wavegate creates and
// rotates itself (github.com/open-policy-agent/cert-controller). Turn it off
// when cert-manager or another tool provides the certificate.
type certOptions struct {
	rotate         bool
	namespace      string
	secret         string
	service        string
	configurations string
	extraDNSNames  string
}

func (c *certOptions) flags(fs *flag.FlagSet) {
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "wavegate-system"
	}
	fs.BoolVar(&c.rotate, "cert-rotation", false, "Create and rotate the webhook certificate in a Secret, and inject its CA into the webhook configurations.")
	fs.StringVar(&c.namespace, "namespace", ns, "Wavegate's own namespace (defaults to $POD_NAMESPACE).")
	fs.StringVar(&c.secret, "cert-secret", "wavegate-webhook-cert", "The Secret that holds the webhook certificate when --cert-rotation is on; the install creates it empty.")
	fs.StringVar(&c.service, "webhook-service", "wavegate-webhook-service", "The webhook Service; the certificate is issued for <service>.<namespace>.svc.")
	fs.StringVar(&c.configurations, "webhook-configurations", "wavegate-gate,wavegate-validating-webhook-configuration",
		"ValidatingWebhookConfigurations whose CA bundle --cert-rotation keeps current, comma-separated.")
	fs.StringVar(&c.extraDNSNames, "cert-extra-dns-names", "",
		"More DNS names for the webhook certificate, comma-separated: for an API server that reaches the webhooks by URL (such as https://localhost:9443) instead of the Service.")
}

// setup starts certificate rotation when it is on. The returned channel is
// closed once a certificate is on disk.
func (c *certOptions) setup(mgr ctrl.Manager, certDir string) (<-chan struct{}, error) {
	ready := make(chan struct{})
	if !c.rotate {
		close(ready)
		return ready, nil
	}
	var webhooks []rotator.WebhookInfo
	for _, name := range splitList(c.configurations) {
		webhooks = append(webhooks, rotator.WebhookInfo{Name: name, Type: rotator.Validating})
	}
	err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:      types.NamespacedName{Namespace: c.namespace, Name: c.secret},
		CertDir:        certDir,
		CAName:         "wavegate-ca",
		CAOrganization: "wavegate",
		DNSName:        fmt.Sprintf("%s.%s.svc", c.service, c.namespace),
		ExtraDNSNames:  append([]string{fmt.Sprintf("%s.%s.svc.cluster.local", c.service, c.namespace)}, splitList(c.extraDNSNames)...),
		IsReady:        ready,
		Webhooks:       webhooks,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to set up webhook certificate rotation: %w", err)
	}
	return ready, nil
}

// webhookReady fails until the certificate is on disk and the webhook server
// completes a TLS handshake with it. The check dials the server as a client
// would, with the process's own client certificate when the server asks for
// one (controller-runtime's StartedChecker presents none, and every check
// would be a refusal in the server's log).
func webhookReady(port int, probe *tls.Config, certsReady <-chan struct{}) healthz.Checker {
	addr := net.JoinHostPort("", strconv.Itoa(port))
	return func(*http.Request) error {
		select {
		case <-certsReady:
		default:
			return errors.New("the webhook certificate is not loaded yet")
		}
		d := &net.Dialer{Timeout: 5 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", addr, probe)
		if err != nil {
			return fmt.Errorf("the webhook server does not serve yet: %w", err)
		}
		return conn.Close()
	}
}

// splitList reads "a, b,,c" as [a b c].
func splitList(list string) []string {
	var out []string
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
