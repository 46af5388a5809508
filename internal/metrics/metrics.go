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

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Decisions of the admission gate, the values of the decision label.
const (
	DecisionAllowed    = "allowed"
	DecisionDenied     = "denied"
	DecisionBreakGlass = "break-glass"
	// RuleNone labels admissions that no rule objected to; RuleInternal
	// labels denials because something could not be decided.
	RuleNone     = "none"
	RuleInternal = "internal"
)

var (
	// EventsDropped counts the Events not written because more than the
	// recorder's backlog were already waiting for --event-qps.
	EventsDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wavegate_events_dropped_total",
		Help: "Kubernetes Events not written because the backlog waiting for --event-qps was full.",
	})
	// AdmissionRequests counts gate decisions by rule and decision; a request
	// denied by two rules counts once for each.
	AdmissionRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wavegate_admission_requests_total",
		Help: "Admission requests judged by the Wavegate gate, by rule and decision (allowed, denied, break-glass).",
	}, []string{"rule", "decision"})

	// PolicyEvalTimeouts counts decisions cut off at --policy-eval-timeout.
	PolicyEvalTimeouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wavegate_policy_eval_timeouts_total",
		Help: "Admission decisions whose policy evaluation took longer than --policy-eval-timeout; each was denied as undecidable.",
	})

	// AdmissionInFlight is how many requests a replica is judging now.
	AdmissionInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "wavegate_admission_in_flight",
		Help: "Admission requests this replica is judging now (at most --max-in-flight; past it they are refused as overloaded).",
	})

	// AdmissionDuration is the time from receiving a request to answering it.
	AdmissionDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wavegate_admission_duration_seconds",
		Help:    "Time the Wavegate gate took to decide an admission request, including any change-record write.",
		Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	})
)

var (
	// RolloutRegions counts each rollout's regions by observed state.
	RolloutRegions = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wavegate_rollout_regions",
		Help: "Regions of a ConfigRollout by observed state (Pending, Applied, Converged, Pinned, NotConverged, Missing, Frozen, Skipped, Unhealthy, Reverted).",
	}, []string{"rollout", "state"})

	// RolloutWaveIndex is the position of each rollout's current wave, from 0;
	// it equals the number of waves once the rollout is complete.
	RolloutWaveIndex = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wavegate_rollout_wave_index",
		Help: "Index of the current wave of a ConfigRollout, from 0; the number of waves once complete.",
	}, []string{"rollout"})
)

// RolloutHealthValue is the last value each health check read in each region.
var RolloutHealthValue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "wavegate_rollout_health_value",
	Help: "Last value a ConfigRollout's health check read in a region (docs/spec.md section 9).",
}, []string{"rollout", "region", "check"})

// FreezeActive is 1 while a Freeze is in force, 0 once it expired.
var FreezeActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "wavegate_freeze_active",
	Help: "1 while a Freeze is in force, 0 once it has expired; the series goes when the Freeze is deleted.",
}, []string{"freeze"})

// regionStates are every value of the state label, so a state that drops to
// zero is reported as zero rather than disappearing.
var regionStates = []wavegatev1alpha1.RegionState{
	wavegatev1alpha1.RegionPending, wavegatev1alpha1.RegionApplied, wavegatev1alpha1.RegionConverged, wavegatev1alpha1.RegionPinned,
	wavegatev1alpha1.RegionNotConverged, wavegatev1alpha1.RegionMissing, wavegatev1alpha1.RegionFrozen, wavegatev1alpha1.RegionSkipped,
	wavegatev1alpha1.RegionUnhealthy, wavegatev1alpha1.RegionReverted,
}

// RecordRollout exports a rollout's region states and wave index.
func RecordRollout(ro *wavegatev1alpha1.ConfigRollout) {
	counts := map[wavegatev1alpha1.RegionState]int{}
	for _, rs := range ro.Status.Regions {
		counts[rs.State]++
	}
	for _, state := range regionStates {
		RolloutRegions.WithLabelValues(ro.Name, string(state)).Set(float64(counts[state]))
	}
	if ro.Status.CurrentWaveIndex != nil {
		RolloutWaveIndex.WithLabelValues(ro.Name).Set(float64(*ro.Status.CurrentWaveIndex))
	}
}

// ForgetRollout drops a deleted rollout's series.
func ForgetRollout(name string) {
	RolloutRegions.DeletePartialMatch(prometheus.Labels{"rollout": name})
	RolloutWaveIndex.DeleteLabelValues(name)
	RolloutHealthValue.DeletePartialMatch(prometheus.Labels{"rollout": name})
}

func init() {
	crmetrics.Registry.MustRegister(AdmissionRequests, AdmissionInFlight, PolicyEvalTimeouts, AdmissionDuration, RolloutRegions, RolloutWaveIndex, RolloutHealthValue, FreezeActive, EventsDropped)
}
