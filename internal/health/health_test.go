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

package health_test

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/health"
)

func check(query string, lo, hi *string) wavegatev1alpha1.HealthCheck {
	return wavegatev1alpha1.HealthCheck{Name: "error-rate", Query: query, Min: lo, Max: hi}
}

func TestAQueryIsRenderedForItsRegion(t *testing.T) {
	g := NewWithT(t)
	q, err := health.Query(check(`sum(rate(http_requests_total{region="{{ .Region }}"}[2m]))`, nil, ptr.To("1")), "westus")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(q).To(Equal(`sum(rate(http_requests_total{region="westus"}[2m]))`))
}

func TestEveryRejectionNamesItsField(t *testing.T) {
	path := field.NewPath("spec", "healthChecks")
	cases := map[string]struct {
		check wavegatev1alpha1.HealthCheck
		want  string
	}{
		"not PromQL":            {check("sum(rate(", nil, ptr.To("1")), `spec.healthChecks[0].query: Invalid value: "sum(rate(": not PromQL`},
		"a template error":      {check(`up{region="{{ .Regoin }}"}`, nil, ptr.To("1")), "spec.healthChecks[0].query: Invalid value"},
		"an unclosed template":  {check(`up{region="{{ .Region"}`, nil, ptr.To("1")), "the template does not render"},
		"max not a number":      {check("up", nil, ptr.To("1%")), `spec.healthChecks[0].max: Invalid value: "1%": not a number`},
		"min not a number":      {check("up", ptr.To("low"), nil), `spec.healthChecks[0].min: Invalid value: "low": not a number`},
		"no bound":              {check("up", nil, nil), "spec.healthChecks[0].max: Required value"},
		"min above max":         {check("up", ptr.To("2"), ptr.To("1")), "spec.healthChecks[0].min: Invalid value: \"2\": must not be above max (1)"},
		"an interval under 1 s": {wavegatev1alpha1.HealthCheck{Name: "x", Query: "up", Max: ptr.To("1"), Interval: &metav1.Duration{Duration: 500 * time.Millisecond}}, "spec.healthChecks[0].interval: Invalid value: \"500ms\": must be at least 1s"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			errs := health.Validate(path, []wavegatev1alpha1.HealthCheck{c.check})
			NewWithT(t).Expect(errs.ToAggregate()).To(MatchError(ContainSubstring(c.want)))
		})
	}
	NewWithT(t).Expect(health.Validate(path, []wavegatev1alpha1.HealthCheck{
		check(`sum(rate(http_requests_total{code=~"5..",region="{{ .Region }}"}[2m])) / sum(rate(http_requests_total{region="{{ .Region }}"}[2m]))`, nil, ptr.To("0.01")),
	})).To(BeEmpty(), "the SPEC's example")
}

func TestJudgeTreatsUnknownAsUnhealthy(t *testing.T) {
	g := NewWithT(t)
	c := check("up", ptr.To("0.5"), ptr.To("0.01"))
	c.Min = nil
	g.Expect(health.Judge(c, 0.005, nil)).To(Equal(health.Verdict{Healthy: true, Value: "0.005"}))
	g.Expect(health.Judge(c, 0.07, nil)).To(Equal(health.Verdict{Value: "0.07", Why: "0.07 above max 0.01"}))
	lo := check("up", ptr.To("0.99"), nil)
	g.Expect(health.Judge(lo, 0.5, nil).Why).To(Equal("0.5 below min 0.99"))
	v := health.Judge(c, 0, errors.New("no sample"))
	g.Expect(v.Healthy).To(BeFalse())
	g.Expect(v.Why).To(Equal("unknown (no sample), and unknown is not safe"))
	_, err := health.Unconfigured{}.Value(t.Context(), "up")
	g.Expect(err).To(MatchError(health.ErrNoPrometheus))
}
