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
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wavegate/wavegate/internal/check"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/manifest"
)

// The fuzz targets below follow `wavegate check` from the bytes of a file to
// a verdict: manifest.Read (what ReadFile does after reading), validInput
// (the bad-input gate, exit code 2), check.New and Checker.Check. Input that
// passes validInput is valid, so from there on an error is a bug: check
// would report bad input as its own internal error (exit code 1).

var fuzzNow = time.Date(2024, 7, 18, 14, 0, 0, 0, time.UTC)

// fuzzEngine is compiled once for every checker the fuzzers build.
var fuzzEngine = sync.OnceValues(func() (*engine.Engine, error) {
	modules, err := engine.Modules("")
	if err != nil {
		return nil, err
	}
	return engine.New(context.Background(), modules)
})

func fuzzChecker(t *testing.T, state []*unstructured.Unstructured) *check.Checker {
	t.Helper()
	eng, err := fuzzEngine()
	if err != nil {
		t.Fatal(err)
	}
	c, err := check.New(context.Background(), state, check.Options{Now: fuzzNow, ControllerUser: "system:serviceaccount:wavegate-system:wavegate-manager",
		BreakGlassGroup: "wavegate:break-glass", Namespace: "wavegate-system", Engine: eng})
	if err != nil {
		t.Fatalf("a state that passed validation does not load: %v", err)
	}
	return c
}

// readValid is what check's input step accepts: nil when it is bad input.
func readValid(data []byte) []*unstructured.Unstructured {
	objs, err := manifest.Read(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	for _, o := range objs {
		if validInput(o) != nil {
			return nil
		}
	}
	return objs
}

func readSample(f *testing.F, parts ...string) []byte {
	f.Helper()
	data, err := os.ReadFile(samples(parts...))
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// judgeAll checks every object, as one sequence, and fails on an error for
// valid input or on a verdict that is not well formed.
func judgeAll(t *testing.T, c *check.Checker, objs []*unstructured.Unstructured, del bool) {
	t.Helper()
	for i, o := range objs {
		v, err := c.Check(context.Background(), check.Request{Object: o, User: "ci", Groups: []string{"deployers"}, Delete: del})
		if err != nil {
			t.Fatalf("valid input %d (%s %s) fails the check: %v", i, o.GetKind(), o.GetName(), err)
		}
		if v.Allowed != (len(v.Denials) == 0) {
			t.Fatalf("allowed %v with denials %+v", v.Allowed, v.Denials)
		}
		for _, d := range append(append([]engine.Verdict(nil), v.Denials...), v.Warnings...) {
			if d.Rule == "" || !strings.HasPrefix(d.Msg, "[wavegate:"+d.Rule+"] ") {
				t.Fatalf("a verdict is not a rule line: %+v", d)
			}
		}
	}
}

// FuzzCheckManifests: manifests for `wavegate check`, judged against the
// sample state.
func FuzzCheckManifests(f *testing.F) {
	entries, err := os.ReadDir(samples("incidents"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readSample(f, "incidents", e.Name()), false)
	}
	f.Add(readSample(f, "incidents", "3-decommission.yaml"), true)
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n","labels":{"wavegate.io/region":"eastus"}}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}}]}`), true)
	f.Add([]byte("apiVersion: wavegate.io/v1alpha1\nkind: Freeze\nmetadata: {name: f}\nspec: {regions: ['*'], reason: a long enough reason}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: app, annotations: {wavegate.io/regions: 'eastus,westus'}}\nspec: {replicas: 1}\n"), false)
	state := readValid(readSample(f, "state.yaml"))
	if state == nil {
		f.Fatal("the sample state is not valid input")
	}
	f.Fuzz(func(t *testing.T, data []byte, del bool) {
		objs := readValid(data)
		if objs == nil {
			return
		}
		judgeAll(t, fuzzChecker(t, state), objs, del)
	})
}

// FuzzCheckState: state files (`wavegate state export`, read by check's
// --state), loaded and then used to judge the sample incidents.
func FuzzCheckState(f *testing.F) {
	f.Add(readSample(f, "state.yaml"))
	for _, name := range []string{"10-regions.yaml", "20-region-pairs.yaml", "30-waveplan.yaml", "40-configrollout.yaml", "50-freeze.yaml", "60-automationpolicy.yaml"} {
		f.Add(readSample(f, name))
	}
	f.Add([]byte("apiVersion: wavegate.io/v1alpha1\nkind: ChangeRecord\nmetadata: {name: r}\nspec: {changeID: abc, kind: ConfigMap}\n"))
	var manifests []*unstructured.Unstructured
	docs, err := manifest.ReadDocs([]string{filepath.Join(samples("incidents"))})
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range docs {
		manifests = append(manifests, d.Object)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		state := readValid(data)
		if state == nil {
			return
		}
		judgeAll(t, fuzzChecker(t, state), manifests, false)
	})
}
