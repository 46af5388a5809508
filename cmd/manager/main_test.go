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

package main

import (
	"crypto/tls"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestParseFlags(t *testing.T) {
	t.Run("defaults are safe for a single local replica", func(t *testing.T) {
		g := NewWithT(t)
		o, err := parseFlags(nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(o.webhookPort).To(Equal(9443))
		g.Expect(o.leaderElect).To(BeFalse())
		g.Expect(o.logFormat).To(Equal("json"))
		g.Expect(o.gracefulShutdown).To(Equal(30 * time.Second))
		g.Expect(o.setup.BreakGlassGroup).To(Equal("wavegate:break-glass"))
	})
	t.Run("flags override the defaults", func(t *testing.T) {
		g := NewWithT(t)
		o, err := parseFlags([]string{"--leader-elect", "--webhook-port=10250", "--log-format=console", "--webhook-cert-dir=/certs"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(o.leaderElect).To(BeTrue())
		g.Expect(o.webhookPort).To(Equal(10250))
		g.Expect(o.logFormat).To(Equal("console"))
		g.Expect(o.webhookCertDir).To(Equal("/certs"))
	})
	t.Run("leader election timing must nest: retry < renew deadline < lease", func(t *testing.T) {
		g := NewWithT(t)
		_, err := parseFlags([]string{"--leader-elect-lease-duration=5s", "--leader-elect-renew-deadline=10s"})
		g.Expect(err).To(MatchError(ContainSubstring("want 0 < --leader-elect-retry-period (2s) < --leader-elect-renew-deadline (10s) < --leader-elect-lease-duration (5s)")))
		o, err := parseFlags([]string{"--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=1s"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(o.leaseDuration).To(Equal(6 * time.Second))
	})
	t.Run("TLS 1.2 is the default minimum; 1.3 may be required", func(t *testing.T) {
		g := NewWithT(t)
		o, err := parseFlags(nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(uint16(o.tls.MinVersion)).To(Equal(uint16(tls.VersionTLS12)))
		g.Expect(o.metricsAddr).To(Equal(":8443"), "metrics are HTTPS, off the old plain-HTTP port")
		for _, v := range []string{"VersionTLS13", "1.3"} {
			o, err = parseFlags([]string{"--tls-min-version=" + v})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(uint16(o.tls.MinVersion)).To(Equal(uint16(tls.VersionTLS13)))
		}
	})
	t.Run("an unknown TLS version is a usage error that names the flag and what it accepts", func(t *testing.T) {
		_, err := parseFlags([]string{"--tls-min-version=VersionTLS11"})
		NewWithT(t).Expect(err).To(MatchError(And(ContainSubstring("-tls-min-version"),
			ContainSubstring("use one of VersionTLS12, VersionTLS13, 1.2, 1.3"))))
	})
	t.Run("a port out of range is rejected with the fix", func(t *testing.T) {
		_, err := parseFlags([]string{"--webhook-port=70000"})
		NewWithT(t).Expect(err).To(MatchError("invalid --webhook-port 70000: use a port from 1 to 65535"))
	})
	t.Run("Events are written at the kubelet's default rate unless told otherwise", func(t *testing.T) {
		g := NewWithT(t)
		o, err := parseFlags(nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(o.setup.EventQPS).To(BeNumerically("==", 50))
		g.Expect(o.setup.EventBurst).To(Equal(100))
		o, err = parseFlags([]string{"--event-qps=2.5", "--event-burst=5"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(o.setup.EventQPS).To(BeNumerically("==", 2.5))
		g.Expect(o.setup.EventBurst).To(Equal(5))
		for _, bad := range []string{"0", "-1", "NaN", "+Inf", "1e300"} {
			_, err = parseFlags([]string{"--event-qps=" + bad})
			g.Expect(err).To(MatchError(ContainSubstring("invalid --event-qps")), bad)
			g.Expect(err).To(MatchError(ContainSubstring("use a positive number of Events a second, such as 50")), bad)
		}
		_, err = parseFlags([]string{"--event-burst=0"})
		g.Expect(err).To(MatchError("invalid --event-burst 0: use at least 1, such as 100"))
	})
	t.Run("the gate's bounds under load have defaults and refuse nonsense", func(t *testing.T) {
		g := NewWithT(t)
		o, err := parseFlags(nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(o.setup.MaxInFlight).To(Equal(16))
		g.Expect(o.setup.InFlightWait).To(BeZero())
		g.Expect(o.setup.PolicyEvalTimeout).To(Equal(250 * time.Millisecond))
		_, err = parseFlags([]string{"--max-in-flight=0"})
		g.Expect(err).To(MatchError("invalid --max-in-flight 0: use at least 1, such as 16"))
		_, err = parseFlags([]string{"--in-flight-wait=5s"})
		g.Expect(err).To(MatchError(ContainSubstring("invalid --in-flight-wait 5s: use a duration from 0 to under 1s")))
		for _, bad := range []string{"0s", "-1s", "10s"} {
			_, err = parseFlags([]string{"--policy-eval-timeout=" + bad})
			g.Expect(err).To(MatchError(ContainSubstring("invalid --policy-eval-timeout")), bad)
		}
	})
}
