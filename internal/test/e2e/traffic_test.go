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
	"errors"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDayInTheLife runs ordinary cluster traffic through the gate, with
// Kubernetes' own controllers doing their part (default ServiceAccounts,
// root CA ConfigMaps, ReplicaSets, scaling, Job TTLs, garbage collection,
// namespace finalization). Not one request may be denied: no rule calls for it.
func TestDayInTheLife(t *testing.T) { //nolint:gocyclo // a scenario, read top to bottom
	ctx := context.Background()
	since := time.Now()
	regions := sampleRegions()[:10]

	// Namespaces in 10 regions, back to back: a Namespace carries no change.
	for _, r := range regions {
		if err := admin().Create(ctx, regionalNamespace("dit-"+r, r)); err != nil {
			t.Fatalf("creating the Namespace of %s: %v", r, err)
		}
	}
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dit-plain"}}
	if err := admin().Create(ctx, plain); err != nil {
		t.Fatal(err)
	}
	// Regional configuration differs per region, so each is its own change.
	for _, r := range regions {
		ns := "dit-" + r
		if err := admin().Create(ctx, deployment(ns, "web", r, "1.0.0", 2)); err != nil {
			t.Fatalf("creating the Deployment in %s: %v", r, err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings"}, Data: map[string]string{"region": r}}
		if err := admin().Create(ctx, cm); err != nil {
			t.Fatalf("creating a ConfigMap in %s: %v", r, err)
		}
	}
	for _, r := range regions {
		ns := "dit-" + r
		// Kubernetes' own controllers filled the Namespace.
		eventually(t, time.Minute, "the default ServiceAccount and kube-root-ca.crt in "+ns, func() (bool, error) {
			sa := admin().Get(ctx, client.ObjectKey{Namespace: ns, Name: "default"}, &corev1.ServiceAccount{})
			ca := admin().Get(ctx, client.ObjectKey{Namespace: ns, Name: "kube-root-ca.crt"}, &corev1.ConfigMap{})
			return sa == nil && ca == nil, errors.Join(sa, ca)
		})
	}
	waitAvailable(ctx, t, regions, "web")
	logf("10 regional Deployments available")

	// kubectl scale goes through the scale subresource; a rollout follows.
	for _, r := range regions[:5] {
		if out, err := kubectl(ctx, "-n", "dit-"+r, "scale", "deployment/web", "--replicas=3"); err != nil {
			t.Fatalf("kubectl scale in %s: %v: %s", r, err, out)
		}
		if out, err := kubectl(ctx, "-n", "dit-"+r, "set", "image", "deployment/web", "web=registry.example.com/web:1.0.1"); err != nil {
			t.Fatalf("kubectl set image in %s: %v: %s", r, err, out)
		}
	}
	waitAvailable(ctx, t, regions[:5], "web")
	logf("5 Deployments scaled and rolled to a new image")

	// Jobs that clean themselves up after they finish.
	for _, r := range regions[:3] {
		if err := admin().Create(ctx, job("dit-"+r, "migrate", r)); err != nil {
			t.Fatalf("creating a Job in %s: %v", r, err)
		}
	}
	for _, r := range regions[:3] {
		eventually(t, 2*time.Minute, "the Job in "+r+" to finish and be removed by its TTL", func() (bool, error) {
			err := admin().Get(ctx, client.ObjectKey{Namespace: "dit-" + r, Name: "migrate"}, &batchv1.Job{})
			return apierrors.IsNotFound(err), err
		})
	}
	logf("3 Jobs finished and were removed by the TTL controller")

	// Cascading deletes: the garbage collector removes ReplicaSets and Pods.
	for _, r := range regions[:2] {
		if out, err := kubectl(ctx, "-n", "dit-"+r, "delete", "deployment/web", "--cascade=foreground", "--wait=true", "--timeout=90s"); err != nil {
			t.Fatalf("kubectl delete deployment in %s: %v: %s", r, err, out)
		}
		eventually(t, time.Minute, "the ReplicaSets of "+r+" to be collected", func() (bool, error) {
			var rs appsv1.ReplicaSetList
			err := admin().List(ctx, &rs, client.InNamespace("dit-"+r))
			return err == nil && len(rs.Items) == 0, err
		})
	}
	// Objects in a Namespace without a region are never gated.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dit-plain", Name: "scratch"}, Data: map[string]string{"k": "v"}}
	if err := admin().Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if out, err := kubectl(ctx, "-n", "dit-plain", "delete", "configmap", "scratch"); err != nil {
		t.Fatalf("deleting an unlabelled ConfigMap: %v: %s", err, out)
	}

	// Namespace deletion: the namespace controller empties each one.
	for _, r := range regions {
		if err := admin().Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dit-" + r}}); err != nil {
			t.Fatalf("deleting the Namespace of %s: %v", r, err)
		}
	}
	if err := admin().Delete(ctx, plain); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(regions, "plain") {
		eventually(t, 2*time.Minute, "Namespace dit-"+r+" to be finalized", func() (bool, error) {
			err := admin().Get(ctx, client.ObjectKey{Name: "dit-" + r}, &corev1.Namespace{})
			return apierrors.IsNotFound(err), err
		})
	}
	logf("11 Namespaces deleted and finalized")
	checkDenials(t, since)
}

func waitAvailable(ctx context.Context, t *testing.T, regions []string, name string) {
	t.Helper()
	for _, r := range regions {
		eventually(t, 2*time.Minute, "Deployment "+name+" in "+r+" to be available", func() (bool, error) {
			var d appsv1.Deployment
			if err := admin().Get(ctx, client.ObjectKey{Namespace: "dit-" + r, Name: name}, &d); err != nil {
				return false, err
			}
			return available(&d), fmt.Errorf("status %+v", d.Status)
		})
	}
}

func job(ns, name, region string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.JobSpec{
			TTLSecondsAfterFinished: ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					NodeSelector:  map[string]string{"topology.kubernetes.io/region": region},
					Containers:    []corev1.Container{{Name: "migrate", Image: "registry.example.com/migrate:1"}},
				},
			},
		},
	}
}
