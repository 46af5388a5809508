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

package invariants_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/audit/audittest"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

// A history built from requests and objects, without audit lines: a
// property test feeds the Checker so. audittest.APIServer fills in what the
// API server would (uid, resourceVersion, creation time); Write.Event alone
// takes the objects as given.
func TestACheckerFedWithoutAuditLines(t *testing.T) {
	c, err := invariants.New(invariants.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := audittest.NewAPIServer()
	t0 := time.Date(2024, 7, 18, 12, 0, 0, 0, time.UTC)
	add := func(at time.Duration, user, verb string, obj audittest.Object) {
		e, err := api.Event(audittest.Request{Write: invariants.Write{At: t0.Add(at), User: user, Verb: verb, Object: obj}})
		if err != nil {
			t.Fatal(err)
		}
		c.Add(e)
	}
	add(0, "admin", "create", audittest.RegionObject("eastus", "westus"))
	add(0, "admin", "create", audittest.RegionObject("westus", "eastus"))
	add(0, "admin", "create", audittest.WavePlan("default",
		audittest.Wave{Name: "one", Bake: time.Hour, Regions: []string{"eastus"}},
		audittest.Wave{Name: "two", Bake: time.Hour, Regions: []string{"westus"}}))
	settings := func(region string) audittest.Object {
		return audittest.ConfigMap("app", "settings-"+region, map[string]string{"flag": "on"}, audittest.Region(region))
	}
	add(time.Minute, "ci", "create", settings("eastus"))
	add(2*time.Minute, "ci", "create", settings("westus")) // eastus's pair, before its bake

	vs := c.Violations()
	if len(vs) != 1 {
		t.Fatalf("want one violation, the pair entered within its bake; got %v", vs)
	}
	v := vs[0]
	if got, want := fmt.Sprint(v.Property, " ", v.Rule, " ", v.Clauses), "S1 change-velocity [b: next wave before bake d: failover pair within bake]"; got != want {
		t.Errorf("violation %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(v.Request.Object, " after ", v.Earlier[0].Object), "ConfigMap app/settings-westus after ConfigMap app/settings-eastus"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
