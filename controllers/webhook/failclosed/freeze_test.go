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

package failclosed

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// TestTheEmergencySwitchWorksWithEveryReplicaDown: a Freeze's webhook fails
// open, and everything local to a Freeze is still enforced by the CRD.
func TestTheEmergencySwitchWorksWithEveryReplicaDown(t *testing.T) {
	ctx := context.Background()
	g := NewWithT(t)
	for _, f := range []*wavegatev1alpha1.Freeze{Freeze("fc-everywhere", []string{"*"}), Freeze("fc-eastus", []string{"eastus"})} {
		g.Expect(env.Client.Create(ctx, f)).To(Succeed(), "wavegate pause works while Wavegate is down")
		g.Expect(env.Client.Delete(ctx, f)).To(Succeed())
	}
	invalid := map[string]*wavegatev1alpha1.Freeze{
		"a short reason":           Freeze("fc-short", []string{"*"}, func(f *wavegatev1alpha1.Freeze) { f.Spec.Reason = "outage" }),
		"a reason of blanks":       Freeze("fc-blank", []string{"*"}, func(f *wavegatev1alpha1.Freeze) { f.Spec.Reason = "            " }),
		"no region":                Freeze("fc-none", []string{}),
		"* with regions":           Freeze("fc-mixed", []string{"*", "eastus"}),
		"a region that is no name": Freeze("fc-badname", []string{"East US"}),
	}
	for name, f := range invalid {
		t.Run(name, func(t *testing.T) {
			err := env.Client.Create(ctx, f)
			NewWithT(t).Expect(apierrors.IsInvalid(err)).To(BeTrue(), "the CRD rejects it by itself: %v", err)
		})
	}
}
