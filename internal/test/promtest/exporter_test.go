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

package promtest_test

import (
	"io"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wavegate/wavegate/internal/test/promtest"
)

func scrape(g Gomega, e *promtest.Exporter) string {
	resp, err := http.Get("http://" + e.Addr() + "/metrics")
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	b, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return string(b)
}

func TestExporter(t *testing.T) {
	g := NewWithT(t)
	e, err := promtest.NewExporter()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { g.Expect(e.Close()).To(Succeed()) })

	t.Run("a region's value is a gauge with the region label", func(t *testing.T) {
		g := NewWithT(t)
		e.SetRegion(promtest.ErrorRatio, "eastus", 0.07)
		g.Expect(scrape(g, e)).To(And(
			ContainSubstring("# TYPE wavegate_test_error_ratio gauge"),
			ContainSubstring(`wavegate_test_error_ratio{region="eastus"} 0.07`),
		))
	})
	t.Run("a name ending in _total is a counter that Add increases", func(t *testing.T) {
		g := NewWithT(t)
		labels := map[string]string{"region": "westus", "code": "500"}
		e.Add("http_requests_total", labels, 3)
		e.Add("http_requests_total", map[string]string{"code": "500", "region": "westus"}, 2)
		g.Expect(scrape(g, e)).To(And(
			ContainSubstring("# TYPE http_requests_total counter"),
			ContainSubstring(`http_requests_total{code="500",region="westus"} 5`),
		))
	})
	t.Run("the same name may carry different label sets", func(t *testing.T) {
		g := NewWithT(t)
		e.Set(promtest.ErrorRatio, map[string]string{"region": "eastus", "cluster": "a"}, 0.5)
		g.Expect(scrape(g, e)).To(And(
			ContainSubstring(`wavegate_test_error_ratio{cluster="a",region="eastus"} 0.5`),
			ContainSubstring(`wavegate_test_error_ratio{region="eastus"} 0.07`),
		))
	})
	t.Run("a deleted series is gone from the scrape", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(e.DeleteRegion(promtest.ErrorRatio, "eastus")).To(BeTrue())
		g.Expect(e.DeleteRegion(promtest.ErrorRatio, "eastus")).To(BeFalse())
		g.Expect(scrape(g, e)).NotTo(ContainSubstring(`wavegate_test_error_ratio{region="eastus"}`))
	})
	t.Run("an invalid metric name is the test's mistake and panics", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(func() { e.SetRegion("error-ratio", "eastus", 1) }).To(PanicWith(ContainSubstring(`invalid metric name "error-ratio"`)))
		g.Expect(func() { e.Set("ok", map[string]string{"__name__": "x"}, 1) }).To(Panic())
	})
}

func TestBinaryFromEnvSaysHowToBuildIt(t *testing.T) {
	g := NewWithT(t)
	t.Setenv(promtest.EnvBinary, "")
	_, err := promtest.BinaryFromEnv()
	g.Expect(err).To(MatchError(ContainSubstring("make test")))
	t.Setenv(promtest.EnvBinary, "/nonexistent/prometheus")
	_, err = promtest.BinaryFromEnv()
	g.Expect(err).To(MatchError(ContainSubstring("make prometheus")))
}
