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

package rollout

import "time"

// SetRelistInterval sets how old a target informer must be before a new
// selection lists its kind again, and returns the function that restores it.
func SetRelistInterval(d time.Duration) (restore func()) {
	old := relistInterval
	relistInterval = d
	return func() { relistInterval = old }
}
