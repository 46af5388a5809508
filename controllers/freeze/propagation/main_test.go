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

package propagation_test

import (
	"flag"
	"os"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var env *testenv.Env

// TestMain starts the API server and the manager with the options it ships
// with, apart from a fixed clock (no rollout finishes baking while it is
// measured) and protection tracked on ConfigMaps only.
func TestMain(m *testing.M) {
	// Only benchmarks live here: without -bench, no API server is started.
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	clock := NewFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.ForTests(clock.Now)
		opts.MaxRequeue = setup.Defaults().MaxRequeue
		return setup.Manager(mgr, opts)
	}))
}
