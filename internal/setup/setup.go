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

// Package setup wires Wavegate's webhooks and controllers into a manager. The
// manager binary, the integration tests and `make demo` all call it, so they
// run the same thing.
package setup

import (
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wavegate/wavegate/controllers/webhook"
)

// Options configures what the manager runs.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Manager registers every webhook and controller with mgr.
func Manager(mgr ctrl.Manager, opts Options) error {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if err := webhook.SetupValidators(mgr, now); err != nil {
		return fmt.Errorf("failed to register the validating webhooks: %w", err)
	}
	return nil
}
