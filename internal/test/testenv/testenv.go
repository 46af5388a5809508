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

package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/logging"
	"github.com/wavegate/wavegate/internal/manifest"
)

// Env is a running control plane with a manager serving Wavegate's webhooks.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is an uncached client, so tests read what the API server holds.
	Client client.Client
	// Scheme knows the built-in kinds and Wavegate's.
	Scheme *k8sruntime.Scheme

	env     *envtest.Environment
	cancel  context.CancelFunc
	done    chan error
	stopped sync.Once
}

// Manager is the manager that serves the webhooks.
type Manager = ctrl.Manager

// Setup registers webhooks or controllers with the manager.
type Setup func(mgr Manager) error

// RepoRoot is the directory that holds go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// NewScheme returns a scheme with the built-in kinds and Wavegate's.
func NewScheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(wavegatev1alpha1.AddToScheme(s))
	return s
}

// Start boots the control plane, installs the CRDs and webhook configuration
// from config/, and runs a manager with the given setups until Stop.
func Start(setups ...Setup) (*Env, error) {
	// Errors only: the suites assert on behaviour, and a quiet log keeps failures readable.
	logger, err := logging.New(logging.FormatConsole, "error")
	if err != nil {
		return nil, err
	}
	return StartWithLogger(logger, setups...)
}

// StartWithLogger is Start with the logger controller-runtime uses.
func StartWithLogger(logger logr.Logger, setups ...Setup) (*Env, error) {
	return start(logger, []string{filepath.Join(RepoRoot(), "config", "webhook")}, setups)
}

// StartAgentCluster is Start for a regional cluster whose gate is an agent:
// the webhook configuration installed is the agent's (config/agent).
func StartAgentCluster(setups ...Setup) (*Env, error) {
	logger, err := logging.New(logging.FormatConsole, "error")
	if err != nil {
		return nil, err
	}
	root := RepoRoot()
	return start(logger, []string{
		filepath.Join(root, "config", "webhook", "manifests.yaml"),
		filepath.Join(root, "config", "agent", "gate.yaml"),
	}, setups)
}

func start(logger logr.Logger, webhookPaths []string, setups []Setup) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run the integration tests with 'make test', " +
			"which builds kube-apiserver and etcd into bin/k8s and points KUBEBUILDER_ASSETS at them")
	}
	logf.SetLogger(logger)
	root := RepoRoot()
	e := &Env{Scheme: NewScheme(), done: make(chan error, 1)}
	e.env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{Paths: webhookPaths},
	}
	cfg, err := e.env.Start()
	if err != nil {
		// Start may fail after etcd and kube-apiserver are up (a CRD the API
		// server rejects), so stop whatever did start.
		return nil, errors.Join(fmt.Errorf("failed to start envtest: %w", err), e.env.Stop())
	}
	e.Config = cfg
	if e.Client, err = client.New(cfg, client.Options{Scheme: e.Scheme}); err != nil {
		return nil, errors.Join(fmt.Errorf("failed to create the test client: %w", err), e.env.Stop())
	}
	if setups == nil {
		return e, nil
	}
	if err := e.startManager(setups); err != nil {
		return nil, errors.Join(err, e.env.Stop())
	}
	return e, nil
}

// StartWithoutWebhookServer boots the control plane with the CRDs and the
// webhook configuration installed, but with nothing serving the webhooks, as
// during an outage of every Wavegate replica.
func StartWithoutWebhookServer() (*Env, error) {
	logger, err := logging.New(logging.FormatConsole, "error")
	if err != nil {
		return nil, err
	}
	return StartWithLogger(logger)
}

func (e *Env) startManager(setups []Setup) error {
	wh := e.env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{
		Scheme:                 e.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Several managers (a hub's and its agents') may run in one process.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wh.LocalServingHost, Port: wh.LocalServingPort, CertDir: wh.LocalServingCertDir,
		}),
	})
	if err != nil {
		return fmt.Errorf("failed to create the test manager: %w", err)
	}
	for _, setup := range setups {
		if err := setup(mgr); err != nil {
			return fmt.Errorf("failed to set up the test manager: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.done <- mgr.Start(ctx) }()
	if err := waitForWebhookServer(ctx, wh.LocalServingHost, wh.LocalServingPort); err != nil {
		return err
	}
	// The gate denies until its informers have synced; wait for them so the
	// first request is judged, not refused.
	syncCtx, cancelSync := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSync()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		return errors.New("the manager's caches did not sync within 30s")
	}
	return nil
}

// waitForWebhookServer returns once the webhook server accepts TLS connections.
func waitForWebhookServer(ctx context.Context, host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	dialer := &net.Dialer{Timeout: time.Second}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a local readiness probe
		if err != nil {
			return false, nil //nolint:nilerr // not listening yet: poll again
		}
		return true, conn.Close()
	})
	if err != nil {
		return fmt.Errorf("the webhook server on %s did not start: %w", addr, err)
	}
	return nil
}

// Stop stops the manager, then the control plane.
func (e *Env) Stop() error {
	var err error
	e.stopped.Do(func() {
		if e.cancel != nil {
			e.cancel()
			err = <-e.done
		}
		err = errors.Join(err, e.env.Stop())
	})
	return err
}

// Warnings collects the warnings the API server returns to a client.
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// HandleWarningHeaderWithContext implements rest.WarningHandlerWithContext.
func (w *Warnings) HandleWarningHeaderWithContext(_ context.Context, code int, _, text string) {
	if code != 299 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// Take returns the warnings seen since the last call and forgets them.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	msgs := w.msgs
	w.msgs = nil
	return msgs
}

// ClientWithWarnings returns an uncached client whose warnings are collected.
func (e *Env) ClientWithWarnings() (client.Client, *Warnings, error) {
	w := &Warnings{}
	cfg := rest.CopyConfig(e.Config)
	cfg.WarningHandlerWithContext = w
	c, err := client.New(cfg, client.Options{Scheme: e.Scheme})
	return c, w, err
}

// Main runs a package's tests against one shared Env and returns the exit
// code for os.Exit. *env is set before the tests run.
func Main(m interface{ Run() int }, env **Env, setups ...Setup) int {
	// Shared CI machines are slow and noisy: a status or a watch event may
	// take seconds to arrive. Eventually waits that long; assertions about
	// speed set their own timeout.
	gomega.SetDefaultEventuallyTimeout(20 * time.Second)
	gomega.SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	e, err := Start(setups...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*env = e
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "failed to stop envtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// WriteKubeconfig writes a kubeconfig for a cluster administrator to path, so
// kubectl and the wavegate CLI can reach the local control plane.
func (e *Env) WriteKubeconfig(path string) error {
	return e.WriteKubeconfigFor(path, "wavegate-admin", "system:masters")
}

// WriteKubeconfigFor writes a kubeconfig for name, a member of groups, to
// path: a user with only the rights RBAC gives it.
func (e *Env) WriteKubeconfigFor(path, name string, groups ...string) error {
	user, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return fmt.Errorf("failed to add the user %s: %w", name, err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("failed to render the kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// AppliedFile is one manifest file that ApplyDir applied.
type AppliedFile struct {
	Name    string
	Objects []*unstructured.Unstructured
}

// ApplyDir applies the numbered *.yaml files of dir (10-regions.yaml, ...) in
// name order, each object with server-side apply, as
// `kubectl apply --server-side -f` would. It stops at the first object the
// API server rejects.
func ApplyDir(ctx context.Context, c client.Client, dir, fieldOwner string) ([]AppliedFile, error) {
	files, err := filepath.Glob(filepath.Join(dir, "[0-9]*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no manifests found in %s", dir)
	}
	applied := make([]AppliedFile, 0, len(files))
	for _, file := range files {
		objs, err := manifest.ReadFile(file)
		if err != nil {
			return applied, err
		}
		for _, obj := range objs {
			ac := client.ApplyConfigurationFromUnstructured(obj)
			if err := c.Apply(ctx, ac, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
				return applied, fmt.Errorf("%s: %s %s was rejected: %w", filepath.Base(file), obj.GetKind(), obj.GetName(), err)
			}
		}
		applied = append(applied, AppliedFile{Name: filepath.Base(file), Objects: objs})
	}
	return applied, nil
}
