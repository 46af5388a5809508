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

package changerecord

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestRemaining(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	rec := func(created time.Time, entries ...time.Time) *wavegatev1alpha1.ChangeRecord {
		r := &wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}}
		for _, at := range entries {
			r.Spec.Entries = append(r.Spec.Entries, wavegatev1alpha1.ChangeEntry{At: metav1.NewTime(at)})
		}
		return r
	}
	cases := []struct {
		name string
		rec  *wavegatev1alpha1.ChangeRecord
		want time.Duration
	}{
		{name: "the newest entry counts, not the oldest", rec: rec(t0, t0, t0.Add(2*time.Hour)), want: 26 * time.Hour},
		{name: "a record without entries counts from its creation", rec: rec(t0), want: 24 * time.Hour},
		{name: "an old record is past its retention", rec: rec(t0.Add(-48*time.Hour), t0.Add(-30*time.Hour)), want: -6 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(remaining(tc.rec, t0, 24*time.Hour)).To(Equal(tc.want))
		})
	}
}
