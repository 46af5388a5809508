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
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/test/synthetic"
)

// BenchmarkDecide measures one admission decision in process: facts from the
// index, then the prepared Rego query. It reports p50 and p99 per decision
// (wall time), and the process's CPU time per decision (cpu-µs/op), which a
// shared machine moves less than it moves the wall-time tail.
func BenchmarkDecide(b *testing.B) {
	for _, s := range []synthetic.State{
		{Regions: 100, Rollouts: 1000, Freezes: 50, Policies: 50},
		{Regions: 1000, Rollouts: 10000, Freezes: 500, Policies: 500},
	} {
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
			builder := &facts.Builder{Index: synthetic.Populate(s), Now: func() time.Time { return synthetic.Now }, BreakGlassGroup: "wavegate:break-glass"}
			req := synthetic.Request(20)
			if dec, err := eng.Decide(ctx, builder.Build(req, nil).Value()); err != nil || !dec.Allowed() {
				b.Fatalf("the benchmark request must be admitted: %+v %v", dec, err)
			}
			durations := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpu()
			for b.Loop() {
				start := time.Now()
				if _, err := eng.Decide(ctx, builder.Build(req, nil).Value()); err != nil {
					b.Fatal(err)
				}
				durations = append(durations, time.Since(start))
			}
			b.StopTimer()
			b.ReportMetric(float64(cpu()-c0)/float64(len(durations))/1e3, "cpu-µs/op")
			sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
			b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds())/1e3, "p99-µs")
		})
	}
}
