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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/wavegate/wavegate/internal/audit"
)

// AuditOptions are the flags of one `wavegate audit` run (docs/spec.md §11).
type AuditOptions struct {
	// Logs are the audit logs to read; Cluster.Audit reads the cluster's own.
	Logs []string
	// State is a state file, as `wavegate state export` writes it, that the
	// history starts from; empty for none.
	State string
	// ControllerUser, BreakGlassGroup and Namespace are the manager's, as
	// the chart configures it (Wavegate.AuditOptions reads them from it).
	ControllerUser  string
	BreakGlassGroup string
	Namespace       string
	// AgentRegion is the region of an agent's cluster.
	AgentRegion string
}

// Args are the command line of `wavegate audit` for o, without -o.
func (o AuditOptions) Args() []string {
	args := []string{"audit"}
	for _, l := range o.Logs {
		args = append(args, "--log", l)
	}
	for _, f := range []struct{ flag, value string }{
		{"--state", o.State}, {"--controller-user", o.ControllerUser}, {"--break-glass-group", o.BreakGlassGroup},
		{"--namespace", o.Namespace}, {"--agent-region", o.AgentRegion},
	} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}
	return args
}

// AuditResult is what `wavegate audit -o json` reported: the violations of
// the safety invariants, the break-glass admissions listed apart, and the
// notes.
type AuditResult struct {
	audit.Report
	// Args are the command's arguments, to run it again by hand.
	Args []string
}

// Audit runs `wavegate audit` (the CLI the Makefile built, EnvWavegate)
// over the cluster's own audit log with o, and returns its report. An
// error means the audit could not run; violations are in the result.
func (c *Cluster) Audit(ctx context.Context, o AuditOptions) (*AuditResult, error) {
	if len(o.Logs) == 0 {
		o.Logs = []string{c.AuditLog()}
	}
	return RunAudit(ctx, c.bins.Wavegate, o.Args())
}

// AuditOptions are the flags that tell `wavegate audit` the manager's
// configuration as the chart renders it: the controller identity and the
// break-glass group from the manager's arguments, and the release's
// namespace.
func (w *Wavegate) AuditOptions() (AuditOptions, error) {
	args, err := w.Chart.ManagerArgs()
	if err != nil {
		return AuditOptions{}, err
	}
	o := AuditOptions{Namespace: Namespace}
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--controller-user="); ok {
			o.ControllerUser = v
		}
		if v, ok := strings.CutPrefix(a, "--break-glass-group="); ok {
			o.BreakGlassGroup = v
		}
	}
	if o.ControllerUser == "" || o.BreakGlassGroup == "" {
		return o, fmt.Errorf("the chart's manager arguments name no --controller-user or --break-glass-group: %v", args)
	}
	return o, nil
}

// Audit runs the Wavegate audit over the cluster's log, as the chart
// configured the manager.
func (w *Wavegate) Audit(ctx context.Context) (*AuditResult, error) {
	o, err := w.AuditOptions()
	if err != nil {
		return nil, err
	}
	return w.cluster.Audit(ctx, o)
}

// RunAudit runs cli with args (`audit ...`, as AuditOptions.Args builds
// them) and -o json, and decodes its report. Exit code 0 must come with no
// violation and 1 with some; anything else (2 is bad input) is an error.
func RunAudit(ctx context.Context, cli string, args []string) (*AuditResult, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, cli, append(append([]string{}, args...), "-o", "json")...) //nolint:gosec // the CLI the Makefile built
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("failed to run wavegate %s: %w", strings.Join(args, " "), err)
	}
	if code != 0 && code != 1 {
		return nil, fmt.Errorf("wavegate %s exited %d: %s", strings.Join(args, " "), code, strings.TrimSpace(stderr.String()))
	}
	res := &AuditResult{Args: args}
	if err := json.Unmarshal(stdout.Bytes(), &res.Report); err != nil {
		return nil, fmt.Errorf("wavegate %s wrote no JSON report (exit code %d): %w\n%s%s", strings.Join(args, " "), code, err, stdout.String(), stderr.String())
	}
	if violations := len(res.Violations) > 0; violations != (code == 1) {
		return res, fmt.Errorf("wavegate %s exited %d with %d violations in its report", strings.Join(args, " "), code, len(res.Violations))
	}
	return res, nil
}

// Failed reports a violation of the safety invariants.
func (r *AuditResult) Failed() bool { return len(r.Violations) > 0 }

// Command is the command line that ran, for a person to run it again.
func (r *AuditResult) Command() string {
	return "wavegate " + strings.Join(r.Args, " ")
}

// Text is the report as `wavegate audit` prints it for people: the
// summary, each violation with the earlier requests that make it one, the
// break-glass admissions apart, and the notes.
func (r *AuditResult) Text() string {
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		return err.Error()
	}
	return b.String()
}

// Audit runs the Wavegate audit over every cluster's log: the hub's with
// its own configuration, and each regional cluster's with --agent-region
// and the hub's controller identity (the chart's agent mode). It returns
// the results in the order hub, then Order.
//
// An agent's cluster holds no Regions, WavePlans or Freezes: the agent
// reads them from the hub. Its log is therefore audited with a state file
// of the hub's Wavegate objects and Namespaces, exported at the end with
// `wavegate state export --resources=` (no gated objects: those of the hub
// are not the agent's). What that state cannot show, the audit of an
// agent's log misses but never invents: a Freeze deleted before the end
// (the hub's log has it, and its requests), and the entries of a change
// into other regional clusters (each log holds only its own cluster's
// writes; the hub's change records join them, and the suites test that).
func (rs *Regions) Audit(ctx context.Context) ([]*AuditResult, error) {
	state := filepath.Join(rs.Hub.Dir, "hub-state.yaml")
	out, err := exec.CommandContext(ctx, rs.Hub.bins.Wavegate, "--kubeconfig", rs.Hub.Kubeconfig, //nolint:gosec // the CLI the Makefile built
		"state", "export", "--resources=", "-o", state).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wavegate state export from the hub: %w: %s", err, out)
	}
	hub, err := rs.HubWG.Audit(ctx)
	if err != nil {
		return nil, fmt.Errorf("the audit of the hub's log: %w", err)
	}
	results := []*AuditResult{hub}
	for _, r := range rs.Order {
		o, err := rs.Agents[r].AuditOptions()
		if err != nil {
			return results, err
		}
		o.AgentRegion, o.State = r, state
		res, err := rs.Clusters[r].Audit(ctx, o)
		if err != nil {
			return results, fmt.Errorf("the audit of %s's log: %w", r, err)
		}
		results = append(results, res)
	}
	return results, nil
}

// KeepAuditLog copies the cluster's audit log to path, so that the evidence
// of a failed audit outlives the cluster (Delete removes its logs).
func (c *Cluster) KeepAuditLog(path string) error {
	in, err := os.Open(c.AuditLog())
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(path) //nolint:gosec // a path of the suite's own
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
