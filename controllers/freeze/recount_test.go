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

package freeze

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// A Freeze whose rollouts keep pausing is recounted once per interval: at
// the first change, then at the end of each interval that had a change.
func TestARecountIsDoneAtMostOncePerInterval(t *testing.T) {
	g := NewWithT(t)
	h := &recountPausing{every: 250 * time.Millisecond, last: map[string]time.Time{}}
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type want struct {
		after     time.Duration
		scheduled bool
	}
	for _, c := range []struct {
		freeze string
		at     time.Time
		want   want
	}{
		{"f", ms(0), want{0, true}},                         // the first change: at once
		{"f", ms(100), want{150 * time.Millisecond, true}},  // within the interval: at its end
		{"f", ms(200), want{0, false}},                      // that recount is already scheduled
		{"other", ms(200), want{0, true}},                   // another Freeze has its own interval
		{"f", ms(260), want{240 * time.Millisecond, true}},  // after the scheduled one: the next interval's end
		{"f", ms(400), want{0, false}},                      //
		{"f", ms(1000), want{0, true}},                      // quiet for an interval: at once again
		{"f", ms(1000 + 249), want{time.Millisecond, true}}, //
	} {
		after, scheduled := h.when(c.freeze, c.at)
		g.Expect(want{after, scheduled}).To(Equal(c.want), "a change to a rollout of %s at %s", c.freeze, c.at.Sub(t0))
	}
	g.Expect(h.last).To(HaveLen(1), "the intervals that ended are forgotten")
}
