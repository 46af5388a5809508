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

package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wavegate/wavegate/internal/access"
)

// Workers that find an answer expired at the same time ask the API server
// once between them.
func TestRememberedAsksOnceForCallersThatAskTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		asked := 0
		release := make(chan struct{})
		check := access.Remembered(func(_ context.Context, gr schema.GroupResource) (bool, error) {
			asked++
			<-release
			return gr.Resource == "configmaps", nil
		}, 10*time.Second, time.Now)
		var wg sync.WaitGroup
		answers := make([]bool, 16)
		for i := range answers {
			wg.Go(func() {
				ok, err := check(context.Background(), schema.GroupResource{Resource: "configmaps"})
				g.Expect(err).NotTo(HaveOccurred())
				answers[i] = ok
			})
		}
		synctest.Wait() // every caller is waiting for the one question
		close(release)
		wg.Wait()
		g.Expect(asked).To(Equal(1))
		g.Expect(answers).To(HaveEach(BeTrue()))
	})
}

// The caller whose question is out may give up; the others still get the
// answer, which is asked under no caller's cancellation.
func TestACallerThatGivesUpDoesNotFailTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		release := make(chan struct{})
		var askedUnder error
		check := access.Remembered(func(ctx context.Context, _ schema.GroupResource) (bool, error) {
			<-release
			askedUnder = ctx.Err()
			return true, nil
		}, 10*time.Second, time.Now)
		cm := schema.GroupResource{Resource: "configmaps"}
		first, giveUp := context.WithCancel(context.Background())
		var firstErr, otherErr error
		var other bool
		var wg sync.WaitGroup
		wg.Go(func() { _, firstErr = check(first, cm) })
		synctest.Wait()
		wg.Go(func() { other, otherErr = check(context.Background(), cm) })
		synctest.Wait()
		giveUp()
		synctest.Wait()
		close(release)
		wg.Wait()
		g.Expect(firstErr).To(MatchError(context.Canceled))
		g.Expect(otherErr).NotTo(HaveOccurred())
		g.Expect(other).To(BeTrue())
		g.Expect(askedUnder).NotTo(HaveOccurred(), "the question outlives the caller that asked it")
	})
}

func TestRememberedAsksOncePerResourceAndTTLAndNeverRemembersAnError(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	asked := map[string]int{}
	fail := true
	check := access.Remembered(func(_ context.Context, gr schema.GroupResource) (bool, error) {
		asked[gr.Resource]++
		if gr.Resource == "flaky" && fail {
			return false, errors.New("connection refused")
		}
		return gr.Resource == "configmaps", nil
	}, 10*time.Second, func() time.Time { return now })
	ctx := context.Background()
	cm, secrets, flaky := schema.GroupResource{Resource: "configmaps"}, schema.GroupResource{Resource: "secrets"}, schema.GroupResource{Resource: "flaky"}

	for range 3 {
		ok, err := check(ctx, cm)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ok).To(BeTrue())
		ok, err = check(ctx, secrets)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ok).To(BeFalse())
	}
	g.Expect(asked).To(Equal(map[string]int{"configmaps": 1, "secrets": 1}))

	now = now.Add(10 * time.Second)
	_, _ = check(ctx, cm)
	g.Expect(asked["configmaps"]).To(Equal(2), "asked again once the answer is ttl old")

	_, err := check(ctx, flaky)
	g.Expect(err).To(HaveOccurred())
	fail = false
	ok, err := check(ctx, flaky)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeFalse())
	g.Expect(asked["flaky"]).To(Equal(2), "an error is not an answer")
}
