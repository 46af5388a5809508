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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDenialsReadsWebhookDenialsFromTheAuditLog(t *testing.T) {
	c := &Cluster{Name: "t", Dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Dir(c.AuditLog()), 0o750); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		// A denial by a rule.
		`{"stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"configmaps","namespace":"aoai","name":"cleanup"},"responseStatus":{"code":403,"message":"admission webhook \"region-annotation.gate.wavegate.io\" denied the request: [wavegate:multi-region] ConfigMap aoai/cleanup targets 16 regions"},"stageTimestamp":"2026-11-29T10:00:02Z"}`,
		// The webhook could not be reached.
		`{"stage":"ResponseComplete","verb":"update","user":{"username":"bob"},"objectRef":{"resource":"deployments","subresource":"scale","namespace":"x","name":"web"},"responseStatus":{"code":500,"message":"Internal error occurred: failed calling webhook \"region-label.gate.wavegate.io\": EOF"},"stageTimestamp":"2026-11-29T10:00:03Z"}`,
		// Not webhook denials: a success, a conflict, an older denial, a partial stage and noise.
		`{"stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"responseStatus":{"code":201},"stageTimestamp":"2026-11-29T10:00:04Z"}`,
		`{"stage":"ResponseComplete","verb":"update","user":{"username":"alice"},"responseStatus":{"code":409,"message":"the object has been modified"},"stageTimestamp":"2026-11-29T10:00:04Z"}`,
		`{"stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"responseStatus":{"code":403,"message":"admission webhook \"x\" denied the request: [wavegate:freeze] old"},"stageTimestamp":"2026-11-29T09:00:00Z"}`,
		`{"stage":"ResponseStarted","verb":"watch"}`,
		`not json`,
	}
	if err := os.WriteFile(c.AuditLog(), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := c.Denials(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d denials, want 2: %v", len(got), got)
	}
	if got[0].User != "alice" || got[0].Internal() || !strings.Contains(got[0].Message, "[wavegate:multi-region]") {
		t.Errorf("first denial: %+v", got[0])
	}
	if got[1].Resource != "deployments/scale" || !got[1].Internal() {
		t.Errorf("second denial should be an unreachable webhook on deployments/scale: %+v", got[1])
	}
}

func TestWritesReadsSuccessfulWritesFromTheAuditLog(t *testing.T) {
	c := &Cluster{Name: "t", Dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Dir(c.AuditLog()), 0o750); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"stage":"ResponseComplete","verb":"patch","user":{"username":"sa"},"objectRef":{"resource":"configmaps","namespace":"ll-eastus","name":"flags"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-29T10:00:02Z"}`,
		`{"stage":"ResponseComplete","verb":"patch","user":{"username":"sa"},"objectRef":{"resource":"configmaps","namespace":"ll-westus","name":"flags"},"responseStatus":{"code":403,"message":"denied"},"stageTimestamp":"2026-11-29T10:00:03Z"}`,
		`{"stage":"ResponseComplete","verb":"patch","user":{"username":"sa"},"objectRef":{"resource":"configmaps","namespace":"ll-eastus","name":"flags"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-29T09:00:00Z"}`,
		`{"stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"configmaps","namespace":"ll-eastus","name":"other"},"responseStatus":{"code":201},"stageTimestamp":"2026-11-29T10:00:04Z"}`,
	}
	if err := os.WriteFile(c.AuditLog(), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := c.Writes(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), func(w Write) bool { return w.Verb == "patch" })
	if err != nil {
		t.Fatal(err)
	}
	want := []Write{{User: "sa", Verb: "patch", Resource: "configmaps", Namespace: "ll-eastus", Name: "flags"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("Writes = %+v, want only the successful patch since the start: %+v", got, want)
	}
}
