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
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/test/synthetic"
)

// BenchmarkDecide measures one admission decision in process: facts from the
// index, then the prepared Rego query. It reports p50 and p99 per decision
// (wall time), and the process's CPU time per decision (cpu-µs/op), which a
// shared machine moves less than it moves the wall-time tail.
func BenchmarkDecide(b *testing.B) {
	for _, s := range []synthetic.State{synthetic.Standard, synthetic.Standard.Times(10)} {
		b.Run(fmt.Sprintf("regions=%d/rollouts=%d/freezes=%d/policies=%d", s.Regions, s.Rollouts, s.Freezes, s.Policies), func(b *testing.B) {
			ctx := context.Background()
			modules, err := engine.Modules("")
			if err != nil {
				b.Fatal(err)
			}
			eng, err := engine.New(ctx, modules)
			if err != nil {
				b.Fatal(err)
			}
			builder := synthetic.Builder(s)
			req := synthetic.Request(20)
			if dec, err := eng.Decide(ctx, builder.Build(req, nil).Value()); err != nil || !dec.Allowed() {
				b.Fatalf("the benchmark request must be admitted: %+v %v", dec, err)
			}
			measure(b, func() {
				if _, err := eng.Decide(ctx, builder.Build(req, nil).Value()); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkDecideFloor measures what a decision costs before any rule runs,
// at BenchmarkDecide's standard state and with its request: "facts" builds
// the facts and renders them as an ast.Value; "evaluator" adds one
// evaluation by OPA's top-down evaluator of a policy that reads nothing and
// denies nothing. make bench runs it in the same process as BenchmarkDecide,
// so the floors and the decision are measured on the same machine in the
// same minute.
func BenchmarkDecideFloor(b *testing.B) {
	ctx := context.Background()
	builder := synthetic.Builder(synthetic.Standard)
	req := synthetic.Request(20)
	b.Run("facts", func(b *testing.B) {
		measure(b, func() { builder.Build(req, nil).Value() })
	})
	b.Run("evaluator", func(b *testing.B) {
		eng, err := engine.New(ctx, map[string]string{"floor.rego": floorPolicy})
		if err != nil {
			b.Fatal(err)
		}
		measure(b, func() {
			if _, err := eng.Decide(ctx, builder.Build(req, nil).Value()); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// floorPolicy is the smallest policy the engine accepts: the decision
// query's package with an empty decision.
const floorPolicy = `package wavegate.main

decision := {"deny": set(), "warn": set()}
`

// measure runs op once per loop and reports the p50 and p99 of its wall
// time and the process's CPU time per run.
func measure(b *testing.B, op func()) {
	b.Helper()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpu()
	for b.Loop() {
		start := time.Now()
		op()
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu()-c0)/float64(len(durations))/1e3, "cpu-µs/op")
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds())/1e3, "p99-µs")
}
