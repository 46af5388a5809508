//go:build e2e

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

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/wavegate/wavegate/internal/test/realcluster"
)

// permissionsFile lists the manager's effective permissions, one rule per
// line. Growing them is a security review, not a side effect: regenerate
// with WAVEGATE_UPDATE_PERMISSIONS=1 make e2e and explain the change.
var permissionsFile = filepath.Join("testdata", "manager-permissions.txt")

// TestManagerPermissions asks the API server, as the manager's
// ServiceAccount, what it may do (SelfSubjectRulesReview) in Wavegate's
// namespace and in any other, and compares that with the checked-in list.
func TestManagerPermissions(t *testing.T) {
	ctx := context.Background()
	cfg, err := env.cluster.ServiceAccountConfig(ctx, realcluster.Namespace, realcluster.ServiceAccount)
	if err != nil {
		t.Fatal(err)
	}
	asManager, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ns := range []string{realcluster.Namespace, "any-other-namespace"} {
		review, err := asManager.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SelfSubjectRulesReview in %s: %v", ns, err)
		}
		if review.Status.Incomplete {
			t.Fatalf("the rules review in %s is incomplete: %s", ns, review.Status.EvaluationError)
		}
		scope := "namespace " + realcluster.Namespace
		if ns != realcluster.Namespace {
			scope = "every namespace"
		}
		lines = append(lines, permissionLines(scope, review.Status)...)
	}
	got := strings.Join(dedupe(lines), "\n") + "\n"
	if os.Getenv("WAVEGATE_UPDATE_PERMISSIONS") != "" {
		if err := os.WriteFile(permissionsFile, []byte(permissionsHeader+got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wantBytes, err := os.ReadFile(permissionsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(string(wantBytes), permissionsHeader)
	if got != want {
		t.Errorf("the manager's effective permissions differ from %s (a security review is due; regenerate with WAVEGATE_UPDATE_PERMISSIONS=1):\n%s",
			permissionsFile, lineDiff(want, got))
	}
}

const permissionsHeader = "# The manager's effective permissions, as SelfSubjectRulesReview reports them\n" +
	"# when it runs as the chart's ServiceAccount. Checked by internal/test/e2e TestManagerPermissions.\n"

// permissionLines writes each rule as "scope | verbs | groups | resources | names".
// Rules granted in every namespace also appear in Wavegate's own; they are
// listed once, under "every namespace".
func permissionLines(scope string, st authorizationv1.SubjectRulesReviewStatus) []string {
	var out []string
	for _, r := range st.ResourceRules {
		out = append(out, fmt.Sprintf("%s | %s | %s | %s | %s", scope, join(r.Verbs), join(r.APIGroups), join(r.Resources), join(r.ResourceNames)))
	}
	for _, r := range st.NonResourceRules {
		out = append(out, fmt.Sprintf("non-resource | %s | %s", join(r.Verbs), join(r.NonResourceURLs)))
	}
	return out
}

func join(ss []string) string {
	s := append([]string(nil), ss...)
	sort.Strings(s)
	for i, v := range s {
		if v == "" {
			s[i] = `""`
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// dedupe sorts lines and drops a namespace's line when the same rule holds
// in every namespace.
func dedupe(lines []string) []string {
	everywhere := map[string]bool{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "every namespace | "); ok {
			everywhere[rest] = true
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "namespace "+realcluster.Namespace+" | "); ok && everywhere[rest] {
			continue
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func lineDiff(want, got string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
	}
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		if l != "" && !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if l != "" && !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	return b.String()
}
