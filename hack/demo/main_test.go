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

package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/controlplane"
)

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The parent pid is the 4th field, after the command in parentheses.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// TestMakeDevComesUpJudgesChangesAndLeavesNothingBehind runs what `make dev`
// runs, applies a denied and an allowed change through bin/demo/kubeconfig,
// stops it with Ctrl-C and checks that kube-apiserver and etcd are gone.
func TestMakeDevComesUpJudgesChangesAndLeavesNothingBehind(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run with make test")
	}
	g := NewWithT(t)
	bin := filepath.Join(t.TempDir(), "wavegate-demo")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	cmd := exec.Command(bin, "--replay=false")
	cmd.Dir = controlplane.RepoRoot()
	stdout, err := cmd.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cmd.Start()).To(Succeed())
	defer func() { _ = cmd.Process.Kill() }()

	ready := make(chan struct{})
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if strings.HasPrefix(s.Text(), "Ready:") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
		t.Fatal("make dev did not print Ready: within 2 minutes")
	}
	plane := children(cmd.Process.Pid)
	g.Expect(plane).NotTo(BeEmpty(), "kube-apiserver and etcd run as children of the demo")

	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(controlplane.RepoRoot(), "bin", "demo", "kubeconfig"))
	g.Expect(err).NotTo(HaveOccurred())
	c, err := client.New(cfg, client.Options{Scheme: controlplane.NewScheme()})
	g.Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev-test"}})).To(Succeed())
	denied := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dev-test", Name: "frozen",
		Labels: map[string]string{"wavegate.io/region": "centralus"}}}
	g.Expect(c.Create(ctx, denied)).To(MatchError(ContainSubstring("[wavegate:freeze] region centralus is frozen by Freeze inc-20240718-centralus")))
	allowed := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dev-test", Name: "fine",
		Labels: map[string]string{"wavegate.io/region": "eastus"}}}
	g.Expect(c.Create(ctx, allowed)).To(Succeed())

	g.Expect(cmd.Process.Signal(os.Interrupt)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		g.Expect(err).NotTo(HaveOccurred(), "Ctrl-C stops the demo cleanly")
	case <-time.After(time.Minute):
		t.Fatal("the demo did not stop within a minute of Ctrl-C")
	}
	for _, pid := range plane {
		g.Eventually(func() bool { return alive(pid) }).WithTimeout(10*time.Second).Should(BeFalse(), "process %d was left behind", pid)
	}
}
