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

package invariants

import (
	"encoding/json"
	"fmt"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// wavegate judges a write of Wavegate's own kinds (only S6 applies to them)
// and replays it.
func (c *Checker) wavegate(r *req) {
	e := r.e
	switch {
	case e.Subresource == "status" && e.Resource == "configrollouts":
	case e.Subresource != "":
		return
	case e.Resource == "freezes" && r.verb == "update" && r.judge:
		var f wavegatev1alpha1.Freeze
		rq := c.request(r, "Freeze", "", e.Name, nil)
		if err := json.Unmarshal(e.ResponseObject, &f); err != nil || len(e.ResponseObject) == 0 {
			c.note(*rq, NoteBadObject)
			return
		}
		c.sum.Judged++
		rq.Regions = f.Spec.Regions
		c.freezeEdit(r, rq, f.Spec)
	}
	if err := c.replayWavegate(r); err != nil {
		c.note(*c.request(r, e.Resource, "", e.Name, nil), NoteBadObject)
	}
}

// replayWavegate keeps the state of Regions, WavePlans, Freezes,
// ConfigRollouts and AutomationPolicies. ChangeRecords are the gate's own
// memory: the checker keeps its own.
func (c *Checker) replayWavegate(r *req) error {
	e := r.e
	switch r.verb {
	case "delete":
		c.forget(e.Resource, e.Name)
		return nil
	case "deletecollection":
		return c.forgetList(e)
	}
	if len(e.ResponseObject) == 0 {
		return fmt.Errorf("no object")
	}
	switch e.Resource {
	case "regions":
		var o wavegatev1alpha1.Region
		if err := json.Unmarshal(e.ResponseObject, &o); err != nil {
			return err
		}
		c.s.regions[c.s.intern(o.Name)] = c.s.intern(o.Spec.PairedRegion)
	case "waveplans":
		var o wavegatev1alpha1.WavePlan
		if err := json.Unmarshal(e.ResponseObject, &o); err != nil {
			return err
		}
		c.s.setPlan(o.Name, o.Spec)
	case "freezes":
		return c.replayFreeze(r)
	case "configrollouts":
		return c.replayRollout(r)
	case "automationpolicies":
		var o wavegatev1alpha1.AutomationPolicy
		if err := json.Unmarshal(e.ResponseObject, &o); err != nil {
			return err
		}
		c.s.policies[o.Name] = o.Spec.Identities
		c.s.setPolicies()
	}
	return nil
}

// forgetList replays a deletecollection by the objects it returns.
func (c *Checker) forgetList(e *Event) error {
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if len(e.ResponseObject) == 0 {
		return nil
	}
	if err := json.Unmarshal(e.ResponseObject, &list); err != nil {
		return err
	}
	for _, it := range list.Items {
		c.forget(e.Resource, it.Metadata.Name)
	}
	return nil
}

func (c *Checker) replayRollout(r *req) error {
	var o wavegatev1alpha1.ConfigRollout
	if err := json.Unmarshal(r.e.ResponseObject, &o); err != nil {
		return err
	}
	ro := &rollout{generation: o.Generation, observedGeneration: o.Status.ObservedGeneration, version: o.Spec.Version,
		regions: map[string]wavegatev1alpha1.RolloutRegionStatus{}, by: c.request(r, "ConfigRollout", "", o.Name, nil)}
	for _, s := range o.Status.Regions {
		ro.regions[s.Name] = wavegatev1alpha1.RolloutRegionStatus{Name: s.Name, State: s.State, ObservedVersion: s.ObservedVersion, Message: s.Message}
	}
	c.s.rollouts[o.Name] = ro
	return nil
}

func (c *Checker) replayFreeze(r *req) error {
	var o wavegatev1alpha1.Freeze
	if err := json.Unmarshal(r.e.ResponseObject, &o); err != nil {
		return err
	}
	f := c.s.freezes[o.Name]
	if f == nil || r.verb == "create" {
		// A Freeze exists from the completion of its create; one first
		// seen updated, since the API server says.
		f = &freeze{name: o.Name, created: r.e.completed()}
		if r.verb != "create" {
			f.created = o.CreationTimestamp.Time
		}
		c.s.freezes[o.Name] = f
	}
	f.spec = o.Spec
	f.by = c.request(r, "Freeze", "", o.Name, o.Spec.Regions)
	c.s.setFreezes()
	return nil
}

func (c *Checker) forget(resource, name string) {
	switch resource {
	case "regions":
		delete(c.s.regions, name)
	case "waveplans":
		delete(c.s.plans, name)
	case "freezes":
		delete(c.s.freezes, name)
		c.s.setFreezes()
	case "configrollouts":
		delete(c.s.rollouts, name)
	case "automationpolicies":
		delete(c.s.policies, name)
		c.s.setPolicies()
	}
}
