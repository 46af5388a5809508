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
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ServiceAccount is the chart's manager ServiceAccount.
const ServiceAccount = "wavegate-manager"

// ClientCASecret would hold the CA of the API server's webhook client
// certificate in a real install; the harness hands the manager the file.
const ClientCASecret = "wavegate-apiserver-client-ca" //nolint:gosec // a Secret name, not a credential

// MetricsReader is the chart's ClusterRole for scraping the manager, and
// the name of the ServiceAccount the harness binds to it.
const MetricsReader = "wavegate-metrics-reader"

// Wavegate is an install of the rendered chart with manager processes on
// the host behind a Service.
type Wavegate struct {
	Chart    *Chart
	Service  *Service
	Replicas []*Replica
	// Kubeconfig holds a token of the manager's ServiceAccount.
	Kubeconfig string

	cluster *Cluster
	bins    Binaries
	args    []string
	// metricsToken is a token of an identity bound to the chart's
	// metrics-reader ClusterRole, as Prometheus would have.
	metricsToken string
	out          io.Writer
	cancel       context.CancelFunc
}

// Install renders the chart, applies it to the cluster with the webhooks
// pointed at a Service on the host, and starts replicas manager processes
// that run as the chart's ServiceAccount. It returns once every replica is
// ready. Manager logs go to files under the cluster's Dir.
func Install(ctx context.Context, c *Cluster, bins Binaries, replicas int, out io.Writer, set ...string) (*Wavegate, error) {
	return install(ctx, c, bins, replicas, out, nil, set)
}

// InstallAgent is Install with the chart in agent mode for region: the
// manager processes reach their hub with the kubeconfig file hubKubeconfig
// (where the chart would mount the Secret).
func InstallAgent(ctx context.Context, c *Cluster, bins Binaries, replicas int, out io.Writer, region, hubKubeconfig string, set ...string) (*Wavegate, error) {
	set = append([]string{"mode=agent", "agent.region=" + region}, set...)
	return install(ctx, c, bins, replicas, out, []string{"--hub-kubeconfig=" + hubKubeconfig}, set)
}

func install(ctx context.Context, c *Cluster, bins Binaries, replicas int, out io.Writer, extra, set []string) (*Wavegate, error) {
	// The API server presents a client certificate to webhooks (see Create):
	// install with the chart's client CA option, as a user would.
	set = append([]string{"webhook.clientCA.secretName=" + ClientCASecret}, set...)
	chart, err := RenderChart(ctx, bins.Helm, set...)
	if err != nil {
		return nil, err
	}
	args, err := chart.ManagerArgs()
	if err != nil {
		return nil, err
	}
	svc, err := NewService("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(svc.Addr)
	// localhost, not 127.0.0.1: the certificate the manager issues itself
	// names DNS names, and --cert-extra-dns-names adds this one.
	if err := chart.Install(ctx, c.Client, "https://localhost:"+port); err != nil {
		return nil, err
	}
	if err := c.waitAggregated(ctx, "wavegate-rollout-targets", "wavegate-protection-scan"); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	w := &Wavegate{Chart: chart, Service: svc, cluster: c, bins: bins, args: append(args, extra...), out: out, cancel: cancel}
	go svc.Run(runCtx)
	if w.Kubeconfig, err = c.ServiceAccountKubeconfig(ctx, Namespace, ServiceAccount, filepath.Join(c.Dir, "manager.kubeconfig")); err != nil {
		cancel()
		return nil, err
	}
	if w.metricsToken, err = c.metricsReaderToken(ctx); err != nil {
		cancel()
		return nil, err
	}
	var backends []*Backend
	for i := 0; i < replicas; i++ {
		r, err := w.newReplica(i)
		if err != nil {
			w.Stop()
			return nil, err
		}
		w.Replicas = append(w.Replicas, r)
		backends = append(backends, &Backend{Addr: r.WebhookAddr, Ready: r.Ready})
	}
	svc.SetBackends(backends...)
	var certDirs []string
	for _, r := range w.Replicas {
		certDirs = append(certDirs, r.CertDir)
	}
	go w.mountSecret(runCtx, certDirs)
	for _, r := range w.Replicas {
		if err := r.Start(); err != nil {
			w.Stop()
			return nil, err
		}
	}
	if err := w.WaitReady(ctx, 2*time.Minute); err != nil {
		var why []string
		for _, r := range w.Replicas {
			why = append(why, r.Name+": "+r.ReadinessReport())
		}
		w.Stop()
		return nil, fmt.Errorf("the replicas did not become ready: %w\n%s", err, strings.Join(why, "\n"))
	}
	return w, nil
}

// WaitReady waits until every running replica reports ready and the Service
// has seen it.
func (w *Wavegate) WaitReady(ctx context.Context, timeout time.Duration) error {
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		for _, r := range w.Replicas {
			if r.Running() && !r.Ready() {
				return false, nil
			}
		}
		time.Sleep(300 * time.Millisecond) // one Service probe period
		return true, nil
	})
}

// Leader returns the replica that holds the leader Lease, waiting up to
// timeout for one.
func (w *Wavegate) Leader(ctx context.Context, timeout time.Duration) (*Replica, error) {
	var leader *Replica
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		for _, r := range w.Replicas {
			if r.Running() && r.IsLeader() {
				leader = r
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("no replica became the leader within %s", timeout)
	}
	return leader, nil
}

// Stop stops every replica and the Service.
func (w *Wavegate) Stop() {
	for _, r := range w.Replicas {
		r.Stop()
	}
	w.cancel()
}

func (w *Wavegate) newReplica(i int) (*Replica, error) {
	ports, err := FreePorts(4)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("wavegate-manager-%d", i)
	dir := filepath.Join(w.cluster.Dir, name)
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o700); err != nil {
		return nil, err
	}
	r := &Replica{
		Name:        name,
		WebhookAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		MetricsAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		ProbeAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2])),
		PprofAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[3])),
		LogPath:     filepath.Join(dir, "manager.log"),
		CertDir:     filepath.Join(dir, "certs"),
		binary:      w.bins.Manager,
		metrics:     newMetricsClient(w.metricsToken),
	}
	// The chart's arguments, then what differs for a process on the host:
	// its ports, a certificate directory of its own (the chart mounts the
	// Secret there), and the name the API server dials.
	r.args = append(append([]string{}, w.args...),
		"--leader-election-namespace="+Namespace,
		"--webhook-port="+strconv.Itoa(ports[0]),
		"--metrics-bind-address="+r.MetricsAddr,
		"--health-probe-bind-address="+r.ProbeAddr,
		"--pprof-bind-address="+r.PprofAddr,
		"--webhook-cert-dir="+r.CertDir,
		"--cert-extra-dns-names=localhost",
		// Where the chart mounts the client CA Secret, the host has the file.
		"--client-ca-file="+w.cluster.WebhookClientCAFile,
	)
	r.env = append(os.Environ(), "KUBECONFIG="+w.Kubeconfig, "POD_NAMESPACE="+Namespace)
	return r, nil
}

// Logs returns the tail (up to max bytes) of each replica's log, by
// "name (path)".
func (w *Wavegate) Logs(max int) map[string]string {
	out := map[string]string{}
	for _, r := range w.Replicas {
		b, err := os.ReadFile(r.LogPath)
		if err != nil {
			continue
		}
		if len(b) > max {
			b = b[len(b)-max:]
		}
		out[r.Name+" ("+r.LogPath+")"] = string(b)
	}
	return out
}

// waitAggregated waits until kube-controller-manager has filled in the
// rules of the aggregated ClusterRoles, as a pod would start some seconds
// after its install: the suites then test Wavegate, not that race (which
// the protection scan covers by looking again soon in its first minute).
func (c *Cluster) waitAggregated(ctx context.Context, names ...string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, name := range names {
		err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			role := &rbacv1.ClusterRole{}
			if err := c.Client.Get(ctx, client.ObjectKey{Name: name}, role); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			return len(role.Rules) > 0, nil
		})
		if err != nil {
			return fmt.Errorf("the aggregated ClusterRole %s got no rules: %w", name, err)
		}
	}
	return nil
}

// FreePorts finds n ports on 127.0.0.1 for servers that take a number.
// Another process could take one before the server binds it; the server's
// error then says so.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// ServiceAccountKubeconfig writes a kubeconfig that authenticates with a
// token of the ServiceAccount (TokenRequest), so a process has exactly the
// permissions the chart grants it.
func (c *Cluster) ServiceAccountKubeconfig(ctx context.Context, namespace, name, path string) (string, error) {
	tr, err := c.Clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to request a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return path, WriteTokenKubeconfig(c.Config, tr.Status.Token, name, path)
}

// metricsReaderToken creates a ServiceAccount bound to the chart's
// metrics-reader ClusterRole, as an operator does for Prometheus, and
// returns a token of it.
func (c *Cluster) metricsReaderToken(ctx context.Context) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: MetricsReader}}
	if err := c.Client.Create(ctx, sa); client.IgnoreAlreadyExists(err) != nil {
		return "", err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: MetricsReader},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: MetricsReader},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: Namespace, Name: MetricsReader}},
	}
	if err := c.Client.Create(ctx, binding); client.IgnoreAlreadyExists(err) != nil {
		return "", err
	}
	tr, err := c.Clientset.CoreV1().ServiceAccounts(Namespace).CreateToken(ctx, MetricsReader, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to request a token for the metrics reader: %w", err)
	}
	return tr.Status.Token, nil
}

// ServiceAccountConfig is a rest.Config with a token of the ServiceAccount.
func (c *Cluster) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	path, err := c.ServiceAccountKubeconfig(ctx, namespace, name, filepath.Join(c.Dir, namespace+"-"+name+".kubeconfig"))
	if err != nil {
		return nil, err
	}
	return clientcmd.BuildConfigFromFlags("", path)
}

// WriteTokenKubeconfig writes a kubeconfig for the server of cfg that uses token.
func WriteTokenKubeconfig(cfg *rest.Config, token, user, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kwok"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, CertificateAuthority: cfg.CAFile}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts[user] = &clientcmdapi.Context{Cluster: "kwok", AuthInfo: user}
	kc.CurrentContext = user
	if cfg.CAData == nil && cfg.CAFile == "" {
		return errors.New("the cluster's kubeconfig has no certificate authority")
	}
	return clientcmd.WriteToFile(*kc, path)
}
