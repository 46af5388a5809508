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

package audit

import (
	"bufio"
	"encoding/json"

	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/wavegate/wavegate/internal/audit/invariants"
	"github.com/wavegate/wavegate/internal/junit"
)

// propertyNames are the titles of docs/spec.md §11.
var propertyNames = map[invariants.Property]string{
	invariants.S1: "Progressive exposure",
	invariants.S2: "Freeze",
	invariants.S3: "Deletion safety",
	invariants.S4: "Prerequisites",
	invariants.S5: "Unknown is not safe",
	invariants.S6: "The emergency switch holds",
}

// SummaryLine says in one line what the run read and found.
func (r *Report) SummaryLine() string {
	s := r.Summary
	var by []string
	for _, p := range invariants.Properties {
		if n := s.Violations[p]; n > 0 {
			by = append(by, fmt.Sprintf("%s %d", p, n))
		}
	}
	violations := plural(s.Total(), "violation")
	if len(by) > 0 {
		violations += " (" + strings.Join(by, ", ") + ")"
	}
	notes := 0
	for _, n := range s.Notes {
		notes += n
	}
	return fmt.Sprintf("%s read from %s, %s judged: %s, %s, %s",
		plural(s.Events, "event"), plural(len(r.Files), "file"), plural(s.Judged, "request"), violations,
		plural(s.BreakGlass, "break-glass admission"), plural(notes, "note"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// WriteText writes the report for people: the summary, each violation with
// the earlier requests that make it one, the break-glass admissions apart,
// and the notes by reason.
func (r *Report) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	line := func(format string, args ...any) { _, _ = b.WriteString(printable(fmt.Sprintf(format, args...)) + "\n") }
	line("wavegate audit: %s", r.SummaryLine())
	if len(r.Violations) > 0 {
		line("")
		line("Violations:")
	}
	for _, v := range r.Violations {
		line("%s %s: %s%s", v.Property, v.Rule, v.Request, source(v.Request))
		line("    %s", v.Explanation)
		for _, e := range v.Earlier {
			line("    earlier: %s%s: %s", e.Request, source(e.Request), e.What)
		}
	}
	if len(r.BreakGlass) > 0 {
		line("")
		line("Break-glass admissions (exempt, not violations):")
	}
	for _, g := range r.BreakGlass {
		what := g.Freeze
		if what != "" {
			what = "Freeze " + what
		} else {
			what = g.Object
		}
		line("%s %s: %s%s", g.Property, g.Rule, g.Request, source(g.Request))
		line("    past %s: %s", what, g.Why)
		line("    %s", g.Explanation)
	}
	r.writeNotes(line)
	for _, t := range r.Truncated {
		line("warning: %s: the last line is cut short (a log being written) and was skipped", t)
	}
	return b.Flush()
}

func (r *Report) writeNotes(line func(string, ...any)) {
	if len(r.Summary.Notes) == 0 {
		return
	}
	reasons := make([]string, 0, len(r.Summary.Notes))
	for reason := range r.Summary.Notes {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	line("")
	line("Notes (requests not judged completely):")
	for _, reason := range reasons {
		line("  %s: %s", plural(r.Summary.Notes[reason], "request"), reason)
		shown := 0
		for _, n := range r.Notes {
			if n.Reason != reason {
				continue
			}
			if shown == 3 {
				line("    …")
				break
			}
			line("    %s%s", n.Request, source(n.Request))
			shown++
		}
	}
}

func source(r invariants.Request) string {
	if r.Source == "" {
		return ""
	}
	return " [" + r.Where() + "]"
}

// printable replaces control characters, which names and messages from the
// log may carry, so that they cannot rewrite the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// WriteJSON writes the report for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJUnit writes one testcase per property, with a failure per
// violation; break-glass admissions go to the property's system-out.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junit.Suite{Name: "wavegate audit", Tests: len(invariants.Properties)}
	for _, p := range invariants.Properties {
		tc := junit.Case{Name: string(p) + " " + propertyNames[p], Classname: "wavegate.audit"}
		for _, v := range r.Violations {
			if v.Property != p {
				continue
			}
			text := []string{printable(v.Explanation)}
			for _, e := range v.Earlier {
				text = append(text, printable("earlier: "+e.String()))
			}
			tc.Failures = append(tc.Failures, junit.Failure{Message: printable(v.Request.String()), Type: v.Rule, Text: strings.Join(text, "\n")})
		}
		var out []string
		for _, g := range r.BreakGlass {
			if g.Property == p {
				out = append(out, printable("break-glass: "+g.String()))
			}
		}
		tc.SystemOut = strings.Join(out, "\n")
		if len(tc.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return junit.Write(w, suite)
}
