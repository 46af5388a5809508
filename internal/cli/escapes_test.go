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
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// TestAChangeDoesNotEscapeTheWavesByLeavingItsRegions: SPEC §4, "an UPDATE is
// judged against the old object's regions as well as the new one's", and
// the plan that judges is the one the object names, as it is now. Each case
// was admitted before: a global object that drops its regions annotation
// with new data, a change that drops an object's region label while
// bringing it the change, and a change recorded under another plan judged
// by that plan's bake instead of its own. (Moving an object with new data
// also enters two regions at once, which change-velocity judges on a line
// of its own: §11 S1.)
func TestAChangeDoesNotEscapeTheWavesByLeavingItsRegions(t *testing.T) {
	dir := filepath.Join("testdata", "escapes")
	for _, tc := range []struct {
		name, state, manifest, now, want string
	}{{
		name: "a global object losing its regions annotation with new data", state: "state.yaml", manifest: "remove-every-region.yaml",
		now:  "2024-07-18T14:00:00Z",
		want: "[wavegate:multi-region] ConfigMap aoai/cleanup-config targeted 2 regions (*) at once before this update, which changes its data there too; split it into one object per region and roll it out with a ConfigRollout",
	}, {
		name: "an object losing its region label with the change", state: "state.yaml", manifest: "remove-region-label.yaml",
		now:  "2024-07-18T14:00:00Z",
		want: "[wavegate:change-velocity] change chg7 reached eastus 0s ago (wave w1, bake 6h); its failover pair westus may follow after 2024-07-18T20:00:00Z; use a ConfigRollout",
	}, {
		// Recorded in wave "one" of plan fast (15m bake), judged by default,
		// where eastus bakes 6h: at 14:45 the 15m and the 1h of default's
		// first wave have passed.
		name: "a change recorded under another plan", state: "state-recorded-under-another-plan.yaml", manifest: "enter-pair.yaml",
		now:  "2024-07-18T14:45:00Z",
		want: "[wavegate:change-velocity] change chg-x reached eastus 1h5m ago (wave broad-1, bake 6h); its failover pair westus may follow after 2024-07-18T19:40:00Z; use a ConfigRollout",
	}, {
		name: "an object moved to its region's failover pair with new data", state: "state.yaml", manifest: "move-with-new-data.yaml",
		now:  "2024-07-18T14:00:00Z",
		want: "would enter eastus and westus at once: the update moves the object with new data; change the object's region and its data in separate updates",
	}, {
		name: "an object moved away from a region where what it requires is pinned, with new data", state: "state-requires.yaml", manifest: "move-away-from-a-pin.yaml",
		now:  "2024-07-18T14:00:00Z",
		want: "[wavegate:requires] ConfigRollout ro-z has not converged in eastus (Pinned at 1.9.3: hotfix hold) and westus (Pinned at 1.9.3: hotfix hold); apply this change once it has converged there",
	}, {
		// Entered under default's broad-1 (6h); the next object of the
		// change names plan fast, where eastus bakes 15m.
		name: "a change continued under a faster plan", state: "state-faster-plan.yaml", manifest: "enter-pair-under-a-faster-plan.yaml",
		now:  "2024-07-18T14:00:00Z",
		want: "[wavegate:change-velocity] change chg-k0 reached eastus 30m ago (wave broad-1, bake 6h); its failover pair westus may follow after 2024-07-18T19:30:00Z; use a ConfigRollout",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			out, _, code := run("check", "-f", filepath.Join(dir, tc.manifest), "--state", filepath.Join(dir, tc.state), "--now", tc.now)
			g.Expect(code).To(Equal(ExitFailed), out)
			g.Expect(out).To(ContainSubstring(tc.want))
			for _, rule := range []string{"[wavegate:change-velocity]", "[wavegate:multi-region]", "[wavegate:requires]"} {
				g.Expect(strings.Count(out, rule)).To(BeNumerically("<=", 1), "one line per violated rule")
			}
		})
	}
	t.Run("narrowing a global object without changing its data is not a change", func(t *testing.T) {
		g := NewWithT(t)
		out, _, code := run("check", "-f", filepath.Join(dir, "narrow-every-region.yaml"), "--state", filepath.Join(dir, "state.yaml"), "--now", "2024-07-18T14:00:00Z")
		g.Expect(code).To(Equal(ExitOK), out)
	})
}
