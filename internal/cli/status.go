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
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func newStatusCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show freezes, rollouts, automation policies and regions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, server, err := o.newClient()
			if err != nil {
				return err
			}
			st, err := readStatus(cmd.Context(), c)
			if err != nil {
				return reachable(server, err)
			}
			if o.output == "json" {
				return o.printJSON(st)
			}
			return st.print(o)
		},
	}
	o.outputFlag(cmd, "table", "json")
	return cmd
}

// state is what `wavegate status` shows.
type state struct {
	Freezes  []wavegatev1alpha1.Freeze           `json:"freezes"`
	Rollouts []wavegatev1alpha1.ConfigRollout    `json:"rollouts"`
	Policies []wavegatev1alpha1.AutomationPolicy `json:"automationPolicies"`
	Regions  []wavegatev1alpha1.Region           `json:"regions"`
}

func readStatus(ctx context.Context, c client.Client) (*state, error) {
	var fl wavegatev1alpha1.FreezeList
	var rl wavegatev1alpha1.ConfigRolloutList
	var pl wavegatev1alpha1.AutomationPolicyList
	var gl wavegatev1alpha1.RegionList
	for _, l := range []client.ObjectList{&fl, &rl, &pl, &gl} {
		if err := c.List(ctx, l); err != nil {
			return nil, err
		}
	}
	st := &state{Freezes: fl.Items, Rollouts: rl.Items, Policies: pl.Items, Regions: gl.Items}
	sort.Slice(st.Regions, func(i, j int) bool { return st.Regions[i].Name < st.Regions[j].Name })
	return st, nil
}

func (st *state) print(o *options) error {
	w := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
	section := func(title string, header string, rows [][]string) {
		fmt.Fprintf(w, "%s\n", title)
		if len(rows) == 0 {
			fmt.Fprintf(w, "  (none)\n\n")
			return
		}
		fmt.Fprintf(w, "  %s\n", header)
		for _, r := range rows {
			fmt.Fprintf(w, "  %s\n", strings.Join(r, "\t"))
		}
		fmt.Fprintln(w)
	}

	var rows [][]string
	for _, f := range st.Freezes {
		rows = append(rows, []string{f.Name, describeRegions(f.Spec.Regions), yesNo(f.Status.Active), fmt.Sprint(f.Status.PausedRollouts), dash(f.Spec.Ticket), expires(f), f.Spec.Reason})
	}
	section("FREEZES", "NAME\tREGIONS\tACTIVE\tPAUSED\tTICKET\tEXPIRES\tREASON", rows)

	rows = nil
	for _, r := range st.Rollouts {
		rows = append(rows, []string{r.Name, dash(string(r.Status.Phase)), dash(r.Status.CurrentWave), dash(r.Status.Convergence), unhealthy(&r), blockers(&r)})
	}
	section("ROLLOUTS", "NAME\tPHASE\tWAVE\tCONVERGED\tUNHEALTHY\tBLOCKERS", rows)

	rows = nil
	for _, p := range st.Policies {
		ready := "Unknown"
		if c := meta.FindStatusCondition(p.Status.Conditions, wavegatev1alpha1.ConditionReady); c != nil {
			ready = string(c.Status)
		}
		rows = append(rows, []string{p.Name, ready, fmt.Sprint(p.Status.UntaggedCount), dash(strings.Join(p.Status.UncoveredRegions, ",")), fmt.Sprint(p.Spec.MaxDeletionsPerHour)})
	}
	section("AUTOMATION POLICIES", "NAME\tREADY\tUNTAGGED\tUNCOVERED\tMAX/H", rows)

	rows = nil
	for _, g := range st.Regions {
		rows = append(rows, []string{g.Name, dash(g.Spec.PairedRegion), dash(g.Spec.Cloud), frozenBy(st.Freezes, g.Name), cluster(&g)})
	}
	section("REGIONS", "NAME\tPAIR\tCLOUD\tFROZEN BY\tCLUSTER", rows)
	return w.Flush()
}

// cluster says whether the hub reaches a region that is a cluster of its
// own: "connected v1.37.2 (last contact 2026-…Z)", or why not. "-" for a
// region of this cluster (by label).
func cluster(g *wavegatev1alpha1.Region) string {
	if g.Spec.Cluster == nil {
		return "-"
	}
	c := meta.FindStatusCondition(g.Status.Conditions, wavegatev1alpha1.ConditionConnected)
	switch {
	case c == nil:
		return "not probed yet"
	case c.Status != metav1.ConditionTrue:
		return "NOT CONNECTED " + c.Reason + ": " + c.Message
	}
	out := "connected"
	if cs := g.Status.Cluster; cs != nil {
		if cs.ServerVersion != "" {
			out += " " + cs.ServerVersion
		}
		if cs.LastContact != nil {
			out += " (last contact " + cs.LastContact.UTC().Format("2006-01-02T15:04:05Z") + ")"
		}
	}
	return out
}

// blockers is what holds a rollout: the reason and message of its Stalled
// condition (Blocked or Failed) or its Paused condition. These are present
// only while True.
func blockers(r *wavegatev1alpha1.ConfigRollout) string {
	for _, t := range []string{wavegatev1alpha1.ConditionStalled, wavegatev1alpha1.ConditionPaused} {
		if c := meta.FindStatusCondition(r.Status.Conditions, t); c != nil && c.Status == "True" {
			return c.Reason + ": " + c.Message
		}
	}
	return "-"
}

// unhealthy names the regions a health check halted, with the value that
// tripped: "eastus error-rate=0.07".
func unhealthy(r *wavegatev1alpha1.ConfigRollout) string {
	var out []string
	for _, rs := range r.Status.Regions {
		if rs.State != wavegatev1alpha1.RegionUnhealthy && rs.State != wavegatev1alpha1.RegionReverted {
			continue
		}
		for _, h := range rs.Health {
			if h.Failures > 0 {
				out = append(out, fmt.Sprintf("%s %s=%s", rs.Name, h.Name, h.Value))
			}
		}
	}
	return dash(strings.Join(out, ", "))
}

func frozenBy(freezes []wavegatev1alpha1.Freeze, region string) string {
	var by []string
	for _, f := range freezes {
		if f.Status.Active && f.Spec.Covers(region) {
			by = append(by, f.Name)
		}
	}
	return dash(strings.Join(by, ","))
}

func expires(f wavegatev1alpha1.Freeze) string {
	if f.Spec.ExpiresAt == nil {
		return "never"
	}
	return f.Spec.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
