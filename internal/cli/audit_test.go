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
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// auditLog is a recorded audit log of internal/audit/testdata.
func auditLog(name string) string { return filepath.Join("..", "audit", "testdata", name) }

func TestAuditOutputMatchesTheGoldenFiles(t *testing.T) {
	for _, format := range []string{"text", "json", "junit"} {
		t.Run(format, func(t *testing.T) {
			g := NewWithT(t)
			out, errOut, code := run("audit", "--log", auditLog("s3-direct.log"), "--log", auditLog("break-glass.log"), "-o", format)
			g.Expect(code).To(Equal(ExitFailed), errOut)
			g.Expect(errOut).To(ContainSubstring("Error: 3 violations of the safety invariants"))
			golden := filepath.Join("testdata", "audit."+format+".golden")
			if *update {
				g.Expect(os.WriteFile(golden, []byte(out), 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(golden)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(Equal(string(want)))
		})
	}
}

func TestAuditExitCodes(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(auditLog("good.log"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	notJSON := filepath.Join(dir, "audit.log")
	lines := strings.SplitAfter(string(good), "\n")
	NewWithT(t).Expect(os.WriteFile(notJSON, []byte(lines[0]+lines[1]+"I1207 10:00:00.000000 1 audit.go:1] not JSON\n"), 0o600)).To(Succeed()) //nolint:gosec // the test's own temporary directory
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a history without violations", []string{"--log", auditLog("good.log")}, ExitOK, "0 violations"},
		{"a history with violations", []string{"--log", auditLog("s1-d-failover-pair.log")}, ExitFailed, "1 violation of the safety invariants"},
		{"a history read from a state file", []string{"--log", auditLog("s4-requires.log"), "--state", auditLog("s4-state.yaml")}, ExitFailed, "3 violations"},
		{"rotated and gzipped files", []string{"--log", auditLog("rotated/audit.log"), "--log", auditLog("rotated/audit-2024-07-18T09-00-00.000.log.gz")}, ExitOK, "71 events read from 2 files"},
		{"a pattern of rotated files", []string{"--log", auditLog("rotated/audit*.log*")}, ExitOK, "71 events read from 2 files"},
		{"a pattern that matches nothing", []string{"--log", auditLog("rotated/nope-*.log")}, ExitUsage, "matches no file"},
		{"a line that is not JSON", []string{"--log", notJSON}, ExitUsage, "bad input: " + notJSON + ":3: not a JSON audit event"},
		{"a file that cannot be read", []string{"--log", filepath.Join(dir, "nope.log")}, ExitUsage, "bad input: " + filepath.Join(dir, "nope.log") + ": open "},
		{"a state file that cannot be read", []string{"--log", auditLog("good.log"), "--state", filepath.Join(dir, "nope.yaml")}, ExitUsage, "bad input: " + filepath.Join(dir, "nope.yaml")},
		{"no log", nil, ExitUsage, "name the audit log with --log FILE"},
		{"a bad --since", []string{"--log", auditLog("good.log"), "--since", "yesterday"}, ExitUsage, `invalid --since "yesterday"`},
		{"a negative --tolerance", []string{"--log", auditLog("good.log"), "--tolerance", "-1s"}, ExitUsage, "invalid --tolerance -1s"},
		{"a bad --tolerance", []string{"--log", auditLog("good.log"), "--tolerance", "soon"}, ExitUsage, `invalid argument "soon" for "--tolerance"`},
		{"an output format audit does not know", []string{"--log", auditLog("good.log"), "-o", "yaml"}, ExitUsage, `invalid --output "yaml": use text or json or junit`},
		{"an extra argument", []string{"audit.log"}, ExitUsage, `unknown command "audit.log" for "wavegate audit"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			out, errOut, code := run(append([]string{"audit"}, tc.args...)...)
			g.Expect(code).To(Equal(tc.code), out+errOut)
			g.Expect(out + errOut).To(ContainSubstring(tc.want))
		})
	}
}

func TestAuditSinceJudgesOnlyLaterRequests(t *testing.T) {
	g := NewWithT(t)
	// s1-b's violation is at 12:30; its first entry at 12:00 still counts.
	_, _, code := run("audit", "--log", auditLog("s1-b-next-wave-before-bake.log"), "--since", "2024-07-18T12:15:00Z")
	g.Expect(code).To(Equal(ExitFailed))
	out, _, code := run("audit", "--log", auditLog("s1-b-next-wave-before-bake.log"), "--since", "2024-07-18T12:45:00Z")
	g.Expect(code).To(Equal(ExitOK), out)

	a := &auditOptions{since: "2h", now: func() time.Time { return time.Date(2024, 7, 18, 14, 0, 0, 0, time.UTC) }}
	since, err := a.sinceTime()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(since).To(Equal(time.Date(2024, 7, 18, 12, 0, 0, 0, time.UTC)))
}

func TestAuditToleranceAndIdentitiesAreFlags(t *testing.T) {
	g := NewWithT(t)
	// The break-glass group renamed: the sre's admissions are violations.
	_, _, code := run("audit", "--log", auditLog("break-glass.log"), "--break-glass-group", "other")
	g.Expect(code).To(Equal(ExitFailed))
	// Wavegate's controller renamed: its revert through the Freeze is an S2
	// violation, and its changes are judged by S1.
	out, _, code := run("audit", "--log", auditLog("good.log"), "--controller-user", "someone-else", "-o", "json")
	g.Expect(code).To(Equal(ExitFailed))
	var rep struct {
		Summary struct {
			Violations map[string]int `json:"violations"`
		} `json:"summary"`
	}
	g.Expect(json.Unmarshal([]byte(out), &rep)).To(Succeed())
	g.Expect(rep.Summary.Violations["S1"]).To(BeNumerically(">", 0))
	// An agent's cluster in centralus, which is frozen: every namespaced
	// object written after the Freeze is in centralus.
	out, _, code = run("audit", "--log", auditLog("s2-freeze.log"), "--agent-region", "centralus")
	g.Expect(code).To(Equal(ExitFailed))
	g.Expect(out).To(ContainSubstring("3 violations (S2 3)"))
	// s1-b's request came 30m before the canary baked: a tolerance above
	// that hides it.
	_, _, code = run("audit", "--log", auditLog("s1-b-next-wave-before-bake.log"), "--tolerance", "29m")
	g.Expect(code).To(Equal(ExitFailed))
	_, _, code = run("audit", "--log", auditLog("s1-b-next-wave-before-bake.log"), "--tolerance", "31m")
	g.Expect(code).To(Equal(ExitOK))
}

func TestAuditShowsProgressOnRequest(t *testing.T) {
	g := NewWithT(t)
	var out, errOut bytes.Buffer
	cmd := NewRootCommand(&out, &errOut)
	cmd.SetArgs([]string{"audit", "--log", auditLog("good.log"), "--progress"})
	cmd.SetErr(&errOut)
	g.Expect(cmd.Execute()).To(Succeed())
	g.Expect(errOut.String()).To(MatchRegexp(`audit: 71 events, 0\.1 MiB read in [0-9.]+m?s \([0-9.]+ MB/s\)\n`))
}
