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

package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

func TestFindCycle(t *testing.T) {
	graph := map[string][]string{
		"a": {"b"},
		"b": {"c"},
		"c": nil,
		"d": {"a", "c"},
	}
	cases := []struct {
		name     string
		from, to string
		want     []string
	}{
		{name: "an edge into an acyclic chain closes no cycle", from: "x", to: "a", want: nil},
		{name: "an edge back to the start of a chain closes a cycle", from: "c", to: "a", want: []string{"c", "a", "b", "c"}},
		{name: "a direct back edge is a two-step cycle", from: "b", to: "a", want: []string{"b", "a", "b"}},
		{name: "an edge to a rollout that does not exist closes no cycle", from: "a", to: "ghost", want: nil},
		{name: "a diamond without a back edge is not a cycle", from: "e", to: "d", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(findCycle(graph, tc.from, tc.to)).To(Equal(tc.want))
		})
	}
}

func TestValidateWaves(t *testing.T) {
	inv := inventory{
		"a": Region("a", PairedWith("b")),
		"b": Region("b"), // the pair is declared on one side only
		"c": Region("c"),
	}
	cases := []struct {
		name   string
		waves  []wavegatev1alpha1.Wave
		fields []string
	}{
		{name: "a plan that keeps pairs apart is valid", waves: []wavegatev1alpha1.Wave{Wave("w1", "a", "c"), Wave("w2", "b")}},
		{name: "a pair declared on one side still may not share a wave", waves: []wavegatev1alpha1.Wave{Wave("w1", "b", "c", "a")}, fields: []string{"spec.waves[0].regions[2]"}},
		{name: "every unknown region is reported", waves: []wavegatev1alpha1.Wave{Wave("w1", "x"), Wave("w2", "c", "y")}, fields: []string{"spec.waves[0].regions[0]", "spec.waves[1].regions[1]"}},
		{name: "a region in two waves is reported where it repeats", waves: []wavegatev1alpha1.Wave{Wave("w1", "c"), Wave("w2", "a"), Wave("w3", "c")}, fields: []string{"spec.waves[2].regions[0]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var fields []string
			for _, e := range validateWaves(inv, tc.waves) {
				fields = append(fields, e.Field)
			}
			NewWithT(t).Expect(fields).To(Equal(tc.fields))
		})
	}
}

// failingReader is a client whose reads fail, as when the API server is unreachable.
func failingReader() client.Client {
	boom := errors.New("connection refused")
	return fake.NewClientBuilder().WithScheme(testenv.NewScheme()).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return boom
		},
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error { return boom },
	}).Build()
}

func TestUnreadableFactsDenyWithWhatCouldNotBeDecided(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	reader := failingReader()

	t.Run("a freeze of named regions is denied when the inventory cannot be read", func(t *testing.T) {
		g := NewWithT(t)
		_, err := NewFreezeValidator(reader, now, false).ValidateCreate(ctx, Freeze("f", []string{"centralus"}))
		g.Expect(apierrors.IsServiceUnavailable(err)).To(BeTrue(), "%v", err)
		g.Expect(err).To(MatchError("wavegate could not read the region inventory to validate this object: connection refused; retry"))
	})
	t.Run("a freeze of every region needs no inventory, so the emergency stop still works", func(t *testing.T) {
		_, err := NewFreezeValidator(reader, now, false).ValidateCreate(ctx, Freeze("f", []string{"*"}))
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
	})
	t.Run("an agent admits a freeze of named regions while its hub cannot be read, with a warning", func(t *testing.T) {
		g := NewWithT(t)
		warnings, err := NewFreezeValidator(reader, now, true).ValidateCreate(ctx, Freeze("f", []string{"centralus"}))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(warnings).To(ConsistOf(ContainSubstring("the regions of Freeze f were not checked")))
	})
	t.Run("a rollout is denied when its plan cannot be read", func(t *testing.T) {
		_, err := NewConfigRolloutValidator(reader, nil).ValidateCreate(ctx, Rollout("r"))
		NewWithT(t).Expect(err).To(MatchError("wavegate could not read WavePlan default to validate this object: connection refused; retry"))
	})
	t.Run("a region is denied when its pair cannot be read", func(t *testing.T) {
		_, err := NewRegionValidator(reader).ValidateCreate(ctx, Region("a", PairedWith("b")))
		NewWithT(t).Expect(err).To(MatchError("wavegate could not read Region b to validate this object: connection refused; retry"))
	})
}
