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

package facts

import (
	"testing"

	. "github.com/onsi/gomega"
)

func hashOf(t *testing.T, raw string) string {
	t.Helper()
	o, err := DecodeObject([]byte(raw))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return o.PayloadHash
}

func TestObjectsWithoutAPayloadCarryNoChange(t *testing.T) {
	for name, raw := range map[string]string{ //nolint:gosec // a service account token's manifest, not a credential
		"a Namespace as the API server stores it": `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a","labels":{"wavegate.io/region":"eastus"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`,
		"a Namespace manifest":                    `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}`,
		"an empty ServiceAccount":                 `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default","namespace":"a"}}`,
		"a service account token":                 `{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token","metadata":{"name":"t","namespace":"a"},"data":{"token":"eHl6"}}`,
		"an empty ConfigMap":                      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"a"}}`,
		"a Scale":                                 `{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"a"},"spec":{"replicas":3},"status":{"replicas":2}}`,
		"a Deployment's manifest with only defaults": `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},` +
			`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},"revisionHistoryLimit":10}}`,
	} {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(hashOf(t, raw)).To(BeEmpty())
		})
	}
}

func TestTheSamePayloadIsTheSameChange(t *testing.T) {
	cases := []struct {
		name string
		a, b string
	}{
		{
			name: "labels, annotations and status are not payload",
			a:    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"wavegate.io/region":"eastus"}},"data":{"k":"v"}}`,
			b:    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","annotations":{"x":"y"},"finalizers":["f"]},"data":{"k":"v"}}`,
		},
		{
			// §2: the same bytes count the same wherever they are written.
			name: "a ConfigMap's data and binaryData holding the same bytes",
			a:    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}`,
			b:    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"binaryData":{"k":"dg=="}}`,
		},
		{
			name: "stringData is data, as the API server stores it",
			a:    `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"type":"Opaque","stringData":{"password":"hunter2"}}`,
			b:    `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}`,
		},
		{
			name: "replicas and selectors differ per region by nature",
			a: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d","region":"a"}},` +
				`"template":{"metadata":{"labels":{"app":"d","wavegate.io/region":"eastus"}},"spec":{"containers":[{"name":"c","image":"r/app:1.0"}]}}}}`,
			b: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":9,"selector":{"matchLabels":{"app":"d","region":"b"}},` +
				`"template":{"metadata":{"labels":{"app":"d","wavegate.io/region":"westus"}},"spec":{"containers":[{"name":"c","image":"r/app:1.0"}]}}}}`,
		},
		{
			name: "a manifest and the Deployment the API server makes of it",
			a: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"app":"d"}},` +
				`"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"r/app:1.0","ports":[{"containerPort":80}],` +
				`"resources":{"requests":{"cpu":"0.5","memory":"1024Mi"}},"readinessProbe":{"httpGet":{"path":"/","port":80}}}],` +
				`"volumes":[{"name":"cfg","configMap":{"name":"cfg"}}]}}}}`,
			b: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","generation":1},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}},` +
				`"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"r/app:1.0",` +
				`"ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"requests":{"cpu":"500m","memory":"1Gi"}},` +
				`"readinessProbe":{"httpGet":{"path":"/","port":80,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},` +
				`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],` +
				`"volumes":[{"name":"cfg","configMap":{"name":"cfg","defaultMode":420}}],` +
				`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},` +
				`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600},` +
				`"status":{"replicas":1}}`,
		},
		{
			name: "a Service's allocated addresses are not payload",
			a:    `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":"NodePort","ports":[{"port":80}],"selector":{"app":"s"}}}`,
			b: `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":"NodePort","clusterIP":"10.0.0.7","clusterIPs":["10.0.0.7"],` +
				`"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"port":80,"targetPort":80,"protocol":"TCP","nodePort":31234}],` +
				`"sessionAffinity":"None","externalTrafficPolicy":"Cluster","internalTrafficPolicy":"Cluster","selector":{"app":"s"}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := hashOf(t, tc.a)
			NewWithT(t).Expect(a).NotTo(BeEmpty())
			NewWithT(t).Expect(hashOf(t, tc.b)).To(Equal(a))
		})
	}
}

func TestADifferentPayloadIsADifferentChange(t *testing.T) {
	cases := []struct {
		name string
		a, b string
	}{
		{
			name: "the same data in two kinds",
			a:    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"dg=="}}`,
			b:    `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"data":{"k":"dg=="}}`,
		},
		{
			name: "a value that is not the default",
			a:    `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"r/app:1.0"}]}}}}`,
			b:    `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"r/app:1.0","imagePullPolicy":"Always"}]}}}}`,
		},
		{
			name: "a headless Service is not a Service with an address",
			a:    `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}`,
			b:    `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}}`,
		},
		{
			name: "a pod template annotation (a restart) is a change",
			a:    `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"r/app:1.0"}]}}}}`,
			b: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"now"}},` +
				`"spec":{"containers":[{"name":"c","image":"r/app:1.0"}]}}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(hashOf(t, tc.a)).NotTo(Equal(hashOf(t, tc.b)))
		})
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for image, want := range map[string]string{
		"nginx": "Always", "nginx:latest": "Always", "registry:5000/app": "Always", "registry:5000/app:1.2": "IfNotPresent",
		"app@sha256:abc": "IfNotPresent", "app:1.0": "IfNotPresent",
	} {
		NewWithT(t).Expect(defaultPullPolicy(image)).To(Equal(want), image)
	}
}

func TestFinalizersOnly(t *testing.T) {
	deleting := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["a","b"],"labels":{"wavegate.io/region":"eastus"},"resourceVersion":"1"},"data":{"k":"v"}}`
	decode := func(raw string) *Object {
		o, err := DecodeObject([]byte(raw))
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		return o
	}
	old := decode(deleting)
	cases := map[string]struct {
		updated string
		want    bool
	}{
		"removing a finalizer": {want: true,
			updated: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["b"],"labels":{"wavegate.io/region":"eastus"},"resourceVersion":"2"},"data":{"k":"v"}}`},
		"removing every finalizer": {want: true,
			updated: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z","labels":{"wavegate.io/region":"eastus"}},"data":{"k":"v"}}`},
		"adding a finalizer": {want: false,
			updated: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["a","b","c"],"labels":{"wavegate.io/region":"eastus"}},"data":{"k":"v"}}`},
		"changing the data too": {want: false,
			updated: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["b"],"labels":{"wavegate.io/region":"eastus"}},"data":{"k":"w"}}`},
		"changing a label too": {want: false,
			updated: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["b"]},"data":{"k":"v"}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(FinalizersOnly(old, decode(tc.updated))).To(Equal(tc.want))
		})
	}
	t.Run("an object that is not being deleted", func(t *testing.T) {
		live := decode(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","finalizers":["a"]},"data":{"k":"v"}}`)
		gone := decode(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}`)
		NewWithT(t).Expect(FinalizersOnly(live, gone)).To(BeFalse())
	})
}
