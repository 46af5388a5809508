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

package webhook_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

func samplesDir() string { return filepath.Join(testenv.RepoRoot(), "config", "samples") }

var (
	samplesOnce sync.Once
	samplesErr  error
	// sampleRegions are the Regions the samples define; other tests add their own.
	sampleRegions = map[string]bool{}
)

// applySamples applies config/samples/*.yaml once, as a user would.
func applySamples() error {
	samplesOnce.Do(func() {
		var applied []testenv.AppliedFile
		applied, samplesErr = testenv.ApplyDir(context.Background(), env.Client, samplesDir(), "samples")
		for _, f := range applied {
			for _, obj := range f.Objects {
				if obj.GetKind() == "Region" {
					sampleRegions[obj.GetName()] = true
				}
			}
		}
	})
	return samplesErr
}

func TestEverySampleIsAccepted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(applySamples()).To(Succeed())

	regions := &wavegatev1alpha1.RegionList{}
	g.Expect(env.Client.List(ctx, regions)).To(Succeed())
	byName := map[string]wavegatev1alpha1.Region{}
	for _, r := range regions.Items {
		byName[r.Name] = r
	}
	clouds := map[string]bool{}
	for _, r := range regions.Items {
		if !sampleRegions[r.Name] {
			continue
		}
		clouds[r.Spec.Cloud] = true
		if pair := r.Spec.PairedRegion; pair != "" {
			g.Expect(byName[pair].Spec.PairedRegion).To(Equal(r.Name), "pair %s/%s must point both ways", r.Name, pair)
		}
	}
	g.Expect(len(sampleRegions)).To(BeNumerically(">=", 16), "a realistic inventory has at least 16 regions")
	g.Expect(byName).To(HaveKey("centralus"))
	g.Expect(byName["australiaeast"].Spec.PairedRegion).To(Equal("australiasoutheast"))
	g.Expect(byName["eastus"].Spec.PairedRegion).To(Equal("westus"))
	g.Expect(len(clouds)).To(BeNumerically(">=", 2), "the inventory must include a sovereign cloud")
}

func TestEveryInvalidSampleIsRejectedWithItsMessage(t *testing.T) {
	NewWithT(t).Expect(applySamples()).To(Succeed(), "the invalid samples are judged against the sample inventory")
	files, err := filepath.Glob(filepath.Join(samplesDir(), "invalid", "*.yaml"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(len(files)).To(BeNumerically(">=", 10))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			g := NewWithT(t)
			want := expectedError(g, file)
			objs, err := manifest.ReadFile(file)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(objs).To(HaveLen(1))
			err = env.Client.Create(context.Background(), objs[0])
			g.Expect(err).To(MatchError(ContainSubstring(want)))
		})
	}
}

// expectedError reads the "# expect: " line that every invalid sample starts with.
func expectedError(g Gomega, file string) string {
	f, err := os.Open(file)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if want, ok := strings.CutPrefix(s.Text(), "# expect: "); ok {
			return want
		}
	}
	g.Expect(s.Err()).NotTo(HaveOccurred())
	panic(file + " has no '# expect: ' line")
}
