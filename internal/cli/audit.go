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
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wavegate/wavegate/internal/audit"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

// auditMemoryLimit is the soft limit of the Go heap while wavegate audit
// runs, unless GOMEMLIMIT sets one.
const auditMemoryLimit = 120 << 20

type auditOptions struct {
	logs            []string
	state           string
	since           string
	controllerUser  string
	breakGlassGroup string
	namespace       string
	agentRegion     string
	tolerance       time.Duration
	progress        bool
	// now is the clock for a relative --since; replaced in tests.
	now func() time.Time
}

func newAuditCommand(o *options) *cobra.Command {
	a := &auditOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "audit --log FILE... [--state FILE] [--since T]",
		Short: "Check an API server audit log against the safety invariants (S1–S6)",
		Long: `Check an API server audit log against the safety invariants of the spec (§11, S1–S6),
with a checker written from the spec alone, independent of the gate's rules. Every admitted
request that violates a property is reported with the earlier requests that make it a
violation and the rule that should have denied it; break-glass admissions are listed apart.

The log is the API server's --audit-log-path (JSON lines, audit.k8s.io/v1), written with the
audit policy of config/audit/policy.yaml; rotated and gzipped files are read in the order of
their first event. Requests are judged at the time the API server received them, plus
--tolerance for the gate's clock. Exit code 0: no violation; 1: violations; 2: bad input.`,
		Example: `  wavegate audit --log /var/log/kubernetes/audit.log --log '/var/log/kubernetes/audit-*.log.gz'
  wavegate state export -o start.yaml   # before the period the log covers
  wavegate audit --log audit.log --state start.yaml --since 2024-07-01T00:00:00Z -o junit > audit.xml
  wavegate audit --log eastus-audit.log --agent-region eastus   # an agent's regional cluster`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.audit(cmd.Context(), a) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&a.logs, "log", nil, "An audit log file (plain, rotated or .gz) or a pattern of them (quote it: 'audit-*.log.gz'); repeatable. Required.")
	f.StringVar(&a.state, "state", "", "The cluster state when the log starts, as 'wavegate state export' writes it.")
	f.StringVar(&a.since, "since", "", "Judge requests received from this time on (RFC 3339, or a duration such as 24h before now); earlier ones only build the state.")
	f.StringVar(&a.controllerUser, "controller-user", invariants.DefaultControllerUser, "Wavegate's controller identity, as the manager is configured.")
	f.StringVar(&a.breakGlassGroup, "break-glass-group", invariants.DefaultBreakGlassGroup, "The global break-glass group, as the manager is configured.")
	f.StringVar(&a.namespace, "namespace", invariants.DefaultNamespace, "Wavegate's own namespace, which is never gated.")
	f.StringVar(&a.agentRegion, "agent-region", "", "The region of the cluster that wrote the log, when it is an agent's: every namespaced object belongs to it.")
	f.DurationVar(&a.tolerance, "tolerance", invariants.DefaultTolerance, "How far the gate's clock may lag the API server's; deadlines are compared with the request's time plus this.")
	f.BoolVar(&a.progress, "progress", false, "Show progress on stderr (shown anyway when stderr is a terminal).")
	o.outputFlag(cmd, "text", "json", "junit")
	return cmd
}

func (a *auditOptions) sinceTime() (time.Time, error) {
	if a.since == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, a.since); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(a.since); err == nil && d >= 0 {
		return a.now().Add(-d), nil
	}
	return time.Time{}, usagef("invalid --since %q: use RFC 3339, such as 2024-07-18T14:00:00Z, or a duration, such as 24h", a.since)
}

func (o *options) audit(ctx context.Context, a *auditOptions) error {
	if len(a.logs) == 0 {
		return usagef("name the audit log with --log FILE (repeatable; rotated and .gz files too)")
	}
	logs, err := expandLogs(a.logs)
	if err != nil {
		return err
	}
	since, err := a.sinceTime()
	if err != nil {
		return err
	}
	if a.tolerance < 0 {
		return usagef("invalid --tolerance %s: it cannot be negative", a.tolerance)
	}
	tolerance := a.tolerance
	if tolerance == 0 {
		tolerance = -1 // exact: invariants reads zero as the default
	}
	cfg := audit.Config{Logs: logs, State: a.state, Options: invariants.Options{
		ControllerUser: a.controllerUser, BreakGlassGroup: a.breakGlassGroup, Namespace: a.namespace,
		AgentRegion: a.agentRegion, Tolerance: tolerance, Since: since}}
	if a.progress || isTerminal(o.err) {
		cfg.Progress = progressPrinter(o.err, isTerminal(o.err))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// What the checker keeps is a fraction of this (docs/benchmarks.md);
		// the limit keeps the garbage of a long log from growing the heap
		// past the bar of SPEC §7 (200 MiB).
		debug.SetMemoryLimit(auditMemoryLimit)
	}
	rep, err := audit.Run(ctx, cfg)
	var bad *audit.InputError
	if errors.As(err, &bad) {
		return UsageError{fmt.Errorf("bad input: %w", err)}
	}
	if err != nil {
		return err
	}
	switch o.output {
	case "json":
		err = rep.WriteJSON(o.out)
	case "junit":
		err = rep.WriteJUnit(o.out)
	default:
		err = rep.WriteText(o.out)
	}
	if err != nil {
		return err
	}
	if n := rep.Summary.Total(); n > 0 {
		return fmt.Errorf("%s of the safety invariants", pluralize(n, "violation"))
	}
	return nil
}

// expandLogs expands the patterns among --log (audit-*.log.gz): rotated
// logs are many, and a pattern the shell expanded would leave all but the
// first without --log.
func expandLogs(logs []string) ([]string, error) {
	var out []string
	for _, l := range logs {
		if !strings.ContainsAny(l, "*?[") {
			out = append(out, l)
			continue
		}
		matches, err := filepath.Glob(l)
		if err != nil {
			return nil, usagef("invalid --log pattern %q: %v", l, err)
		}
		if len(matches) == 0 {
			return nil, usagef("--log %s matches no file", l)
		}
		out = append(out, matches...)
	}
	return out, nil
}

func pluralize(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// progressPrinter shows events read and throughput: on one line that it
// rewrites on a terminal, a line each time otherwise.
func progressPrinter(w io.Writer, terminal bool) func(audit.Progress) {
	return func(p audit.Progress) {
		secs := p.Elapsed.Seconds()
		if secs <= 0 {
			secs = 1e-9
		}
		msg := fmt.Sprintf("audit: %d events, %.1f MiB read in %s (%.1f MB/s)", p.Events, float64(p.Bytes)/(1<<20),
			p.Elapsed.Round(100*time.Millisecond), float64(p.Bytes)/1e6/secs)
		switch {
		case terminal && p.Done:
			fmt.Fprintf(w, "\r\033[K%s\n", msg)
		case terminal:
			fmt.Fprintf(w, "\r\033[K%s", msg)
		default:
			fmt.Fprintln(w, msg)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
