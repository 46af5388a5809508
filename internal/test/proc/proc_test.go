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

package proc_test

import (
	"os"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wavegate/wavegate/internal/test/proc"
)

func TestCPUReadsThisProcessByItsCommandName(t *testing.T) {
	g := NewWithT(t)
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this machine")
	}
	self := os.Getpid()
	cpu := proc.CPU(func(pid, _ int) bool { return pid == self })
	g.Expect(cpu).To(HaveLen(1), "this process alone")
	for _, seconds := range cpu {
		g.Expect(seconds).To(BeNumerically(">=", 0))
	}
	g.Expect(proc.CPU(func(int, int) bool { return false })).To(BeEmpty())
}
