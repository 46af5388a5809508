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

package records_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// TestARecordReadAfterLosingARaceIsKept: when another replica wrote a record
// first, the fresh read goes into the index, so this replica's next request
// of the change decides on it before the watch delivers it.
func TestARecordReadAfterLosingARaceIsKept(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	theirs := &wavegatev1alpha1.ChangeRecord{
		ObjectMeta: metav1.ObjectMeta{Name: facts.ChangeRecordName("chg-1")},
		Spec: wavegatev1alpha1.ChangeRecordSpec{ChangeID: "chg-1", Entries: []wavegatev1alpha1.ChangeEntry{
			{Region: "eastus", At: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))},
		}},
	}
	c := fake.NewClientBuilder().WithScheme(testenv.NewScheme()).WithObjects(theirs).Build()
	ix := facts.NewIndex()
	store := &records.Store{Reader: c, Writer: c, Cache: ix}

	err := store.Append(ctx, theirs.Name, nil, wavegatev1alpha1.ChangeRecordSpec{ChangeID: "chg-1"}, theirs.Spec.Entries, time.Now())
	g.Expect(err).To(MatchError(records.ErrConflict), "the record already exists")
	g.Expect(ix.ChangeRecord(theirs.Name)).To(BeNil(), "a refused write is not cached")

	fresh, err := store.Fresh(ctx, theirs.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fresh.Spec.Entries).To(HaveLen(1))
	g.Expect(fresh.Spec.Entries[0].Region).To(Equal("eastus"))
	g.Expect(ix.ChangeRecord(theirs.Name)).To(Equal(fresh), "the fresh read is kept for the next request")

	missing, err := store.Fresh(ctx, "none")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(missing).To(BeNil())
}
