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

package logging

import (
	"testing"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
)

func TestParseLevel(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    zapcore.Level
		wantErr string
	}{
		{name: "debug is zap's debug level", in: "debug", want: zapcore.DebugLevel},
		{name: "an empty level means info", in: "", want: zapcore.InfoLevel},
		{name: "names are case-insensitive", in: "ERROR", want: zapcore.ErrorLevel},
		{name: "a verbosity maps to a negative zap level", in: "3", want: zapcore.Level(-3)},
		{name: "a word that is not a level is rejected", in: "loud", wantErr: `invalid --log-level "loud"`},
		{name: "a negative verbosity is rejected", in: "-1", wantErr: "verbosity from 0 to 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := ParseLevel(tc.in)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestNewRejectsAnUnknownFormat(t *testing.T) {
	g := NewWithT(t)
	_, err := New("xml", "info")
	g.Expect(err).To(MatchError(ContainSubstring(`invalid --log-format "xml": use "json" or "console"`)))
}

func TestNewHonoursVerbosity(t *testing.T) {
	g := NewWithT(t)
	log, err := New(FormatConsole, "2")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(log.V(2).Enabled()).To(BeTrue())
	g.Expect(log.V(3).Enabled()).To(BeFalse())
}
