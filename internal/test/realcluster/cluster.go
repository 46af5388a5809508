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
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/test/pki"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// LabelTopologyRegion is the well-known label that places a node in a region.
const LabelTopologyRegion = "topology.kubernetes.io/region"

// Cluster is a running kwok cluster. Its Config and Client are the cluster
// administrator's: only a test's own setup steps should use them.
type Cluster struct {
	Name string
	// Dir is the cluster's kwokctl workdir: its logs, PKI and kubeconfig.
	Dir string
	// Kubeconfig is the administrator's kubeconfig file.
	Kubeconfig string
	Config     *rest.Config
	Client     client.Client
	Clientset  kubernetes.Interface
	// Started is how long kwokctl took to bring the cluster up.
	Started time.Duration
	// WebhookClient is the client certificate the API server presents to
	// every webhook, and WebhookClientCAFile the CA that signed it, which
	// the manager's --client-ca-file names.
	WebhookClient       pki.KeyPair
	WebhookClientCAFile string

	bins Binaries
	out  io.Writer
}

// AuditPolicyFile is the audit policy Wavegate ships for `wavegate audit`
// (config/audit/policy.yaml). Every cluster of the harness runs with it, so
// that each run can end with an audit of its own API server's log, and
// Denials and Writes read the same events a user's cluster logs.
func AuditPolicyFile() string {
	return filepath.Join(testenv.RepoRoot(), "config", "audit", "policy.yaml")
}

// Create starts a cluster named name, with its state under dir, and prints
// kwokctl's progress to out.
func Create(ctx context.Context, bins Binaries, name, dir string, out io.Writer) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	c := &Cluster{Name: name, Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), bins: bins, out: out}
	// A cluster left behind by an interrupted run holds the name: remove it.
	_ = c.kwokctl(ctx, "delete", "cluster", "--name", name)
	// A copy beside the log: the policy the cluster ran with stays with it.
	shipped, err := os.ReadFile(AuditPolicyFile())
	if err != nil {
		return nil, fmt.Errorf("the shipped audit policy: %w", err)
	}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, shipped, 0o600); err != nil { //nolint:gosec // under the cluster's own directory
		return nil, err
	}
	admissionConfig, err := c.writeWebhookClientCertificate()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = c.kwokctl(ctx, "create", "cluster", "--name", name, "--runtime", "binary",
		"--kube-apiserver-binary", filepath.Join(bins.K8sDir, "kube-apiserver"),
		"--etcd-binary", filepath.Join(bins.K8sDir, "etcd"),
		"--kube-controller-manager-binary", filepath.Join(bins.K8sDir, "kube-controller-manager"),
		"--kube-scheduler-binary", filepath.Join(bins.K8sDir, "kube-scheduler"),
		"--kwok-controller-binary", bins.Kwok,
		"--kube-audit-policy", policy,
		// The suites drive hundreds of writes a second; client-side limits
		// in the controllers would measure kwok, not Wavegate.
		"--disable-qps-limits",
		// As kubeadm and managed clusters run it: each controller acts as
		// its own ServiceAccount in kube-system, not as the admin that
		// kwokctl hands the controller manager by default.
		"--extra-args", "kube-controller-manager=use-service-account-credentials=true",
		// The API server authenticates itself to webhooks with a client
		// certificate, which the manager requires (--client-ca-file).
		"--extra-args", "kube-apiserver=admission-control-config-file="+admissionConfig,
		"--kubeconfig", filepath.Join(dir, "kwokctl-kubeconfig"),
		"--wait", "2m")
	if err != nil {
		return nil, fmt.Errorf("kwokctl could not create the cluster (its logs are in %s): %w", c.clusterDir(), err)
	}
	c.Started = time.Since(start)
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// webhookAdmissionConfig makes the API server present the client
// certificate in kubeconfig to every webhook ("*": the Service stand-in
// listens on a port chosen at install time).
const webhookAdmissionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: %[1]s
- name: MutatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: %[1]s
`

// writeWebhookClientCertificate issues the API server's webhook client
// certificate and writes the admission configuration that presents it; it
// returns the configuration's path.
func (c *Cluster) writeWebhookClientCertificate() (string, error) {
	ca, err := pki.NewCA("kube-apiserver-webhook-client-ca")
	if err != nil {
		return "", err
	}
	if c.WebhookClient, err = ca.Client("kube-apiserver"); err != nil {
		return "", err
	}
	pkiDir := filepath.Join(c.Dir, "webhook-client")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return "", err
	}
	c.WebhookClientCAFile = filepath.Join(pkiDir, "ca.crt")
	if err := os.WriteFile(c.WebhookClientCAFile, ca.CertPEM, 0o600); err != nil {
		return "", err
	}
	if err := c.WebhookClient.Write(pkiDir, "client.crt", "client.key"); err != nil {
		return "", err
	}
	kc := clientcmdapi.NewConfig()
	kc.AuthInfos["*"] = &clientcmdapi.AuthInfo{
		ClientCertificate: filepath.Join(pkiDir, "client.crt"),
		ClientKey:         filepath.Join(pkiDir, "client.key"),
	}
	kubeconfig := filepath.Join(pkiDir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		return "", err
	}
	admissionConfig := filepath.Join(pkiDir, "admission-config.yaml")
	return admissionConfig, os.WriteFile(admissionConfig, fmt.Appendf(nil, webhookAdmissionConfig, kubeconfig), 0o600)
}

func (c *Cluster) clusterDir() string { return filepath.Join(c.Dir, "kwok", "clusters", c.Name) }

// AuditLog is the API server's audit log.
func (c *Cluster) AuditLog() string { return filepath.Join(c.clusterDir(), "logs", "audit.log") }

func (c *Cluster) kwokctl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, c.bins.Kwokctl, args...) //nolint:gosec // the pinned kwokctl the Makefile built
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+filepath.Join(c.Dir, "kwok"))
	cmd.Stdout, cmd.Stderr = c.out, c.out
	return cmd.Run()
}

func (c *Cluster) connect(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, c.bins.Kwokctl, "get", "kubeconfig", "--name", c.Name) //nolint:gosec // the pinned kwokctl the Makefile built
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+filepath.Join(c.Dir, "kwok"))
	kubeconfig, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("kwokctl get kubeconfig: %w", err)
	}
	if err := os.WriteFile(c.Kubeconfig, kubeconfig, 0o600); err != nil {
		return err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("the kubeconfig from kwokctl: %w", err)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	c.Config = cfg
	if c.Client, err = client.New(cfg, client.Options{Scheme: testenv.NewScheme()}); err != nil {
		return err
	}
	c.Clientset, err = kubernetes.NewForConfig(cfg)
	return err
}

// Stop stops the cluster's processes (an outage of its control plane); its
// state stays, for Start.
func (c *Cluster) Stop(ctx context.Context) error {
	return c.kwokctl(ctx, "stop", "cluster", "--name", c.Name)
}

// Start starts a stopped cluster again.
func (c *Cluster) Start(ctx context.Context) error {
	return c.kwokctl(ctx, "start", "cluster", "--name", c.Name)
}

// Delete stops the cluster and removes its state.
func (c *Cluster) Delete(ctx context.Context) error {
	return c.kwokctl(ctx, "delete", "cluster", "--name", c.Name)
}

// AddRegionNodes adds one fake node per region, labelled with its region, so
// pods land and become Ready there.
func (c *Cluster) AddRegionNodes(ctx context.Context, regions []string) error {
	for _, r := range regions {
		if err := c.Client.Create(ctx, fakeNode(r)); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("failed to add the node of region %s: %w", r, err)
		}
	}
	return nil
}

func fakeNode(region string) *corev1.Node {
	name := "node-" + strings.ToLower(region)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels: map[string]string{
				"type": "kwok", LabelTopologyRegion: region, "kubernetes.io/hostname": name,
			},
		},
		Status: corev1.NodeStatus{Allocatable: capacity, Capacity: capacity},
	}
}
