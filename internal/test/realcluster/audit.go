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

package realcluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Denial is a write the API server refused because of a webhook: Wavegate's
// verdict, or a failure to reach it.
type Denial struct {
	Time      time.Time
	User      string
	Verb      string
	Resource  string
	Namespace string
	Name      string
	Message   string
}

// Internal reports a denial that is Wavegate failing, not a rule.
func (d Denial) Internal() bool {
	return strings.Contains(d.Message, "[wavegate:internal]") || strings.Contains(d.Message, "failed calling webhook")
}

func (d Denial) String() string {
	return fmt.Sprintf("%s %s %s %s/%s by %s: %s", d.Time.Format(time.RFC3339), d.Verb, d.Resource, d.Namespace, d.Name, d.User, d.Message)
}

type auditEvent struct {
	Stage     string                    `json:"stage"`
	Verb      string                    `json:"verb"`
	User      struct{ Username string } `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"responseStatus"`
	StageTimestamp time.Time `json:"stageTimestamp"`
}

// Denials reads the cluster's audit log and returns the webhook denials
// since since.
func (c *Cluster) Denials(since time.Time) ([]Denial, error) {
	var out []Denial
	err := c.eachEvent(since, func(ev *auditEvent) {
		if ev.ResponseStatus == nil {
			return
		}
		msg := ev.ResponseStatus.Message
		fromWebhook := strings.Contains(msg, "admission webhook") || strings.Contains(msg, "failed calling webhook")
		if ev.ResponseStatus.Code < 400 || !fromWebhook {
			return
		}
		d := Denial{Time: ev.StageTimestamp, User: ev.User.Username, Verb: ev.Verb, Message: msg}
		if ref := ev.ObjectRef; ref != nil {
			d.Resource, d.Namespace, d.Name = ref.Resource, ref.Namespace, ref.Name
			if ref.Subresource != "" {
				d.Resource += "/" + ref.Subresource
			}
		}
		out = append(out, d)
	})
	return out, err
}

// eachEvent calls fn with every completed request in the audit log since since.
func (c *Cluster) eachEvent(since time.Time, fn func(*auditEvent)) error {
	f, err := os.Open(c.AuditLog())
	if err != nil {
		return fmt.Errorf("the API server's audit log: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		var ev auditEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Stage != "ResponseComplete" || ev.StageTimestamp.Before(since) {
			continue
		}
		fn(&ev)
	}
	return sc.Err()
}

// Write is a write the API server carried out.
type Write struct {
	User      string
	Verb      string
	Resource  string
	Namespace string
	Name      string
}

// Writes reads the cluster's audit log and returns the successful writes
// since since that match keep.
func (c *Cluster) Writes(since time.Time, keep func(Write) bool) ([]Write, error) {
	var out []Write
	err := c.eachEvent(since, func(ev *auditEvent) {
		if ev.ResponseStatus == nil || ev.ResponseStatus.Code >= 300 || ev.ObjectRef == nil {
			return
		}
		w := Write{User: ev.User.Username, Verb: ev.Verb, Resource: ev.ObjectRef.Resource,
			Namespace: ev.ObjectRef.Namespace, Name: ev.ObjectRef.Name}
		if keep(w) {
			out = append(out, w)
		}
	})
	return out, err
}
