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

package regions

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestOf(t *testing.T) {
	label := func(v string) map[string]string { return map[string]string{wavegatev1alpha1.LabelRegion: v} }
	cases := []struct {
		name    string
		own, ns map[string]string
		want    string
	}{
		{"its own label", label("eastus"), label("westus"), "eastus"},
		{"its Namespace's label", nil, label("westus"), "westus"},
		{"blanks around a label are not part of the name", label(" eastus "), nil, "eastus"},
		{"a blank own label falls back to the Namespace", label("  "), label("westus"), "westus"},
		{"no label anywhere", map[string]string{"app": "x"}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Of(tc.own, tc.ns); got != tc.want {
				t.Errorf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}

func region(name, pair string) wavegatev1alpha1.Region {
	r := wavegatev1alpha1.Region{ObjectMeta: metav1.ObjectMeta{Name: name}}
	r.Spec.PairedRegion = pair
	return r
}

func TestPairs(t *testing.T) {
	p := NewPairs([]wavegatev1alpha1.Region{region("eastus", "westus"), region("westus", "eastus"), region("japaneast", "japanwest"), region("solo", "")})
	check := func(region string, want []string) {
		t.Helper()
		if got := p.Of(region); !reflect.DeepEqual(got, want) {
			t.Errorf("Of(%s) = %v, want %v", region, got, want)
		}
	}
	check("eastus", []string{"westus"})
	check("westus", []string{"eastus"})
	check("japaneast", []string{"japanwest"})
	check("japanwest", []string{"japaneast"}) // one-sided: it counts both ways
	check("solo", nil)
	if !p.Paired("japanwest", "japaneast") || p.Paired("eastus", "japaneast") {
		t.Error("Paired disagrees with Of")
	}

	// Re-pairing replaces what a region declared; deleting forgets it.
	r := region("japaneast", "koreacentral")
	p.Set(&r)
	check("japanwest", nil)
	check("japaneast", []string{"koreacentral"})
	p.Delete("japaneast")
	check("koreacentral", nil)
	check("japaneast", nil)

	// Half an edit: a region named as pair by two regions has both.
	x, y := region("a", "c"), region("b", "c")
	p.Set(&x)
	p.Set(&y)
	check("c", []string{"a", "b"})
}
