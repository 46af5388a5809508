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
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wavegate/wavegate/internal/audit"
)

// An audit log is untrusted input (SPEC §8): whatever it holds, wavegate
// audit either reports on it or says which line is bad input (exit code
// 2); it never fails otherwise, and never panics.
func FuzzReadLog(f *testing.F) {
	f.Fuzz(func(t *testing.T, log []byte) {
		path := filepath.Join(t.TempDir(), "audit.log")
		if err := os.WriteFile(path, log, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Run(context.Background(), audit.Config{Logs: []string{path}})
		if err != nil {
			var in *audit.InputError
			if !errors.As(err, &in) {
				t.Fatalf("not bad input: %v", err)
			}
			return
		}
		for _, write := range []func(io.Writer) error{rep.WriteText, rep.WriteJSON, rep.WriteJUnit} {
			if err := write(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// A state file is untrusted input too: it is read, or it is bad input.
func FuzzReadState(f *testing.F) {
	f.Fuzz(func(t *testing.T, state []byte) {
		path := filepath.Join(t.TempDir(), "state.yaml")
		if err := os.WriteFile(path, state, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := audit.Run(context.Background(), audit.Config{Logs: []string{testdata("s5-unknown-region.log")}, State: path})
		var in *audit.InputError
		if err != nil && !errors.As(err, &in) {
			t.Fatalf("not bad input: %v", err)
		}
	})
}
