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

package setup

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/wavegate/wavegate/controllers/automationpolicy"
	"github.com/wavegate/wavegate/controllers/changerecord"
	"github.com/wavegate/wavegate/controllers/freeze"
	"github.com/wavegate/wavegate/controllers/region"
	"github.com/wavegate/wavegate/controllers/rollout"
	"github.com/wavegate/wavegate/controllers/webhook"
	"github.com/wavegate/wavegate/internal/access"
	"github.com/wavegate/wavegate/internal/clusters"
	"github.com/wavegate/wavegate/internal/gate"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/health"
	"github.com/wavegate/wavegate/internal/hub"
	"github.com/wavegate/wavegate/internal/recorder"
	"github.com/wavegate/wavegate/internal/replica"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=changerecords,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// DefaultAutomationScanResources are scanned for untagged objects when an
// AutomationPolicy names no scope.resources. Protected objects are tracked in
// every kind Wavegate may list (facts.ProtectionScan), not only these.
const DefaultAutomationScanResources = webhookconfig.DefaultResources

// CacheOptions are the manager cache's options. Every informer drops
// managedFields as it stores an object: nothing in Wavegate reads them, and
// they are often the larger half of a small object such as a ConfigMap.
func CacheOptions() cache.Options {
	return cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
}

// Options configures what the manager runs.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PolicyDir holds operators' own Rego policies, loaded beside the embedded ones.
	PolicyDir string
	// PolicyEvalTimeout bounds one evaluation of the policies; past it the
	// request is denied as undecidable. Zero: no bound.
	PolicyEvalTimeout time.Duration
	// BreakGlassGroup may break every freeze and protected delete.
	BreakGlassGroup string
	// PrometheusURL is where health checks are read; empty means none is
	// configured, and every health check is unknown (unhealthy).
	PrometheusURL string
	// DenyUnseenNamespaceContents denies a human's Namespace delete while
	// some kind that could hold a protected object cannot be listed.
	DenyUnseenNamespaceContents bool
	// ControllerUser is Wavegate's own controller identity.
	ControllerUser string
	// AutomationScanResources is a comma-separated list of resource[.group]:
	// the kinds scanned for an AutomationPolicy without scope.resources.
	AutomationScanResources string
	// RolloutPatcher patches rollout targets; nil means the manager's client,
	// whose identity is the controller's. Tests pass an impersonating client.
	RolloutPatcher client.Client
	// MaxRequeue bounds how long a rollout waits before it is looked at again.
	MaxRequeue time.Duration
	// TargetRelistAfter is rollout.Reconciler.RelistAfter; zero: its default.
	TargetRelistAfter time.Duration
	// ChangeRecordRetention is how long a change's record outlives its
	// newest entry.
	ChangeRecordRetention time.Duration
	// GateConfiguration is the name of the gate's
	// ValidatingWebhookConfiguration, whose delete-automation identities the
	// leader keeps current; "" means webhookconfig.Name.
	GateConfiguration string
	// AddReadyz registers a readiness check; nil means mgr.AddReadyzCheck.
	// The manager sets it when it registers the webhooks after it started.
	AddReadyz func(name string, check healthz.Checker) error
	// Hub makes the manager an agent: the gate of one regional cluster,
	// judging by the hub's state (and its own cluster's Freezes) and
	// writing change records to the hub. nil: the manager is a hub.
	Hub *hub.Hub
	// Region is an agent's region: every namespaced object of its cluster
	// that names no region belongs to it.
	Region string
	// EventQPS and EventBurst bound how fast the manager writes Events, so
	// that a Freeze's thousand Paused Events do not hold up the status
	// writes that pause the rollouts (package recorder).
	EventQPS   float32
	EventBurst int
	// MaxInFlight bounds the requests the gate judges at once on this
	// replica; past it a request waits InFlightWait for a slot, then is
	// refused as overloaded. Zero: no bound.
	MaxInFlight  int
	InFlightWait time.Duration
	// Events makes the manager's Event recorders, which the caller stops
	// after the manager (NewRecorders); nil: each setup function makes its
	// own, stopped with mgr (Manager makes one for all of them).
	Events *recorder.Provider
}

// Defaults returns the options the manager's flags default to.
func Defaults() Options {
	return Options{
		BreakGlassGroup:         "wavegate:break-glass",
		ControllerUser:          "system:serviceaccount:wavegate-system:wavegate-manager",
		AutomationScanResources: DefaultAutomationScanResources,
		MaxRequeue:              30 * time.Second,
		// The kubelet's defaults for its own Events.
		EventQPS:          50,
		EventBurst:        100,
		MaxInFlight:       16,
		InFlightWait:      0,
		PolicyEvalTimeout: 250 * time.Millisecond,
	}
}

// ForTests are the options the integration suites run with: an injected
// clock, protection tracked on ConfigMaps only, and a short requeue so a
// moved clock is read again quickly.
func ForTests(now func() time.Time) Options {
	o := Defaults()
	o.Now = now
	o.AutomationScanResources = "configmaps"
	o.MaxRequeue = 100 * time.Millisecond
	return o
}

// withDefaults fills every unset option from Defaults, so a zero Options is
// safe: an empty controller identity must never match anyone.
func (o Options) withDefaults() Options {
	d := Defaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BreakGlassGroup == "" {
		o.BreakGlassGroup = d.BreakGlassGroup
	}
	if o.ControllerUser == "" {
		o.ControllerUser = d.ControllerUser
	}
	if o.AutomationScanResources == "" {
		o.AutomationScanResources = d.AutomationScanResources
	}
	if o.MaxRequeue <= 0 {
		o.MaxRequeue = d.MaxRequeue
	}
	if o.EventQPS == 0 {
		o.EventQPS = d.EventQPS
	}
	if o.EventBurst == 0 {
		o.EventBurst = d.EventBurst
	}
	if o.ChangeRecordRetention <= 0 {
		o.ChangeRecordRetention = 7 * 24 * time.Hour
	}
	if o.GateConfiguration == "" {
		o.GateConfiguration = webhookconfig.Name
	}
	return o
}

// Manager registers every webhook and controller with mgr.
func Manager(mgr ctrl.Manager, opts Options) error {
	var err error
	if opts.Events, err = opts.recorders(mgr); err != nil {
		return err
	}
	if err := Webhooks(mgr, opts); err != nil {
		return err
	}
	return Controllers(mgr, opts)
}

// NewRecorders makes the Event recorders of mgr, writing at most
// opts.EventQPS Events a second. They are not one of mgr's runnables: a
// manager stops those before its controllers and webhooks have finished,
// whose last Events would be lost. The caller stops them once the manager
// has stopped (cmd/manager does); left running, they write until the
// process exits.
func NewRecorders(mgr ctrl.Manager, opts Options) (*recorder.Provider, error) {
	opts = opts.withDefaults()
	return recorder.New(mgr.GetConfig(), mgr.GetHTTPClient(), mgr.GetScheme(), opts.EventQPS, opts.EventBurst)
}

// recorders returns opts.Events, or, for a caller that made none, makes
// recorders that mgr stops when it stops (their Events written in the last
// moments may be lost: NewRecorders says why). Manager makes them once for
// its webhooks and controllers; a caller of Webhooks and Controllers
// separately should pass one Events to both.
func (o Options) recorders(mgr ctrl.Manager) (*recorder.Provider, error) {
	if o.Events != nil {
		return o.Events, nil
	}
	p, err := NewRecorders(mgr, o)
	if err != nil {
		return nil, err
	}
	return p, mgr.Add(replica.Runnable(func(ctx context.Context) error {
		<-ctx.Done()
		p.StopWithin()
		return nil
	}))
}

// Webhooks registers the typed validators and the admission gate.
func Webhooks(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	// The inventory a Wavegate object is validated against is the hub's.
	inventory := mgr.GetAPIReader()
	if opts.Hub != nil {
		inventory = opts.Hub.GetAPIReader()
	}
	if err := webhook.SetupValidators(mgr, inventory, opts.Hub != nil, opts.Now); err != nil {
		return fmt.Errorf("failed to register the validating webhooks: %w", err)
	}
	return setupGate(mgr, opts)
}

// Controllers registers the reconcilers; they run on the elected leader only.
func Controllers(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	var err error
	if opts.Events, err = opts.recorders(mgr); err != nil {
		return err
	}
	// One connection per regional cluster, shared by the Region controller
	// (which probes it) and the rollout controller (which patches through it).
	regional := &clusters.Registry{Secrets: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), CacheOptions: CacheOptions()}
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		regional.Stop()
		return nil
	})); err != nil {
		return err
	}
	if err := setupRollouts(mgr, opts, regional); err != nil {
		return err
	}
	fr := &freeze.Reconciler{
		Reader: mgr.GetCache(), Client: mgr.GetClient(), Recorder: opts.Events.For("wavegate-freeze"),
		Now: opts.Now, MaxRequeue: opts.MaxRequeue,
	}
	if err := fr.SetupWithManager(context.Background(), mgr); err != nil {
		return fmt.Errorf("failed to set up the Freeze controller: %w", err)
	}
	rg := &region.Reconciler{Reader: mgr.GetCache(), Client: mgr.GetClient(), Now: opts.Now, Clusters: regional}
	if err := rg.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the Region controller: %w", err)
	}
	resources, err := parseResources(opts.AutomationScanResources)
	if err != nil {
		return err
	}
	ap := &automationpolicy.Reconciler{
		Reader: mgr.GetCache(), Client: mgr.GetClient(), Mapper: mgr.GetRESTMapper(), DefaultResources: resources,
		MayList: access.Remembered(func(ctx context.Context, gr schema.GroupResource) (bool, error) {
			return access.MayListAndWatch(ctx, mgr.GetClient(), gr)
		}, 10*time.Second, time.Now),
	}
	if err := ap.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the AutomationPolicy controller: %w", err)
	}
	gc := &changerecord.Reconciler{
		Reader: mgr.GetCache(), Client: mgr.GetClient(), Now: opts.Now, Retention: opts.ChangeRecordRetention, MaxRequeue: opts.MaxRequeue,
	}
	if err := gc.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the ChangeRecord collector: %w", err)
	}
	return AutomationIdentities(mgr, opts)
}

// AutomationIdentities registers the controller that keeps the gate's
// delete-automation identities current; it runs on the elected leader.
func AutomationIdentities(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	ai := &webhook.AutomationIdentities{Reader: mgr.GetCache(), Client: mgr.GetClient(), Name: opts.GateConfiguration}
	if err := ai.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the delete-automation identities of the gate: %w", err)
	}
	return nil
}

// setupRollouts registers the ConfigRollout controller.
func setupRollouts(mgr ctrl.Manager, opts Options, regional *clusters.Registry) error {
	patcher := opts.RolloutPatcher
	if patcher == nil {
		patcher = mgr.GetClient()
	}
	var source health.Source = health.Unconfigured{}
	if opts.PrometheusURL != "" {
		p, err := health.NewPrometheus(opts.PrometheusURL, 5*time.Second)
		if err != nil {
			return err
		}
		source = p
	}
	r := &rollout.Reconciler{
		Health:     source,
		Clusters:   regional,
		Reader:     mgr.GetCache(),
		Live:       mgr.GetAPIReader(),
		Client:     mgr.GetClient(),
		Patcher:    patcher,
		Recorder:   opts.Events.For("wavegate-rollout"),
		Now:        opts.Now,
		MaxRequeue: opts.MaxRequeue,
		// Zero in production: the reconciler's default.
		RelistAfter: opts.TargetRelistAfter,
		// Remembered briefly: every reconcile asks, and a ClusterRole
		// aggregated later should count within seconds.
		MayTarget: access.Remembered(func(ctx context.Context, gr schema.GroupResource) (bool, error) {
			return access.May(ctx, mgr.GetClient(), gr, "get", "list", "watch", "patch")
		}, 10*time.Second, time.Now),
	}
	if err := r.SetupWithManager(context.Background(), mgr); err != nil {
		return fmt.Errorf("failed to set up the ConfigRollout controller: %w", err)
	}
	return nil
}

// setupGate registers the Rego-backed admission gate and the facts it reads.
func setupGate(mgr ctrl.Manager, opts Options) error {
	handler, err := NewGateHandler(mgr, opts)
	if err != nil {
		return err
	}
	mgr.GetWebhookServer().Register(webhook.GatePath, &ctrlwebhook.Admission{Handler: handler})
	addReadyz := opts.AddReadyz
	if addReadyz == nil {
		addReadyz = mgr.AddReadyzCheck
	}
	return addReadyz("facts", func(*http.Request) error {
		if !handler.Synced() {
			return errors.New("the admission facts have not synced yet")
		}
		return nil
	})
}

// NewGateHandler builds the admission gate (gate.ForManager: the engine
// and the facts index fed by mgr's informers on every replica) and the
// webhook handler that serves it. It registers the runnables it needs with
// mgr but serves nothing; the caller decides where requests come from.
func NewGateHandler(mgr ctrl.Manager, opts Options) (*webhook.GateHandler, error) {
	opts = opts.withDefaults()
	var err error
	if opts.Events, err = opts.recorders(mgr); err != nil {
		return nil, err
	}
	g, synced, err := gate.ForManager(mgr, gate.Options{
		Now: opts.Now, PolicyDir: opts.PolicyDir, PolicyEvalTimeout: opts.PolicyEvalTimeout, ControllerUser: opts.ControllerUser,
		BreakGlassGroup: opts.BreakGlassGroup, DenyUnseen: opts.DenyUnseenNamespaceContents,
		Hub: opts.Hub, Region: opts.Region,
	})
	if err != nil {
		return nil, err
	}
	h := &webhook.GateHandler{
		Gate:     g,
		Synced:   synced,
		Recorder: opts.Events.For("wavegate-gate"),
		Log:      mgr.GetLogger().WithName("gate"),
	}
	if opts.MaxInFlight > 0 {
		h.Limit = gate.NewLimiter(opts.MaxInFlight, opts.InFlightWait)
	}
	if opts.Hub != nil {
		h.Stale = func() error { return opts.Hub.Stale(opts.Region) }
	}
	return h, nil
}

// AgentControllers registers what an agent runs besides its webhooks (which
// Webhooks registers, as on a hub): the connection to its hub and, on the
// leader, the controller that keeps the gate's delete-automation identities
// current from the hub's AutomationPolicies. An agent runs no rollout,
// Region, Freeze or AutomationPolicy controller: those run on the hub.
func AgentControllers(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	var err error
	if opts.Events, err = opts.recorders(mgr); err != nil {
		return err
	}
	if opts.Hub == nil || opts.Region == "" {
		return errors.New("an agent needs its hub (--hub-kubeconfig) and its region (--region)")
	}
	if err := mgr.Add(opts.Hub.Runnable()); err != nil {
		return err
	}
	// The agent's own Freezes get their status (Active) here, so that
	// `wavegate pause` against the regional cluster sees them take effect.
	fr := &freeze.Reconciler{Reader: mgr.GetCache(), Client: mgr.GetClient(), Recorder: opts.Events.For("wavegate-freeze"),
		Now: opts.Now, MaxRequeue: opts.MaxRequeue}
	if err := fr.SetupWithManager(context.Background(), mgr); err != nil {
		return fmt.Errorf("failed to set up the Freeze controller: %w", err)
	}
	ai := &webhook.AutomationIdentities{Reader: mgr.GetCache(), Client: mgr.GetClient(), Name: opts.GateConfiguration, Policies: opts.Hub.GetCache()}
	if err := ai.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the delete-automation identities of the gate: %w", err)
	}
	return nil
}

// ServeGate registers g on srv at the gate's path, as the manager serves it,
// for servers built outside a manager (the load generator).
func ServeGate(srv ctrlwebhook.Server, g *gate.Gate, log logr.Logger) {
	srv.Register(webhook.GatePath, &ctrlwebhook.Admission{Handler: &webhook.GateHandler{
		Gate: g, Synced: func() bool { return true }, Log: log,
	}})
}

// parseResources reads "configmaps,deployments.apps" into group-resources.
func parseResources(list string) ([]schema.GroupResource, error) {
	var out []schema.GroupResource
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		resource, group, _ := strings.Cut(item, ".")
		if resource == "" {
			return nil, fmt.Errorf("invalid --automation-scan-resources entry %q: use resource or resource.group, such as deployments.apps", item)
		}
		out = append(out, schema.GroupResource{Group: group, Resource: resource})
	}
	return out, nil
}
