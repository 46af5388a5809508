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

// Package health evaluates the health checks of docs/spec.md section 9: it
// renders a check's PromQL for a region, validates it with Prometheus's own
// parser, reads one value from Prometheus with its Go client, and judges the
// value against the check's bounds. Unknown is not safe: a query error, no
// sample or no Prometheus is an unhealthy evaluation, never a pass.
package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/util/validation/field"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Query renders a check's query for region: {{ .Region }} is the region.
func Query(c wavegatev1alpha1.HealthCheck, region string) (string, error) {
	t, err := template.New(c.Name).Option("missingkey=error").Parse(c.Query)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := t.Execute(&out, struct{ Region string }{region}); err != nil {
		return "", err
	}
	return out.String(), nil
}

// Bounds parses a check's min and max; nil when unset.
func Bounds(c wavegatev1alpha1.HealthCheck) (lo, hi *float64, err error) {
	parse := func(s *string) (*float64, error) {
		if s == nil {
			return nil, nil
		}
		v, err := strconv.ParseFloat(*s, 64)
		if err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("%q is not a number", *s)
		}
		return &v, nil
	}
	if lo, err = parse(c.Min); err != nil {
		return nil, nil, fmt.Errorf("min: %w", err)
	}
	if hi, err = parse(c.Max); err != nil {
		return nil, nil, fmt.Errorf("max: %w", err)
	}
	return lo, hi, nil
}

// Validate checks health checks as the webhook admits them: the template
// renders, the result parses as PromQL, min and max are numbers (at least
// one set, min not above max), and interval is at least 1s. Every error
// names its field.
func Validate(path *field.Path, checks []wavegatev1alpha1.HealthCheck) field.ErrorList {
	var errs field.ErrorList
	for i, c := range checks {
		p := path.Index(i)
		if q, err := Query(c, "eastus"); err != nil {
			errs = append(errs, field.Invalid(p.Child("query"), c.Query, fmt.Sprintf("the template does not render: %v; use {{ .Region }} for the region", err)))
		} else if _, err := parser.NewParser(parser.Options{}).ParseExpr(q); err != nil {
			errs = append(errs, field.Invalid(p.Child("query"), c.Query, fmt.Sprintf("not PromQL: %v", err)))
		}
		lo, hi, err := Bounds(c)
		switch {
		case err != nil:
			bound, value := "min", c.Min
			if strings.HasPrefix(err.Error(), "max") {
				bound, value = "max", c.Max
			}
			errs = append(errs, field.Invalid(p.Child(bound), *value, "not a number; write a decimal number such as \"0.01\""))
		case lo == nil && hi == nil:
			errs = append(errs, field.Required(p.Child("max"), "set max (unhealthy above it), min (unhealthy below it), or both"))
		case lo != nil && hi != nil && *lo > *hi:
			errs = append(errs, field.Invalid(p.Child("min"), *c.Min, fmt.Sprintf("must not be above max (%s): no value could be healthy", *c.Max)))
		}
		if c.Interval != nil && c.Interval.Duration < time.Second {
			errs = append(errs, field.Invalid(p.Child("interval"), c.Interval.Duration.String(), "must be at least 1s"))
		}
	}
	return errs
}

// Verdict is one evaluation of one check in one region.
type Verdict struct {
	// Healthy is false when the value is out of bounds or unknown.
	Healthy bool
	// Value is the value read, or why none could be read.
	Value string
	// Why says, when unhealthy, which bound the value broke or why it is
	// unknown, as "0.07 above max 0.01".
	Why string
}

// Judge judges a value read for c, or the error that kept it from being read.
func Judge(c wavegatev1alpha1.HealthCheck, v float64, readErr error) Verdict {
	if readErr != nil {
		return Verdict{Value: "unknown", Why: fmt.Sprintf("unknown (%v), and unknown is not safe", readErr)}
	}
	lo, hi, err := Bounds(c)
	if err != nil {
		return Verdict{Value: "unknown", Why: err.Error()}
	}
	val := strconv.FormatFloat(v, 'g', 6, 64)
	switch {
	case math.IsNaN(v):
		return Verdict{Value: val, Why: "NaN, which is neither healthy nor unhealthy, and unknown is not safe"}
	case hi != nil && v > *hi:
		return Verdict{Value: val, Why: fmt.Sprintf("%s above max %s", val, *c.Max)}
	case lo != nil && v < *lo:
		return Verdict{Value: val, Why: fmt.Sprintf("%s below min %s", val, *c.Min)}
	}
	return Verdict{Healthy: true, Value: val}
}

// Source reads one value for a query.
type Source interface {
	Value(ctx context.Context, query string) (float64, error)
}

// ErrNoPrometheus is the error of every evaluation when no --prometheus-url is configured.
var ErrNoPrometheus = errors.New("no Prometheus is configured (--prometheus-url)")

// Unconfigured is the Source when no Prometheus is configured: every
// evaluation is unknown.
type Unconfigured struct{}

// Value always fails.
func (Unconfigured) Value(context.Context, string) (float64, error) { return 0, ErrNoPrometheus }

// Prometheus reads values with the Prometheus Go client.
type Prometheus struct {
	api     promv1.API
	timeout time.Duration
}

// NewPrometheus returns a Source that queries the Prometheus at url.
func NewPrometheus(url string, timeout time.Duration) (*Prometheus, error) {
	c, err := promapi.NewClient(promapi.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("invalid --prometheus-url %q: %w", url, err)
	}
	return &Prometheus{api: promv1.NewAPI(c), timeout: timeout}, nil
}

// Value runs an instant query and returns its one sample or scalar. No
// sample, several samples or an error is an error.
func (p *Prometheus) Value(ctx context.Context, query string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	res, _, _, err := p.api.Query(ctx, query, time.Now())
	if err != nil {
		return 0, fmt.Errorf("query failed: %w", err)
	}
	switch v := res.(type) {
	case *model.Scalar:
		return float64(v.Value), nil
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, errors.New("no sample")
		case 1:
			return float64(v[0].Value), nil
		default:
			return 0, fmt.Errorf("%d samples, not one; aggregate the query (sum, max)", len(v))
		}
	default:
		return 0, fmt.Errorf("a %s, not a sample", res.Type())
	}
}
