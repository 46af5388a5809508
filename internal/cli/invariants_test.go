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

// TestTheHolesOfIssue24AreClosed: each manifest was admitted by `wavegate
// check` (and so by the webhook) before the rules followed docs/spec.md
// §11 (decision 36). Within a file the manifests are one sequence of
// applies at one instant: the first is admitted, the last is denied. (The
// object labelled apart from its frozen Namespace is also a change entering
// a failover pair at once: change-velocity has its own line.)
func TestTheHolesOfIssue24AreClosed(t *testing.T) {
	dir := filepath.Join("testdata", "invariants")
	for _, tc := range []struct{ name, manifest, want string }{{
		name: "a region label does not take an object out of its Namespace's Freeze", manifest: "label-escapes-freeze.yaml",
		want: "[wavegate:freeze] region ukwest is frozen by Freeze inc-ukwest (INC-7): UK West storage incident: stop all changes; wait for the freeze to end or use break-glass",
	}, {
		name: "a change started in a later wave never enters an earlier one", manifest: "wrong-end.yaml",
		want: "and a change's waves never go down; start it again in the plan's first wave with a ConfigRollout",
	}, {
		name: "a first region outside the first wave is the change's canary", manifest: "home-region-then-its-wave.yaml",
		want: "it started there, outside the plan's first wave, so westeurope is its canary and uksouth may follow after 2024-07-18T20:00:00Z",
	}, {
		name: "a fresh change-id does not make the same payload another change", manifest: "one-change-two-ids.yaml",
		want: "[wavegate:change-velocity] change ci-run-2 reached eastus2euap 0s ago (wave canary, bake 1h); westcentralus may follow after 2024-07-18T15:00:00Z; use a ConfigRollout",
	}, {
		name: "the same bytes in binaryData are the same change", manifest: "same-bytes-as-binary-data.yaml",
		want: "reached eastus2euap 0s ago (wave canary, bake 1h); westcentralus may follow after 2024-07-18T15:00:00Z",
	}, {
		name: "emptying a payload is a change", manifest: "empty-everywhere.yaml",
		want: "reached eastus2euap 0s ago (wave canary, bake 1h); westcentralus may follow after 2024-07-18T15:00:00Z",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			out, _, code := run("check", "-f", filepath.Join(dir, tc.manifest), "--state", filepath.Join(dir, "state.yaml"), "--now", "2024-07-18T14:00:00Z")
			g.Expect(code).To(Equal(ExitFailed), out)
			g.Expect(out).To(ContainSubstring(tc.want))
			rule := "[wavegate:change-velocity]"
			if strings.HasPrefix(tc.want, "[wavegate:freeze]") {
				rule = "[wavegate:freeze]"
			}
			g.Expect(strings.Count(out, rule)).To(Equal(1), "one denial, of the last manifest, one line for its rule")
		})
	}
}
