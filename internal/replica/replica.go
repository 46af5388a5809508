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

package replica

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Runnable runs on every replica, leader or not.
type Runnable func(ctx context.Context) error

// Start runs the function until ctx ends.
func (r Runnable) Start(ctx context.Context) error { return r(ctx) }

// NeedLeaderElection is false: the webhooks need this on every replica.
func (Runnable) NeedLeaderElection() bool { return false }

var _ manager.LeaderElectionRunnable = Runnable(nil)
