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
	"time"

	"github.com/wavegate/wavegate/internal/audit/audittest"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

// A history built from requests and objects, without audit lines: a
// property test feeds the Checker so. audittest.APIServer fills in what the
// API server would (uid, resourceVersion, creation time); Write.Event alone
// takes the objects as given.
func ExampleChecker() {
	c, err := invariants.New(invariants.Options{})
	if err != nil {
		panic(err)
	}
	api := audittest.NewAPIServer()
	t0 := time.Date(2024, 7, 18, 12, 0, 0, 0, time.UTC)
	add := func(at time.Duration, user, verb string, obj audittest.Object) {
		e, err := api.Event(audittest.Request{Write: invariants.Write{At: t0.Add(at), User: user, Verb: verb, Object: obj}})
		if err != nil {
			panic(err)
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

	for _, v := range c.Violations() {
		fmt.Println(v.Property, v.Rule, v.Clauses)
		fmt.Println(v.Request.Object, "after", v.Earlier[0].Object)
	}
	// Output:
	// S1 change-velocity [b: next wave before bake d: failover pair within bake]
	// ConfigMap app/settings-westus after ConfigMap app/settings-eastus
}
