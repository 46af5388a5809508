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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAuditOptionsAreTheFlagsOfWavegateAudit(t *testing.T) {
	o := AuditOptions{Logs: []string{"a.log", "b.log.gz"}, State: "hub.yaml", ControllerUser: "system:serviceaccount:wavegate-system:wavegate-hub",
		BreakGlassGroup: "wavegate:break-glass", Namespace: "wavegate-system", AgentRegion: "eastus"}
	want := []string{"audit", "--log", "a.log", "--log", "b.log.gz", "--state", "hub.yaml",
		"--controller-user", "system:serviceaccount:wavegate-system:wavegate-hub", "--break-glass-group", "wavegate:break-glass",
		"--namespace", "wavegate-system", "--agent-region", "eastus"}
	if got := o.Args(); !slices.Equal(got, want) {
		t.Errorf("Args() = %v, want %v", got, want)
	}
	if got := (AuditOptions{Logs: []string{"a.log"}}).Args(); !slices.Equal(got, []string{"audit", "--log", "a.log"}) {
		t.Errorf("Args() names flags left empty: %v", got)
	}
}

// fakeCLI writes a wavegate that prints stdout and exits with code.
func fakeCLI(t *testing.T, stdout string, code string) string {
	t.Helper()
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	if err := os.WriteFile(report, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(dir, "wavegate")
	script := "#!/bin/sh\ncat " + report + "\necho 'some error' >&2\nexit " + code + "\n"
	if err := os.WriteFile(cli, []byte(script), 0o700); err != nil { //nolint:gosec // a test script
		t.Fatal(err)
	}
	return cli
}

const (
	cleanReport    = `{"files":["audit.log"],"summary":{"events":10,"judged":4,"denied":1,"violations":{"S1":0},"breakGlass":1},"violations":[],"breakGlass":[{"property":"S2","rule":"freeze","request":{"time":"2026-11-29T10:00:00Z","verb":"create","object":"ConfigMap a/b"},"why":"member of the break-glass group","explanation":"frozen"}],"notes":[]}`
	violatedReport = `{"files":["audit.log"],"summary":{"events":10,"judged":4,"violations":{"S2":1}},"violations":[{"property":"S2","rule":"freeze","request":{"time":"2026-11-29T10:00:00Z","user":"alice","verb":"create","object":"ConfigMap a/b","regions":["eastus"]},"earlier":[{"time":"2026-11-29T09:00:00Z","user":"bob","verb":"create","object":"Freeze f","what":"created Freeze f"}],"explanation":"region eastus is frozen"}],"breakGlass":[],"notes":[]}`
)

func TestRunAuditReadsTheReportAndItsExitCode(t *testing.T) {
	ctx := context.Background()
	args := AuditOptions{Logs: []string{"audit.log"}}.Args()

	res, err := RunAudit(ctx, fakeCLI(t, cleanReport, "0"), args)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || len(res.BreakGlass) != 1 || res.Summary.Events != 10 {
		t.Errorf("a clean report with a break-glass admission: %+v", res.Report)
	}
	if !strings.HasPrefix(res.Command(), "wavegate audit --log audit.log") {
		t.Errorf("Command() = %q", res.Command())
	}

	res, err = RunAudit(ctx, fakeCLI(t, violatedReport, "1"), args)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() {
		t.Fatalf("a report with a violation is not a failure: %+v", res.Report)
	}
	text := res.Text()
	for _, want := range []string{"1 violation (S2 1)", "S2 freeze: 2026-11-29T10:00:00Z alice create ConfigMap a/b (eastus)", "earlier: 2026-11-29T09:00:00Z bob create Freeze f: created Freeze f"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report's text lacks %q:\n%s", want, text)
		}
	}

	if _, err := RunAudit(ctx, fakeCLI(t, "", "2"), args); err == nil || !strings.Contains(err.Error(), "exited 2: some error") {
		t.Errorf("bad input (exit 2) is an error that quotes the command's stderr: %v", err)
	}
	if _, err := RunAudit(ctx, fakeCLI(t, violatedReport, "0"), args); err == nil {
		t.Error("exit code 0 with violations in the report is an error")
	}
	if _, err := RunAudit(ctx, fakeCLI(t, cleanReport, "1"), args); err == nil {
		t.Error("exit code 1 with no violation in the report is an error")
	}
}
