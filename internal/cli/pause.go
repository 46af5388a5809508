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
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
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
}

func newPauseCommand(o *options) *cobra.Command {
	p := &pauseOptions{}
	cmd := &cobra.Command{
		Use:   "pause (--all-regions | --region R...) --reason TEXT",
		Short: "Stop every rollout and gated change in some regions or all, with a Freeze",
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
			return o.pause(cmd.Context(), c, server, frz, p.timeout)
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
	f.DurationVar(&p.timeout, "timeout", 30*time.Second, "How long to wait for the freeze to be active.")
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

// pause creates the Freeze, waits until it is active and its count of paused
// rollouts settles, and reports it.
func (o *options) pause(ctx context.Context, c client.Client, server string, frz *wavegatev1alpha1.Freeze, timeout time.Duration) error {
	if err := c.Create(ctx, frz); err != nil {
		return fmt.Errorf("failed to create Freeze %s: %w", frz.Name, reachable(server, err))
	}
	fmt.Fprintf(o.errOut(), "Freeze %s created; waiting for it to be active\n", frz.Name)
	key := client.ObjectKeyFromObject(frz)
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, frz); err != nil {
			return false, err
		}
		return frz.Status.Active, nil
	})
	if err != nil {
		// The Freeze is stored, so it is in force: any replica that answers
		// judges against it, and while none answers the fail-closed webhooks
		// deny every gated change. What is missing is the controller's
		// confirmation and the count of paused rollouts.
		return fmt.Errorf("Freeze %s is stored and in force, but no Wavegate controller reported it active within %s; "+ //nolint:staticcheck // a sentence about a name
			"while no replica answers, the webhooks deny every gated change; check the manager pods (docs/runbook.md)", frz.Name, timeout)
	}
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
