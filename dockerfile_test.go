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

// Package wavegate_test checks the files at the root of the repository.
package wavegate_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// stage is one FROM of a Dockerfile and the instructions under it.
type stage struct {
	from  string
	lines []string
}

func readStages(t *testing.T, path string) []stage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	// Join continuation lines, drop comments.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			stages = append(stages, stage{from: fields[1]})
			continue
		}
		if len(stages) == 0 {
			continue // ARG before the first FROM
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
	}
	return stages
}

func TestTheImageIsStaticDistrolessAndRunsAsNonRoot(t *testing.T) {
	g := NewWithT(t)
	stages := readStages(t, "Dockerfile")
	g.Expect(len(stages)).To(BeNumerically(">=", 2), "a builder stage and a final stage")

	t.Run("every base image is pinned", func(t *testing.T) {
		for _, s := range stages {
			image := s.from
			g := NewWithT(t)
			g.Expect(image).To(ContainSubstring(":"), "%s has no tag", image)
			g.Expect(image).NotTo(HaveSuffix(":latest"))
		}
		NewWithT(t).Expect(stages[0].from).To(MatchRegexp(`^golang:\d+\.\d+\.\d+`), "the builder is a Go release, to the patch")
	})
	t.Run("the manager is built static, without cgo", func(t *testing.T) {
		build := ""
		for _, l := range stages[0].lines {
			if strings.Contains(l, "go build") {
				build = l
			}
		}
		g := NewWithT(t)
		g.Expect(build).To(ContainSubstring("CGO_ENABLED=0"))
		g.Expect(build).To(ContainSubstring("./cmd/manager"))
	})
	t.Run("the final stage is distroless static, run by a numeric non-root user", func(t *testing.T) {
		g := NewWithT(t)
		final := stages[len(stages)-1]
		g.Expect(final.from).To(MatchRegexp(`^gcr\.io/distroless/static(-debian\d+)?:nonroot$`))
		var user string
		for _, l := range final.lines {
			if f := strings.Fields(l); strings.EqualFold(f[0], "USER") {
				user = f[1]
			}
		}
		g.Expect(user).To(MatchRegexp(`^[1-9]\d*(:[1-9]\d*)?$`), "runAsNonRoot can only verify a numeric user")
		g.Expect(regexp.MustCompile(`^0(:|$)`).MatchString(user)).To(BeFalse())
	})
}
