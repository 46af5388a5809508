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

package convergence

import (
	"fmt"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Region is the convergence of a rollout in one region.
type Region struct {
	Region    string
	Converged bool
	// Detail says what was observed, for messages: "Converged at 2.0.0",
	// "Pinned at 1.9.3: hotfix hold", "not targeted by the rollout".
	Detail string
}

// InRegionAndPairs reports the convergence of the rollout in region and in each
// of its failover pairs, in that order. A rollout is converged in a region
// only when the controller observed the region Converged at spec.version in
// status written for the rollout's current generation.
func InRegionAndPairs(ro *wavegatev1alpha1.ConfigRollout, region string, pairs []string) []Region {
	out := make([]Region, 0, 1+len(pairs))
	out = append(out, InRegion(ro, region))
	for _, p := range pairs {
		out = append(out, InRegion(ro, p))
	}
	return out
}

// Converged reports whether every region of rs is converged.
func Converged(rs []Region) bool {
	for _, r := range rs {
		if !r.Converged {
			return false
		}
	}
	return true
}

// InRegion reports the convergence of the rollout in one region. Status
// written for an older generation (the spec was edited since the controller
// last looked) says nothing about the current one, and a region observed at
// another version than spec.version has not converged to this change.
func InRegion(ro *wavegatev1alpha1.ConfigRollout, region string) Region {
	status := &ro.Status
	// Until the controller has observed the current generation, nothing in
	// the status, not even which regions it targets, is about it.
	if status.ObservedGeneration != ro.Generation {
		return Region{Region: region, Detail: fmt.Sprintf("status is for generation %d, not the current %d", status.ObservedGeneration, ro.Generation)}
	}
	for i := range status.Regions {
		rs := &status.Regions[i]
		if rs.Name != region {
			continue
		}
		switch {
		case rs.State == wavegatev1alpha1.RegionConverged && rs.ObservedVersion != ro.Spec.Version:
			return Region{Region: region, Detail: fmt.Sprintf("%s, not at %s", detail(rs), ro.Spec.Version)}
		}
		return Region{Region: region, Converged: rs.State == wavegatev1alpha1.RegionConverged, Detail: detail(rs)}
	}
	return Region{Region: region, Detail: "not targeted by the rollout"}
}

// detail words a region's state: "Pinned at 1.9.3: hotfix hold".
func detail(rs *wavegatev1alpha1.RolloutRegionStatus) string {
	var b strings.Builder
	b.WriteString(string(rs.State))
	if rs.ObservedVersion != "" {
		fmt.Fprintf(&b, " at %s", rs.ObservedVersion)
	}
	if rs.State == wavegatev1alpha1.RegionPinned && rs.Message != "" {
		fmt.Fprintf(&b, ": %s", rs.Message)
	}
	return b.String()
}
