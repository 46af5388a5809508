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

package facts_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

var fuzzEngine = sync.OnceValues(func() (*engine.Engine, error) {
	modules, err := engine.Modules("")
	if err != nil {
		return nil, err
	}
	return engine.New(context.Background(), modules)
})

var fuzzNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fuzzBuilder holds a state in which every rule has something to judge:
// paired regions, a plan, a freeze with exemptions, a rollout, an
// automation policy and a labelled Namespace.
var fuzzBuilder = sync.OnceValue(func() *facts.Builder {
	ix := facts.NewIndex()
	ix.SetRegion(Region("eastus", PairedWith("westus")))
	ix.SetRegion(Region("westus", PairedWith("eastus")))
	ix.SetRegion(Region("centralus"))
	ix.SetNamespace("app", map[string]string{wavegatev1alpha1.LabelRegion: "eastus"})
	ix.SetNamespace("identity", map[string]string{wavegatev1alpha1.LabelRegion: "centralus"})
	ix.SetWavePlan(WavePlan("default", Wave("canary", "eastus"), Wave("broad", "westus", "centralus")))
	ix.SetFreeze(Freeze("inc-centralus", []string{"centralus"}, func(f *wavegatev1alpha1.Freeze) {
		f.Spec.Exemptions.Groups = []string{"sre"}
	}))
	ix.SetFreeze(Freeze("expired", []string{"*"}, ExpiringAt(fuzzNow.Add(-time.Hour))))
	ix.SetConfigRollout(Rollout("msi", InRegions("eastus", "westus", "centralus")))
	ix.SetAutomationPolicy(Policy("cleanup", []string{"eastus"}))
	ix.SetProtected("app", "ConfigMap app/keys", true, "")
	return &facts.Builder{Index: ix, Now: func() time.Time { return fuzzNow }, ControllerUser: "wavegate", BreakGlassGroup: "wavegate:break-glass"}
})

// FuzzPolicyInput builds the input document for Rego from a request whose
// every field comes from the fuzzer, and decides it with the real policies:
// any request builds and evaluates without a panic, a failed evaluation is
// an error (never a decision), and a decision's verdicts are rule lines.
func FuzzPolicyInput(f *testing.F) {
	f.Add("CREATE", "alice", "dev", "ConfigMap", "", "app", "cfg", []byte(`{"metadata":{"labels":{"wavegate.io/region":"eastus"}},"data":{"a":"b"}}`), []byte(nil))
	f.Add("UPDATE", "system:serviceaccount:cleanup:cleaner", "", "ConfigMap", "", "app", "cfg",
		[]byte(`{"metadata":{"labels":{"wavegate.io/protection":"deletable"},"annotations":{"wavegate.io/regions":"eastus,westus","wavegate.io/requires":"msi,nope"}},"data":{"a":"c"}}`),
		[]byte(`{"metadata":{"labels":{"wavegate.io/protection":"protected"}},"data":{"a":"b"}}`))
	f.Add("DELETE", "system:serviceaccount:cleanup:cleaner", "", "Namespace", "", "app", "app", []byte(nil), []byte(`{"metadata":{"name":"app","labels":{"wavegate.io/region":"eastus"}}}`))
	f.Add("UPDATE", "bob", "wavegate:break-glass", "Deployment", "scale", "identity", "web", []byte(`{"spec":{"replicas":3}}`), []byte(`{"spec":{"replicas":2}}`))
	f.Add("UPDATE", "carol", "sre", "ConfigMap", "", "identity", "cfg",
		[]byte(`{"metadata":{"annotations":{"wavegate.io/regions":"*","wavegate.io/change-id":"c-1"},"finalizers":[]},"data":{"a":"b"}}`),
		[]byte(`{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["x"],"labels":{"wavegate.io/region":"chinaeast9"}},"data":{"a":"b"}}`))
	f.Add("CONNECT", "", "", "", "", "", "", []byte(`{}`), []byte(`{"metadata":null}`))
	f.Fuzz(func(t *testing.T, operation, user, group, kind, subResource, namespace, name string, newRaw, oldRaw []byte) {
		obj, err := facts.DecodeObject(newRaw)
		if err != nil {
			return
		}
		old, err := facts.DecodeObject(oldRaw)
		if err != nil || (obj == nil && old == nil) {
			return
		}
		r := &facts.Request{
			UID: "fuzz", Operation: operation, User: user, Groups: []string{group},
			Kind: kind, Version: "v1", Resource: strings.ToLower(kind) + "s", SubResource: subResource,
			Namespace: namespace, Name: name, Object: obj, OldObject: old,
		}
		in := fuzzBuilder().Build(r, nil)
		eng, err := fuzzEngine()
		if err != nil {
			t.Fatal(err)
		}
		dec, err := eng.Decide(context.Background(), in.Value())
		if err != nil {
			if len(dec.Deny) > 0 || len(dec.Warn) > 0 {
				t.Fatalf("a failed evaluation returned verdicts: %+v", dec)
			}
			return
		}
		for _, v := range append(append([]engine.Verdict(nil), dec.Deny...), dec.Warn...) {
			if v.Rule == "" || !strings.HasPrefix(v.Msg, "[wavegate:"+v.Rule+"] ") {
				t.Fatalf("a verdict is not a rule line: %+v", v)
			}
		}
	})
}
