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
	"fmt"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Formats accepted by New.
const (
	FormatJSON    = "json"
	FormatConsole = "console"
)

// New returns a logr.Logger backed by zap. format is "json" or "console";
// level is "debug", "info", "error" or a logr verbosity such as "2" (V(2)
// logs and below are shown).
func New(format, level string) (logr.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return logr.Discard(), err
	}
	var cfg zap.Config
	switch format {
	case FormatJSON:
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	case FormatConsole:
		cfg = zap.NewDevelopmentConfig()
		cfg.Development = false
	default:
		return logr.Discard(), fmt.Errorf("invalid --log-format %q: use %q or %q", format, FormatJSON, FormatConsole)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	// Sampling drops repeated lines under load; an admission audit trail must not.
	cfg.Sampling = nil
	cfg.DisableStacktrace = true
	z, err := cfg.Build()
	if err != nil {
		return logr.Discard(), fmt.Errorf("failed to build the zap logger: %w", err)
	}
	return zapr.NewLogger(z), nil
}

// ParseLevel turns a --log-level value into a zap level. A logr verbosity V(n)
// is zap level -n.
func ParseLevel(level string) (zapcore.Level, error) {
	switch strings.ToLower(level) {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info", "":
		return zapcore.InfoLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	v, err := strconv.Atoi(level)
	if err != nil || v < 0 || v > 10 {
		return 0, fmt.Errorf("invalid --log-level %q: use debug, info, error or a verbosity from 0 to 10", level)
	}
	return zapcore.Level(-v), nil
}
