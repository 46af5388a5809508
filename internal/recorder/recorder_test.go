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

package recorder_test

import (
	"context"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"

	"github.com/wavegate/wavegate/internal/recorder"
)

func TestARateThatWritesNothingIsRefusedWithTheFix(t *testing.T) {
	g := NewWithT(t)
	for _, c := range []struct {
		qps   float32
		burst int
	}{{0, 10}, {-1, 10}, {5, 0}} {
		_, err := recorder.New(&rest.Config{Host: "https://127.0.0.1:1"}, http.DefaultClient, runtime.NewScheme(), c.qps, c.burst)
		g.Expect(err).To(MatchError(ContainSubstring("use a positive rate and a burst of at least 1")), "qps %g, burst %d", c.qps, c.burst)
	}
}

func TestAProviderStopsWithItsManager(t *testing.T) {
	g := NewWithT(t)
	p, err := recorder.New(&rest.Config{Host: "https://127.0.0.1:1"}, http.DefaultClient, runtime.NewScheme(), 50, 100)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.NeedLeaderElection()).To(BeFalse(), "every replica's webhooks record Events")
	g.Expect(p.For("wavegate-test")).NotTo(BeNil())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g.Expect(p.Start(ctx)).To(Succeed())
}
