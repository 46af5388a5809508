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

package audit_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wavegate/wavegate/internal/audit"
	"github.com/wavegate/wavegate/internal/audit/audittest"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

var update = flag.Bool("update", false, "rewrite testdata from the scenarios")

// render writes a scenario's history as the API server's audit log: the
// lines in the order the requests completed.
func render(sc scenario) ([]byte, error) {
	s := &script{}
	sc.write(s)
	reqs := s.reqs
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].At.Before(reqs[j].At) })
	api := audittest.NewAPIServer()
	var buf bytes.Buffer
	for _, r := range reqs {
		line, err := api.Line(r)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func testdata(name string) string { return filepath.Join("testdata", name) }

// The logs under testdata are checked in, as a reviewer reads them; this
// keeps them what the scenarios write.
func TestTestdataIsWhatTheScenariosWrite(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			g := NewWithT(t)
			data, err := render(sc)
			g.Expect(err).NotTo(HaveOccurred())
			path := testdata(sc.name + ".log")
			if *update {
				g.Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(data)).To(Equal(string(want)), "run go test ./internal/audit -run TestTestdata -update")
		})
	}
	t.Run("the good history, rotated and gzipped", func(t *testing.T) {
		g := NewWithT(t)
		data, err := os.ReadFile(testdata("good.log"))
		g.Expect(err).NotTo(HaveOccurred())
		lines := bytes.SplitAfter(data, []byte("\n"))
		half := len(lines) / 2
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, err = zw.Write(bytes.Join(lines[:half], nil))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(zw.Close()).To(Succeed())
		first, second := testdata("rotated/audit-2024-07-18T09-00-00.000.log.gz"), testdata("rotated/audit.log")
		if *update {
			g.Expect(os.MkdirAll(testdata("rotated"), 0o750)).To(Succeed())
			g.Expect(os.WriteFile(first, gz.Bytes(), 0o600)).To(Succeed())
			g.Expect(os.WriteFile(second, bytes.Join(lines[half:], nil), 0o600)).To(Succeed()) //nolint:gosec // testdata of this package
		}
		got, err := os.ReadFile(second)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(got)).To(Equal(string(bytes.Join(lines[half:], nil))))
		zr, err := os.Open(first)
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = zr.Close() }()
		r, err := gzip.NewReader(zr)
		g.Expect(err).NotTo(HaveOccurred())
		var plain bytes.Buffer
		_, err = plain.ReadFrom(r)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(plain.String()).To(Equal(string(bytes.Join(lines[:half], nil))))
	})
}

func run(g Gomega, logs []string, state string) *audit.Report {
	rep, err := audit.Run(context.Background(), audit.Config{Logs: logs, State: state})
	g.Expect(err).NotTo(HaveOccurred())
	return rep
}

func TestRecordedHistories(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			g := NewWithT(t)
			state := ""
			if sc.state != "" {
				state = testdata(sc.state)
			}
			rep := run(g, []string{testdata(sc.name + ".log")}, state)
			var text bytes.Buffer
			g.Expect(rep.WriteText(&text)).To(Succeed())
			for _, p := range invariants.Properties {
				g.Expect(rep.Summary.Violations[p]).To(Equal(sc.want[p]), "violations of %s:\n%s", p, text.String())
			}
			var rules []string
			for _, v := range rep.Violations {
				rules = append(rules, v.Rule)
			}
			g.Expect(rules).To(Equal(sc.rules), text.String())
			var clauses [][]string
			for _, v := range rep.Violations {
				if v.Property == invariants.S1 {
					clauses = append(clauses, v.Clauses)
				}
			}
			g.Expect(clauses).To(Equal(sc.clauses), text.String())
			g.Expect(rep.BreakGlass).To(HaveLen(sc.breakGlass), text.String())
			for _, want := range sc.texts {
				g.Expect(text.String()).To(ContainSubstring(want))
			}
			for _, v := range rep.Violations {
				// Only S4, S5 and a change's first regions entered at once
				// need no earlier request.
				if v.Property != invariants.S5 && v.Property != invariants.S4 && !strings.Contains(v.Explanation, " at once") {
					g.Expect(v.Earlier).NotTo(BeEmpty(), "%s names the earlier requests that make it a violation", v)
				}
				g.Expect(v.Request.Where()).To(HavePrefix(testdata(sc.name + ".log:")))
			}
		})
	}
}

func TestRotatedAndGzippedFilesReadInTheOrderOfTheirFirstEvent(t *testing.T) {
	g := NewWithT(t)
	whole := run(g, []string{testdata("good.log")}, "")
	rotated := run(g, []string{testdata("rotated/audit.log"), testdata("rotated/audit-2024-07-18T09-00-00.000.log.gz")}, "")
	g.Expect(rotated.Files).To(Equal([]string{testdata("rotated/audit-2024-07-18T09-00-00.000.log.gz"), testdata("rotated/audit.log")}))
	g.Expect(rotated.Summary).To(Equal(whole.Summary))
	g.Expect(rotated.Summary.Events).To(BeNumerically(">", 50))
}

func TestBadInputNamesTheFileAndTheLine(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(testdata("s5-unknown-region.log"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	lines := strings.SplitAfter(string(good), "\n")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		NewWithT(t).Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed()) //nolint:gosec // the test's own temporary directory
		return p
	}
	cases := []struct {
		name, path string
		line       int
		want       string
	}{
		{"a line that is not JSON", write("not-json.log", lines[0]+lines[1]+"this is not JSON\n"+lines[2]), 3, "not a JSON audit event"},
		{"JSON that is not an audit event", write("other.log", lines[0]+`{"kind":"ConfigMap","apiVersion":"v1"}`+"\n"), 2, "not an audit.k8s.io/v1 Event"},
		{"a first line that is not an audit event", write("first.log", "{}\n"), 1, "not a JSON audit event"},
		{"a gzip file that is cut short", write("cut.log.gz", "\x1f\x8b\x08\x00\x00\x00"), 0, ""},
		{"a file that does not exist", filepath.Join(dir, "nope.log"), 0, "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := audit.Run(context.Background(), audit.Config{Logs: []string{testdata("good.log"), tc.path}})
			var in *audit.InputError
			g.Expect(errors.As(err, &in)).To(BeTrue(), "%v", err)
			g.Expect(in.File).To(Equal(tc.path))
			g.Expect(in.Line).To(Equal(tc.line))
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		})
	}
	t.Run("a state file that does not decode", func(t *testing.T) {
		g := NewWithT(t)
		bad := write("state.yaml", "apiVersion: wavegate.io/v1alpha1\nkind: Freeze\nmetadata: {name: x}\nspec: {regions: eastus}\n")
		_, err := audit.Run(context.Background(), audit.Config{Logs: []string{testdata("good.log")}, State: bad})
		var in *audit.InputError
		g.Expect(errors.As(err, &in)).To(BeTrue(), "%v", err)
		g.Expect(err.Error()).To(ContainSubstring(bad))
	})
	t.Run("a last line cut short is skipped with a warning", func(t *testing.T) {
		g := NewWithT(t)
		cut := write("live.log", string(good)+lines[3][:40])
		rep := run(g, []string{cut}, "")
		g.Expect(rep.Truncated).To(Equal([]string{cut + ":" + itoa(len(lines))}))
		g.Expect(rep.Summary.Violations[invariants.S5]).To(Equal(1))
	})
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
