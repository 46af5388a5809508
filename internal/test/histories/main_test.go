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

package histories

import (
	"flag"
	"os"
	"testing"
)

// quickChecks is how many histories each property tries in `make test`,
// which runs every package with -race: a short search there, and the long
// one in `make invariants`, which sets -rapid.checks itself.
const quickChecks = "30"

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", quickChecks); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
