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

package facts_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/test/synthetic"
)

// BenchmarkDecideParts splits BenchmarkDecide at the standard state into
// building the facts, rendering them as an ast.Value, and evaluating the
// prepared query. cpu-µs/op is the process's CPU time per evaluation: on a
// shared machine it moves less than wall time.
func BenchmarkDecideParts(b *testing.B) {
	ctx := context.Background()
	modules, err := engine.Modules("")
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(ctx, modules)
	if err != nil {
		b.Fatal(err)
	}
	builder := synthetic.Builder(synthetic.Standard)
	req := synthetic.Request(20)
	in := builder.Build(req, nil)
	v := in.Value()
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			builder.Build(req, nil)
		}
	})
	b.Run("value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in.Value()
		}
	})
	b.Run("eval", func(b *testing.B) {
		b.ReportAllocs()
		c0 := cpu()
		for b.Loop() {
			if _, err := eng.Decide(ctx, v); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpu()-c0)/float64(b.N)/1e3, "cpu-µs/op")
	})
}

// cpu is the CPU time the process has used, in nanoseconds.
func cpu() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
