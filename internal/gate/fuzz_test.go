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

package gate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// reviewDecoder decodes AdmissionReviews as controller-runtime's webhook
// server does: the universal deserializer of a scheme that knows them.
var reviewDecoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	if err := admissionv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(s).UniversalDeserializer()
}()

// fuzzEngine is compiled once: compiling the policies costs far more than
// one decision.
var fuzzEngine = sync.OnceValues(func() (*engine.Engine, error) {
	modules, err := engine.Modules("")
	if err != nil {
		return nil, err
	}
	return engine.New(context.Background(), modules)
})

// fuzzGate is a gate over a small but complete state, new for each input
// so that what one input records does not change the next one's verdict.
func fuzzGate(t *testing.T) *Gate {
	eng, err := fuzzEngine()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ix := facts.NewIndex()
	ix.SetRegion(Region("eastus", PairedWith("westus")))
	ix.SetRegion(Region("westus", PairedWith("eastus")))
	ix.SetRegion(Region("centralus"))
	ix.SetNamespace("app", map[string]string{wavegatev1alpha1.LabelRegion: "eastus"})
	ix.SetWavePlan(WavePlan("default", Wave("canary", "eastus"), Wave("broad", "westus", "centralus")))
	ix.SetFreeze(Freeze("inc-centralus", []string{"centralus"}))
	ix.SetConfigRollout(Rollout("msi", InRegions("eastus", "westus")))
	ix.SetAutomationPolicy(Policy("cleanup", []string{"eastus"}))
	return &Gate{
		Engine:  eng,
		Facts:   &facts.Builder{Index: ix, Now: func() time.Time { return now }, ControllerUser: "system:serviceaccount:wavegate-system:wavegate-manager", BreakGlassGroup: "wavegate:break-glass"},
		Records: &records.Memory{Cache: ix},
	}
}

var reviewSeeds = []string{
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"ConfigMap"},"resource":{"group":"","version":"v1","resource":"configmaps"},"namespace":"app","name":"cfg","operation":"CREATE","userInfo":{"username":"alice","groups":["dev"]},"object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app","labels":{"wavegate.io/region":"eastus"}},"data":{"a":"b"}}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"2","kind":{"group":"","version":"v1","kind":"ConfigMap"},"resource":{"group":"","version":"v1","resource":"configmaps"},"namespace":"app","name":"cfg","operation":"UPDATE","userInfo":{"username":"alice"},"object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app","annotations":{"wavegate.io/regions":"*","wavegate.io/requires":"msi"}},"data":{"a":"c"}},"oldObject":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app","labels":{"wavegate.io/region":"westus"}},"data":{"a":"b"}}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"3","kind":{"group":"","version":"v1","kind":"ConfigMap"},"resource":{"group":"","version":"v1","resource":"configmaps"},"namespace":"app","name":"cfg","operation":"DELETE","userInfo":{"username":"system:serviceaccount:cleanup:cleaner"},"oldObject":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"app","labels":{"wavegate.io/protection":"deletable"}}}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"4","kind":{"group":"autoscaling","version":"v1","kind":"Scale"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"subResource":"scale","namespace":"app","name":"web","operation":"UPDATE","userInfo":{"username":"bob","groups":["wavegate:break-glass"]},"object":{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"app","labels":{"wavegate.io/region":"centralus"}},"spec":{"replicas":3}},"oldObject":{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"app"},"spec":{"replicas":2}}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"5","kind":{"group":"","version":"v1","kind":"Namespace"},"resource":{"group":"","version":"v1","resource":"namespaces"},"namespace":"new","name":"new","operation":"DELETE","dryRun":true,"userInfo":{"username":"carol"},"oldObject":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"new","labels":{"wavegate.io/region":"chinaeast9"},"deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["kubernetes"]}}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"6","operation":"CREATE","object":[1,2,3]}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"7","operation":"CREATE","object":{"metadata":"oops"}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
}

// FuzzAdmissionReview carries AdmissionReview bytes through what the webhook
// does with them: decode, NewRequest, Judge on the real policies. Whatever
// the bytes, nothing panics, a request without an object is never admitted,
// and every verdict is a well-formed rule line.
func FuzzAdmissionReview(f *testing.F) {
	for _, s := range reviewSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		review := &admissionv1.AdmissionReview{}
		if _, _, err := reviewDecoder.Decode(data, nil, review); err != nil || review.Request == nil {
			return
		}
		r, err := NewRequest(review.Request)
		if err != nil {
			return
		}
		if r.Object == nil && r.OldObject == nil {
			t.Fatalf("NewRequest accepted a request without an object: %+v", review.Request)
		}
		dec, _, err := fuzzGate(t).Judge(context.Background(), r)
		if err != nil {
			return
		}
		checkVerdicts(t, dec)
	})
}

// checkVerdicts fails unless every verdict reads [wavegate:<rule>] ...
func checkVerdicts(t *testing.T, dec engine.Decision) {
	t.Helper()
	for _, v := range append(append([]engine.Verdict(nil), dec.Deny...), dec.Warn...) {
		if v.Rule == "" || !strings.HasPrefix(v.Msg, "[wavegate:"+v.Rule+"] ") {
			t.Fatalf("a verdict is not a rule line: %+v", v)
		}
	}
}
