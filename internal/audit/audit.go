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
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wavegate/wavegate/internal/audit/invariants"
)

// Config is one run of `wavegate audit`.
type Config struct {
	// Logs are the audit log files, in any order.
	Logs []string
	// State is the optional state file the history starts from.
	State string
	// Options configure the checker; Options.State is filled from State.
	Options invariants.Options
	// Progress, if set, is called every ProgressEvery (default 2s) while
	// the logs are read, and once at the end.
	Progress      func(p Progress)
	ProgressEvery time.Duration
}

// Progress is how far a run has read.
type Progress struct {
	Events  int64
	Bytes   int64
	Elapsed time.Duration
	Done    bool
}

// Report is what a run found.
type Report struct {
	// Files are the logs in the order they were read.
	Files      []string                `json:"files"`
	Summary    invariants.Summary      `json:"summary"`
	Violations []invariants.Violation  `json:"violations"`
	BreakGlass []invariants.BreakGlass `json:"breakGlass"`
	Notes      []invariants.Note       `json:"notes"`
	// Truncated lists the last lines ("file:line") cut short and skipped:
	// a log still being written.
	Truncated []string `json:"truncated,omitempty"`
}

// Run reads the logs into a Checker and returns its report. Bad input (a
// file that cannot be read, a line that is not an audit event, a state file
// that does not decode) is an *InputError.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Logs) == 0 {
		return nil, errors.New("no audit log to read")
	}
	o := cfg.Options
	if cfg.State != "" {
		objs, err := ReadState(cfg.State)
		if err != nil {
			return nil, err
		}
		o.State = objs
	}
	checker, err := invariants.New(o)
	if err != nil {
		return nil, &InputError{File: cfg.State, Err: err}
	}
	r, err := Open(cfg.Logs)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	if err := feed(ctx, r, checker, cfg); err != nil {
		return nil, err
	}
	return report(r, checker), nil
}

// feed adds every event of r to checker, in order, and shows progress.
func feed(ctx context.Context, r *Reader, checker *invariants.Checker, cfg Config) error {
	every := cfg.ProgressEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	start := time.Now()
	next := start.Add(every)
	progress := func(done bool) {
		events, bytes := r.Progress()
		cfg.Progress(Progress{Events: events, Bytes: bytes, Elapsed: time.Since(start), Done: done})
	}
	for n := 1; ; n++ {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		checker.Add(e)
		if n%1024 != 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("audit interrupted: %w", err)
		}
		if cfg.Progress != nil && time.Now().After(next) {
			progress(false)
			next = time.Now().Add(every)
		}
	}
	if cfg.Progress != nil {
		progress(true)
	}
	return nil
}

func report(r *Reader, checker *invariants.Checker) *Report {
	rep := &Report{Files: r.Files(), Summary: checker.Summary(), Violations: checker.Violations(),
		BreakGlass: checker.BreakGlass(), Notes: checker.Notes(), Truncated: r.Truncated()}
	if rep.Violations == nil {
		rep.Violations = []invariants.Violation{}
	}
	if rep.BreakGlass == nil {
		rep.BreakGlass = []invariants.BreakGlass{}
	}
	if rep.Notes == nil {
		rep.Notes = []invariants.Note{}
	}
	for _, p := range invariants.Properties {
		rep.Summary.Violations[p] += 0
	}
	return rep
}
