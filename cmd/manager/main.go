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

// Command manager runs Wavegate's controllers and admission webhooks.
package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/hub"
	"github.com/wavegate/wavegate/internal/logging"
	"github.com/wavegate/wavegate/internal/readiness"
	"github.com/wavegate/wavegate/internal/setup"
	"github.com/wavegate/wavegate/internal/transport"
)

// Leader election uses a Lease in Wavegate's own namespace only.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=wavegate-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// The metrics endpoint authenticates scrapers by their token and asks the
// API server whether they may get /metrics.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

type options struct {
	eventQPS                float64
	metricsAddr             string
	probeAddr               string
	pprofAddr               string
	leaderElect             bool
	leaderElectionNamespace string
	leaseDuration           time.Duration
	renewDeadline           time.Duration
	retryPeriod             time.Duration
	webhookPort             int
	webhookCertDir          string
	logFormat               string
	logLevel                string
	gracefulShutdown        time.Duration
	setup                   setup.Options
	certs                   certOptions
	tls                     transport.Options
	hubKubeconfig           string
	hubStaleness            time.Duration
}

func parseFlags(args []string) (options, error) {
	o := options{setup: setup.Defaults(), tls: transport.Options{MinVersion: transport.DefaultMinVersion}}
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443",
		"Address the metrics endpoint binds to; \"0\" disables it. It serves HTTPS with the webhook certificate, to callers whose token may get /metrics.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "0",
		"Address Go's /debug/pprof profiles are served on, plain HTTP and unauthenticated, so bind it to localhost only; \"0\" (the default) disables it.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect one active controller among replicas. Webhooks serve on every replica.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease; defaults to the pod's namespace.")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a standby waits after the leader's last renewal before it takes over.")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew before it gives up leadership; less than the lease duration.")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "How often candidates try to acquire or renew the lease (client-go adds up to 120% jitter).")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Port the admission webhook server listens on.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "/tmp/k8s-webhook-server/serving-certs", "Directory holding tls.crt and tls.key; reloaded when the files change.")
	fs.Var(&o.tls.MinVersion, "tls-min-version", "Lowest TLS version the webhook and metrics servers accept: "+strings.Join(transport.MinVersionValues(), ", ")+".")
	fs.StringVar(&o.tls.ClientCAFile, "client-ca-file", "",
		"PEM bundle of CAs; when set, the webhook server refuses any client (the API server) without a certificate signed by one of them.")
	fs.StringVar(&o.logFormat, "log-format", logging.FormatJSON, "Log format: json or console.")
	fs.StringVar(&o.logLevel, "log-level", "info", "Log level: debug, info, error, or a verbosity from 0 to 10.")
	fs.DurationVar(&o.gracefulShutdown, "graceful-shutdown-timeout", 30*time.Second, "How long to wait for in-flight work on shutdown.")
	fs.StringVar(&o.setup.PolicyDir, "policy-dir", "", "Directory of operators' own Rego policies, loaded beside the embedded ones and reloaded when they change.")
	fs.DurationVar(&o.setup.PolicyEvalTimeout, "policy-eval-timeout", o.setup.PolicyEvalTimeout,
		"Longest one evaluation of the policies may take; past it the request is denied as undecidable and counted in wavegate_policy_eval_timeouts_total (a slow custom policy must not hold every gated write).")
	fs.StringVar(&o.setup.BreakGlassGroup, "break-glass-group", o.setup.BreakGlassGroup, "Group whose members may break every freeze and protected delete (audited).")
	fs.StringVar(&o.setup.PrometheusURL, "prometheus-url", "",
		"Prometheus that ConfigRollout health checks query, such as http://prometheus.monitoring:9090. Without it every health check is unknown, which halts a rollout that has checks.")
	fs.BoolVar(&o.setup.DenyUnseenNamespaceContents, "deny-unseen-namespace-contents", false,
		"Deny a human's Namespace delete while Wavegate may not list some kind (Secrets, by default) that could hold a protected object; without it such a delete is admitted with a warning naming those kinds.")
	fs.StringVar(&o.setup.ControllerUser, "controller-user", o.setup.ControllerUser, "Wavegate's own controller identity, exempt from multi-region and change-velocity but never from freeze.")
	fs.DurationVar(&o.setup.ChangeRecordRetention, "change-record-retention", 7*24*time.Hour, "How long a change's record is kept after its newest entry; change-velocity judges the change by it until then.")
	fs.StringVar(&o.setup.AutomationScanResources, "automation-scan-resources", o.setup.AutomationScanResources, "Resources (resource[.group], comma-separated) scanned for untagged objects when an AutomationPolicy names no scope.resources. Protected objects are tracked in every kind Wavegate may list.")
	fs.StringVar(&o.hubKubeconfig, "hub-kubeconfig", "",
		"Kubeconfig of the hub. With it the manager is an agent: the gate of one regional cluster, judging by the hub's Regions, WavePlans, ConfigRollouts, Freezes and AutomationPolicies and writing change records there. Needs --region.")
	fs.StringVar(&o.setup.Region, "region", "", "An agent's region: every namespaced object of its cluster that names no region belongs to it.")
	fs.DurationVar(&o.hubStaleness, "hub-staleness", hub.DefaultStaleness,
		"How long an agent judges on its cached copy of the hub after the hub last answered; past it, gated changes are denied (the hub's Freezes are unknown).")
	fs.Float64Var(&o.eventQPS, "event-qps", float64(o.setup.EventQPS),
		"Events written per second at most (the kubelet's default, but 0 is refused rather than unlimited): a Freeze's thousand Paused Events then trail the status writes that pause the rollouts instead of competing with them.")
	fs.IntVar(&o.setup.EventBurst, "event-burst", o.setup.EventBurst, "Events written at once at most before --event-qps applies.")
	fs.IntVar(&o.setup.MaxInFlight, "max-in-flight", o.setup.MaxInFlight,
		"Gated requests this replica judges at once. Past it a request waits up to --in-flight-wait for a slot, then is refused with [wavegate:overloaded] (HTTP 429 with Retry-After, which client-go clients retry by themselves) instead of timing out.")
	fs.DurationVar(&o.setup.InFlightWait, "in-flight-wait", o.setup.InFlightWait, "How long a gated request waits for a slot under --max-in-flight before it is refused as overloaded.")
	o.certs.flags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if err := o.validateGateBounds(); err != nil {
		return o, err
	}
	if !(o.eventQPS > 0) || math.IsInf(o.eventQPS, 0) || o.eventQPS > math.MaxFloat32 {
		return o, fmt.Errorf("invalid --event-qps %g: use a positive number of Events a second, such as 50 (unlike the kubelet's, 0 does not mean unlimited)", o.eventQPS)
	}
	if o.setup.EventBurst < 1 {
		return o, fmt.Errorf("invalid --event-burst %d: use at least 1, such as 100", o.setup.EventBurst)
	}
	o.setup.EventQPS = float32(o.eventQPS)
	if o.renewDeadline >= o.leaseDuration || o.retryPeriod <= 0 || o.retryPeriod >= o.renewDeadline {
		return o, fmt.Errorf("invalid leader election timing: want 0 < --leader-elect-retry-period (%s) < --leader-elect-renew-deadline (%s) < --leader-elect-lease-duration (%s)",
			o.retryPeriod, o.renewDeadline, o.leaseDuration)
	}
	if err := o.validateAgent(); err != nil {
		return o, err
	}
	if o.webhookPort < 1 || o.webhookPort > 65535 {
		return o, fmt.Errorf("invalid --webhook-port %d: use a port from 1 to 65535", o.webhookPort)
	}
	return o, nil
}

// validateGateBounds checks the flags that bound the gate's work under
// load: each must leave the answer well within the webhook's timeout.
func (o options) validateGateBounds() error {
	switch {
	case o.setup.PolicyEvalTimeout <= 0 || o.setup.PolicyEvalTimeout >= 2*time.Second:
		return fmt.Errorf("invalid --policy-eval-timeout %s: use a positive duration under 2s, such as 250ms, so that a slow policy is cut off well within the webhook's timeout", o.setup.PolicyEvalTimeout)
	case o.setup.MaxInFlight < 1:
		return fmt.Errorf("invalid --max-in-flight %d: use at least 1, such as 16", o.setup.MaxInFlight)
	case o.setup.InFlightWait < 0 || o.setup.InFlightWait >= time.Second:
		return fmt.Errorf("invalid --in-flight-wait %s: use a duration from 0 to under 1s, such as 100ms, so that a refusal comes well within the webhook's timeout", o.setup.InFlightWait)
	}
	return nil
}

// validateAgent checks the agent flags: both or neither of --hub-kubeconfig
// and --region.
func (o options) validateAgent() error {
	switch {
	case o.hubKubeconfig == "" && o.setup.Region == "":
		return nil
	case o.hubKubeconfig == "":
		return fmt.Errorf("--region %s needs --hub-kubeconfig: an agent judges by its hub's state", o.setup.Region)
	case o.setup.Region == "":
		return errors.New("--hub-kubeconfig needs --region: the region this cluster is, such as --region eastus")
	case len(validation.IsDNS1123Label(o.setup.Region)) > 0:
		return fmt.Errorf("invalid --region %q: a region name is a DNS label (%s)", o.setup.Region, strings.Join(validation.IsDNS1123Label(o.setup.Region), "; "))
	case o.hubStaleness <= 0:
		return fmt.Errorf("invalid --hub-staleness %s: use a positive duration such as 5m", o.hubStaleness)
	}
	return nil
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log, err := logging.New(opts.logFormat, opts.logLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(log)
	klog.SetLogger(log)
	if err := run(opts); err != nil {
		log.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(wavegatev1alpha1.AddToScheme(s))
	return s
}

// controllers registers a hub's controllers, or an agent's connection to its
// hub (and then opts.setup.Hub is set, for the webhooks registered later).
func controllers(mgr ctrl.Manager, opts *options) error {
	if opts.hubKubeconfig == "" {
		return setup.Controllers(mgr, opts.setup)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", opts.hubKubeconfig)
	if err != nil {
		return fmt.Errorf("failed to read --hub-kubeconfig %s: %w", opts.hubKubeconfig, err)
	}
	h, err := hub.New(cfg, mgr.GetScheme(), setup.CacheOptions(), opts.hubStaleness)
	if err != nil {
		return err
	}
	opts.setup.Hub = h
	return setup.AgentControllers(mgr, opts.setup)
}

// managerOptions are the manager's options; every TLS server it runs (the
// webhook server and the metrics server) gets its settings from servers.
func managerOptions(opts options, servers *transport.Servers) ctrl.Options {
	return ctrl.Options{
		Scheme: newScheme(),
		Cache:  setup.CacheOptions(),
		Metrics: metricsserver.Options{
			BindAddress:    opts.metricsAddr,
			SecureServing:  true,
			FilterProvider: filters.WithAuthenticationAndAuthorization,
			TLSOpts:        servers.Metrics(),
		},
		// The probes are plain HTTP for the kubelet; Go's server speaks no
		// HTTP/2 without TLS.
		HealthProbeBindAddress:  opts.probeAddr,
		PprofBindAddress:        opts.pprofAddr,
		LeaderElection:          opts.leaderElect,
		LeaderElectionID:        "wavegate-manager.wavegate.io",
		LeaderElectionNamespace: opts.leaderElectionNamespace,
		LeaseDuration:           &opts.leaseDuration,
		RenewDeadline:           &opts.renewDeadline,
		RetryPeriod:             &opts.retryPeriod,
		// Release the lease on shutdown so a standby replica takes over at once.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &opts.gracefulShutdown,
		WebhookServer: webhook.NewServer(webhook.Options{
			Port:    opts.webhookPort,
			CertDir: opts.webhookCertDir,
			TLSOpts: servers.Webhook(),
		}),
	}
}

func run(opts options) error {
	log := ctrl.Log.WithName("setup")
	servers, err := transport.NewServers(opts.tls, opts.webhookCertDir)
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), managerOptions(opts, servers))
	if err != nil {
		return fmt.Errorf("failed to create the manager: %w", err)
	}

	// One Event writer, and its rate, for the controllers and the webhooks.
	// It stops after the manager: the Events of the last reconciles and
	// admissions are written, for a few seconds at most (the pod's grace
	// period allows for them).
	if opts.setup.Events, err = setup.NewRecorders(mgr, opts.setup); err != nil {
		return err
	}
	defer opts.setup.Events.StopWithin()
	if err := controllers(mgr, &opts); err != nil {
		return err
	}
	// The webhooks are registered once a certificate is on disk: with
	// rotation on, Wavegate creates it first (and keeps renewing it).
	certsReady, err := opts.certs.setup(mgr, opts.webhookCertDir)
	if err != nil {
		return err
	}
	facts := &readiness.Deferred{}
	opts.setup.AddReadyz = func(_ string, check healthz.Checker) error {
		facts.Set(check)
		return nil
	}
	if err := mgr.AddReadyzCheck("facts", facts.Check); err != nil {
		return fmt.Errorf("failed to add the facts readiness check: %w", err)
	}
	go func() {
		<-certsReady
		if err := setup.Webhooks(mgr, opts.setup); err != nil {
			log.Error(err, "Failed to register the webhooks")
			os.Exit(1)
		}
	}()

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("failed to add the liveness check: %w", err)
	}
	// Ready only once the webhook serves its certificate and the caches synced.
	if err := mgr.AddReadyzCheck("webhook", webhookReady(opts.webhookPort, servers.ProbeClient(), certsReady)); err != nil {
		return fmt.Errorf("failed to add the webhook readiness check: %w", err)
	}
	if err := mgr.AddReadyzCheck("caches", readiness.CachesSynced(mgr.GetCache(), time.Second)); err != nil {
		return fmt.Errorf("failed to add the cache readiness check: %w", err)
	}

	log.Info("Starting manager", "webhookPort", opts.webhookPort, "leaderElect", opts.leaderElect,
		"tlsMinVersion", opts.tls.MinVersion.String(), "clientCertificates", servers.RequiresClientCertificates())
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("manager exited: %w", err)
	}
	log.Info("Manager stopped cleanly")
	return nil
}
