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

package changerecord_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var (
	env   *testenv.Env
	clock = NewFakeClock(time.Now().UTC())
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.ForTests(clock.Now)
		opts.ChangeRecordRetention = 24 * time.Hour
		return setup.Manager(mgr, opts)
	}))
}

func TestARecordIsKeptForItsRetentionAndThenDeleted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	rec := &wavegatev1alpha1.ChangeRecord{
		ObjectMeta: metav1.ObjectMeta{Name: "change-old"},
		Spec: wavegatev1alpha1.ChangeRecordSpec{ChangeID: "c1", Entries: []wavegatev1alpha1.ChangeEntry{
			{Region: "eastus", At: metav1.NewTime(clock.Now())},
		}},
	}
	g.Expect(env.Client.Create(ctx, rec)).To(Succeed())
	key := client.ObjectKeyFromObject(rec)
	g.Consistently(func() error { return env.Client.Get(ctx, key, &wavegatev1alpha1.ChangeRecord{}) }).
		WithTimeout(500*time.Millisecond).Should(Succeed(), "kept while the change may still continue")

	clock.Advance(25 * time.Hour)
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, key, &wavegatev1alpha1.ChangeRecord{}))
	}).Should(BeTrue(), "deleted once the retention has passed")
}
