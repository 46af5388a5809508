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
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// HubServiceAccount is the identity the hub reaches a regional cluster as.
const HubServiceAccount = "wavegate-hub"

// Regions is a hub and one cluster per region, with Wavegate installed from
// the chart in each: mode hub in the hub, mode agent in each regional
// cluster. Each agent reaches the hub as a ServiceAccount
// wavegate-agent-<region> bound to the hub's wavegate-agent ClusterRole;
// the hub reaches each regional cluster as that cluster's wavegate-hub
// ServiceAccount, through the kubeconfig Secret region-<region> its Region
// names.
type Regions struct {
	Hub      *Cluster
	HubWG    *Wavegate
	Clusters map[string]*Cluster
	Agents   map[string]*Wavegate
	Order    []string
}

// CreateRegions creates the hub (named prefix+"hub") and a cluster per
// region (prefix+region) under dir, with one fake node each, installs
// Wavegate with replicas manager processes per cluster (the agents with
// --hub-staleness staleness) and registers every regional cluster with the
// hub as a Region. On an error it removes whatever it created.
func CreateRegions(ctx context.Context, bins Binaries, dir, prefix string, regions []string, replicas int, staleness time.Duration, out io.Writer) (rs *Regions, err error) {
	rs = &Regions{Clusters: map[string]*Cluster{}, Agents: map[string]*Wavegate{}, Order: regions}
	defer func() {
		if err != nil {
			rs.Delete()
			rs = nil
		}
	}()
	if rs.Hub, err = Create(ctx, bins, prefix+"hub", filepath.Join(dir, "hub"), out); err != nil {
		return rs, err
	}
	for _, r := range regions {
		c, err := Create(ctx, bins, prefix+r, filepath.Join(dir, r), out)
		if err != nil {
			return rs, err
		}
		rs.Clusters[r] = c
		if err := c.AddRegionNodes(ctx, []string{r}); err != nil {
			return rs, err
		}
	}
	if rs.HubWG, err = Install(ctx, rs.Hub, bins, replicas, out); err != nil {
		return rs, fmt.Errorf("failed to install Wavegate in the hub: %w", err)
	}
	for _, r := range regions {
		hubKubeconfig, err := rs.agentIdentity(ctx, r, filepath.Join(dir, r+"-hub.kubeconfig"))
		if err != nil {
			return rs, err
		}
		w, err := InstallAgent(ctx, rs.Clusters[r], bins, replicas, out, r, hubKubeconfig, "agent.hubStaleness="+staleness.String())
		if err != nil {
			return rs, fmt.Errorf("failed to install the agent of %s: %w", r, err)
		}
		rs.Agents[r] = w
		if err := rs.register(ctx, r); err != nil {
			return rs, err
		}
	}
	return rs, nil
}

// agentIdentity creates the hub ServiceAccount an agent reaches the hub as,
// bound to the chart's wavegate-agent ClusterRole, and writes its
// kubeconfig to path.
func (rs *Regions) agentIdentity(ctx context.Context, region, path string) (string, error) {
	name := "wavegate-agent-" + region
	cl := rs.Hub.Client
	if err := cl.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: name}}); err != nil {
		return "", err
	}
	if err := cl.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wavegate-agent"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: Namespace, Name: name}},
	}); err != nil {
		return "", err
	}
	return rs.Hub.ServiceAccountKubeconfig(ctx, Namespace, name, path)
}

// register stores, in the hub, a kubeconfig of the regional cluster's
// wavegate-hub ServiceAccount (the chart's agent mode creates it: it may
// patch rollout targets there, and nothing else) and creates the Region
// naming it.
func (rs *Regions) register(ctx context.Context, region string) error {
	c := rs.Clusters[region]
	path, err := c.ServiceAccountKubeconfig(ctx, Namespace, HubServiceAccount, filepath.Join(c.Dir, "hub-to-region.kubeconfig"))
	if err != nil {
		return err
	}
	kubeconfig, err := os.ReadFile(path) //nolint:gosec // written just above
	if err != nil {
		return err
	}
	if err := rs.Hub.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: "region-" + region},
		Data:       map[string][]byte{"value": kubeconfig},
	}); err != nil {
		return err
	}
	rg := &wavegatev1alpha1.Region{ObjectMeta: metav1.ObjectMeta{Name: region}}
	rg.Spec.Cluster = &wavegatev1alpha1.RegionCluster{KubeconfigSecretRef: wavegatev1alpha1.SecretKeyRef{Namespace: Namespace, Name: "region-" + region}}
	return rs.Hub.Client.Create(ctx, rg)
}

// Delete stops every manager and removes every cluster.
func (rs *Regions) Delete() {
	for _, w := range rs.Agents {
		w.Stop()
	}
	if rs.HubWG != nil {
		rs.HubWG.Stop()
	}
	for _, c := range rs.Clusters {
		_ = c.Delete(context.Background())
	}
	if rs.Hub != nil {
		_ = rs.Hub.Delete(context.Background())
	}
}

// Logs returns the tail (up to max bytes) of every manager's log, by name.
func (rs *Regions) Logs(max int) map[string]string {
	out := map[string]string{}
	all := map[string]*Wavegate{"hub": rs.HubWG}
	for r, w := range rs.Agents {
		all["agent "+r] = w
	}
	for name, w := range all {
		if w == nil {
			continue
		}
		for replica, log := range w.Logs(max) {
			out[name+" "+replica] = log
		}
	}
	return out
}

// WebPlan is the WavePlan the suites and the multi-cluster demo create in
// the hub and roll app/web out on: its regions' clusters, one a wave.
const WebPlan = "clusters"

// WebDeployment is the Deployment app/web at version in a regional cluster.
// Its spec is the same in every region, so its first install is one change
// (docs/spec.md §2: one payload) entering each cluster: it names WebPlan,
// which orders the installs wave by wave. Create the plan first.
func WebDeployment(region, version string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web", Annotations: map[string]string{
			wavegatev1alpha1.AnnotationChangeID: "web-" + version + "-" + region, wavegatev1alpha1.AnnotationPlan: WebPlan}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", wavegatev1alpha1.LabelVersion: version}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "example.com/web:" + version}}},
			},
		},
	}
}

// WebRollout rolls app/web out at version, on plan, from the hub.
func WebRollout(name, plan, version string) *wavegatev1alpha1.ConfigRollout {
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"labels":{%q:%q}},"spec":{"containers":[{"name":"web","image":"example.com/web:%s"}]}}}}`,
		wavegatev1alpha1.LabelVersion, version, version)
	ro := &wavegatev1alpha1.ConfigRollout{ObjectMeta: metav1.ObjectMeta{Name: name}}
	ro.Spec.Version, ro.Spec.PlanRef = version, plan
	ro.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "app", Name: "web"}
	ro.Spec.Patch = apiextensionsv1.JSON{Raw: []byte(patch)}
	return ro
}
