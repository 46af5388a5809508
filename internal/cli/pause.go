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

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// ExitFrozenWithoutGate is pause's exit code when the Freeze is created and
// in force at the API server, but no Wavegate replica is ready to pause
// rollouts or to report it active.
const ExitFrozenWithoutGate = 3

// FrozenWithoutGateError is a pause whose Freeze is in force while no
// Wavegate replica is ready: exit code ExitFrozenWithoutGate.
type FrozenWithoutGateError struct {
	// Freeze is the name of the Freeze created.
	Freeze string
	// Why says how pause knows that no replica is ready.
	Why string
}

func (e *FrozenWithoutGateError) Error() string {
	return fmt.Sprintf("Freeze %s is created and in force at the API server, but no Wavegate replica is ready (%s): "+
		"the webhooks fail closed, so every gated change is denied, but no rollout is paused and nothing reports the Freeze "+
		"until a replica is back; bring the manager back (docs/runbook.md)", e.Freeze, e.Why)
}

// ExitCode is ExitFrozenWithoutGate.
func (e *FrozenWithoutGateError) ExitCode() int { return ExitFrozenWithoutGate }

// The names the chart and the kustomize install give the manager's webhook
// Service and its leader election Lease (cmd/manager's LeaderElectionID).
const (
	webhookService = "wavegate-webhook-service"
	leaderLease    = "wavegate-manager.wavegate.io"
)

type pauseOptions struct {
	allRegions  bool
	regions     []string
	reason      string
	ticket      string
	expires     time.Duration
	exemptGroup []string
	name        string
	timeout     time.Duration
	namespace   string
}

func newPauseCommand(o *options) *cobra.Command {
	p := &pauseOptions{}
	cmd := &cobra.Command{
		Use:   "pause (--all-regions | --region R...) --reason TEXT",
		Short: "Stop every rollout and gated change in some regions or all, with a Freeze",
		Long: `Stop every rollout and gated change in some regions or all, with a Freeze.

pause creates the Freeze and waits until a Wavegate controller reports it
active. The Freeze is in force as soon as it is created: the gate judges
every change against it, and while no replica answers, the webhooks fail
closed and deny every gated change.

Exit codes:
  0  the Freeze is active; its name and how many rollouts paused are printed
  1  the Freeze could not be created, or no controller reported it active
     within --timeout while a replica looked ready (or pause could not tell)
  2  bad usage or bad input
  3  the Freeze is created and in force at the API server, but no Wavegate
     replica is ready (the webhook Service has no ready endpoint), so no
     rollout is paused and nothing reports it; said within a few seconds.
     Do not create another Freeze: bring the manager back (docs/runbook.md)`,
		Example: `  wavegate pause --region centralus --reason "Central US storage outage" --ticket INC-12345
  wavegate pause --all-regions --reason "Global incident: stop all deployments" --expires 4h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			frz, err := p.freeze(time.Now())
			if err != nil {
				return err
			}
			c, server, err := o.newClient()
			if err != nil {
				return err
			}
			return o.pause(cmd.Context(), c, server, frz, p.timeout, p.namespace)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&p.allRegions, "all-regions", false, "Freeze every region.")
	f.StringSliceVar(&p.regions, "region", nil, "Freeze this region; repeat or separate with commas.")
	f.StringVar(&p.reason, "reason", "", "Why changes stop (at least 10 characters); quoted in every denial. Required.")
	f.StringVar(&p.ticket, "ticket", "", "The incident or change ticket.")
	f.DurationVar(&p.expires, "expires", 0, "End the freeze by itself after this long, such as 4h.")
	f.StringSliceVar(&p.exemptGroup, "exempt-group", nil, "A group that may break the glass for this freeze.")
	f.StringVar(&p.name, "name", "", "Name of the Freeze; generated from the time and regions by default.")
	f.DurationVar(&p.timeout, "timeout", 30*time.Second, "How long to wait for the freeze to be active while a Wavegate replica is ready.")
	f.StringVar(&p.namespace, "wavegate-namespace", "wavegate-system", "The namespace Wavegate is installed in: where pause looks for a ready replica.")
	o.outputFlag(cmd, "table", "json")
	return cmd
}

// freeze validates the flags and builds the Freeze.
func (p *pauseOptions) freeze(now time.Time) (*wavegatev1alpha1.Freeze, error) {
	switch {
	case p.allRegions && len(p.regions) > 0:
		return nil, usagef("use either --all-regions or --region, not both")
	case !p.allRegions && len(p.regions) == 0:
		return nil, usagef("say what to freeze: --all-regions, or --region R (repeatable)")
	case strings.TrimSpace(p.reason) == "":
		return nil, usagef("--reason is required: say why changes stop, in at least 10 characters; it is quoted in every denial")
	case len(p.reason) < 10:
		return nil, usagef("--reason %q is too short: use at least 10 characters", p.reason)
	case p.expires < 0:
		return nil, usagef("--expires must be positive, such as 4h")
	}
	regions := p.regions
	if p.allRegions {
		regions = []string{wavegatev1alpha1.AllRegions}
	}
	name := p.name
	if name == "" {
		scope := "all-regions"
		if !p.allRegions {
			scope = strings.Join(p.regions, "-")
		}
		name = fmt.Sprintf("pause-%s-%s", now.UTC().Format("20060102-150405"), scope)
		if len(name) > 63 {
			name = name[:63]
		}
		name = strings.TrimRight(name, "-")
	}
	frz := &wavegatev1alpha1.Freeze{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "wavegate-cli"}},
		Spec: wavegatev1alpha1.FreezeSpec{
			Regions: regions, Reason: p.reason, Ticket: p.ticket,
			Exemptions: wavegatev1alpha1.Exemptions{Groups: p.exemptGroup},
		},
	}
	if p.expires > 0 {
		frz.Spec.ExpiresAt = &metav1.Time{Time: now.Add(p.expires).Truncate(time.Second)}
	}
	return frz, nil
}

// replicaProbeAfter is how long pause gives a running controller to report
// the Freeze active before it asks whether any replica is ready at all.
const replicaProbeAfter = time.Second

// pause creates the Freeze, waits until it is active and its count of paused
// rollouts settles, and reports it. When no Wavegate replica is ready it
// says so within seconds (FrozenWithoutGateError) instead of waiting out the
// timeout, which a script would read as a failed pause.
func (o *options) pause(ctx context.Context, c client.Client, server string, frz *wavegatev1alpha1.Freeze, timeout time.Duration, namespace string) error {
	if err := c.Create(ctx, frz); err != nil {
		return fmt.Errorf("failed to create Freeze %s: %w", frz.Name, reachable(server, err))
	}
	fmt.Fprintf(o.errOut(), "Freeze %s created; waiting for it to be active\n", frz.Name)
	if err := waitActive(ctx, c, frz, timeout, namespace); err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(frz)
	// The gate enforces the freeze already; give the rollouts a moment to
	// report that they paused, so the count is not zero by haste.
	settle := time.Now().Add(2 * time.Second)
	last := int32(-1)
	for time.Now().Before(settle) && frz.Status.PausedRollouts != last {
		last = frz.Status.PausedRollouts
		time.Sleep(500 * time.Millisecond)
		if err := c.Get(ctx, key, frz); err != nil {
			return err
		}
	}
	if o.output == "json" {
		return o.printJSON(frz)
	}
	fmt.Fprintf(o.out, "Freeze %s is active: %s frozen; %d rollouts paused\n", frz.Name, describeRegions(frz.Spec.Regions), frz.Status.PausedRollouts)
	return nil
}

// waitActive polls the Freeze until a controller reports it active. Once
// the controller has had replicaProbeAfter, it asks whether any replica is
// ready, and returns a FrozenWithoutGateError at once if none is.
func waitActive(ctx context.Context, c client.Client, frz *wavegatev1alpha1.Freeze, timeout time.Duration, namespace string) error {
	key := client.ObjectKeyFromObject(frz)
	nextProbe := time.Now().Add(replicaProbeAfter)
	var unknown string
	var down *FrozenWithoutGateError
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, frz); err != nil {
			return false, err
		}
		if frz.Status.Active || nextProbe.IsZero() || time.Now().Before(nextProbe) {
			return frz.Status.Active, nil
		}
		r := probeReplicas(ctx, c, namespace, time.Now())
		// Ask again only while a Lease holder may still be running; a ready
		// replica reports the Freeze, however slowly.
		nextProbe = r.retryAt
		unknown = r.unknown
		if r.down != "" {
			down = &FrozenWithoutGateError{Freeze: frz.Name, Why: r.down}
			return false, down
		}
		return false, nil
	})
	switch {
	case down != nil:
		return down
	case err == nil:
		return nil
	}
	// The Freeze is stored, so it is in force: any replica that answers
	// judges against it, and while none answers the fail-closed webhooks
	// deny every gated change. What is missing is the controller's
	// confirmation and the count of paused rollouts.
	msg := fmt.Sprintf("Freeze %s is stored and in force, but no Wavegate controller reported it active within %s; "+
		"while no replica answers, the webhooks deny every gated change; check the manager pods (docs/runbook.md)", frz.Name, timeout)
	if unknown != "" {
		msg += "; pause could not tell whether a replica is ready: " + unknown
	}
	return errors.New(msg)
}

// replicas is what the cluster says about Wavegate's replicas. At most one
// of down and unknown is set; neither means a replica may be running, and
// then retryAt, if set, is when to ask again.
type replicas struct {
	down    string
	unknown string
	retryAt time.Time
}

// probeReplicas asks whether any Wavegate replica is ready.
//
// The Endpoints of the webhook Service are the signal: the endpoints
// controller lists there the manager pods that pass their readiness probe
// (webhook serving, caches synced), and they are exactly where the API
// server sends the gate's admission requests, so "no ready endpoint" is
// "the webhooks fail closed". The chart and the kustomize install always
// create that Service. The leader Lease alone is not: it does not exist
// with one replica (the chart turns leader election off), and a crashed
// leader's Lease looks held for a lease duration. It only adds that a
// replica which holds the Lease without being ready may still pause
// rollouts and report the Freeze: then pause waits, and asks again when
// the Lease would have expired. Endpoints rather than EndpointSlices: a
// role can read one Endpoints object by name (resourceNames), while the
// slices have generated names and would need list on every slice.
func probeReplicas(ctx context.Context, c client.Client, namespace string, now time.Time) replicas {
	ep := &corev1.Endpoints{} //nolint:staticcheck // Endpoints, not slices: see above
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: webhookService}, ep)
	switch {
	case apierrors.IsForbidden(err):
		return replicas{unknown: fmt.Sprintf("you may not read Endpoints %s/%s (the wavegate-freeze-operator role may)", namespace, webhookService)}
	case apierrors.IsNotFound(err):
		return replicas{unknown: fmt.Sprintf("Endpoints %s/%s not found; if Wavegate is installed in another namespace, say so with --wavegate-namespace", namespace, webhookService)}
	case err != nil:
		return replicas{unknown: fmt.Sprintf("cannot read Endpoints %s/%s: %v", namespace, webhookService, err)}
	}
	notReady := 0
	for _, s := range ep.Subsets {
		if len(s.Addresses) > 0 {
			return replicas{}
		}
		notReady += len(s.NotReadyAddresses)
	}
	lease := &coordinationv1.Lease{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: leaderLease}, lease); err == nil {
		if until, held := leaseHeld(lease); held && now.Before(until) {
			return replicas{retryAt: until.Add(time.Second)}
		}
	}
	// Forbidden or absent, the Lease adds nothing: the Endpoints said it.
	return replicas{down: fmt.Sprintf("the webhook Service %s/%s has no ready endpoint, %d not ready", namespace, webhookService, notReady)}
}

// leaseHeld reports whether a leader holds the Lease, and until when it
// holds it without renewing.
func leaseHeld(l *coordinationv1.Lease) (time.Time, bool) {
	s := l.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" || s.RenewTime == nil || s.LeaseDurationSeconds == nil {
		return time.Time{}, false
	}
	return s.RenewTime.Add(time.Duration(*s.LeaseDurationSeconds) * time.Second), true
}

func describeRegions(regions []string) string {
	if wavegatev1alpha1.IsAllRegions(regions) {
		return "every region"
	}
	return strings.Join(regions, ", ")
}

func newResumeCommand(o *options) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "resume (NAME... | --all)",
		Short: "End Freezes",
		Example: `  wavegate resume pause-20240718-141500-centralus
  wavegate resume --all`,
		RunE: func(cmd *cobra.Command, names []string) error {
			if all == (len(names) > 0) {
				return usagef("name the Freezes to end, or use --all")
			}
			c, server, err := o.newClient()
			if err != nil {
				return err
			}
			return o.resume(cmd.Context(), c, server, names, all)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "End every Freeze.")
	o.outputFlag(cmd, "table", "json")
	return cmd
}

func (o *options) resume(ctx context.Context, c client.Client, server string, names []string, all bool) error {
	if all {
		list := &wavegatev1alpha1.FreezeList{}
		if err := c.List(ctx, list); err != nil {
			return reachable(server, err)
		}
		for _, f := range list.Items {
			names = append(names, f.Name)
		}
	}
	var failed []string
	ended := []string{}
	for _, name := range names {
		err := c.Delete(ctx, &wavegatev1alpha1.Freeze{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if err != nil {
			fmt.Fprintf(o.errOut(), "Freeze %s: %v\n", name, reachable(server, err))
			failed = append(failed, name)
			continue
		}
		ended = append(ended, name)
		if o.output != "json" {
			fmt.Fprintf(o.out, "Freeze %s ended\n", name)
		}
	}
	switch {
	case o.output == "json":
		if err := o.printJSON(map[string][]string{"ended": ended}); err != nil {
			return err
		}
	case len(names) == 0:
		fmt.Fprintln(o.out, "No Freeze is in force")
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not end %s", strings.Join(failed, ", "))
	}
	return nil
}

func (o *options) printJSON(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.out, string(data))
	return err
}
