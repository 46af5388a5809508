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

// Package proc reads how much CPU the processes of this machine have used,
// from /proc, for the load generators and benchmarks that say where a
// shared machine's cores went.
package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CPU is the CPU seconds (user and system) of every process that keep
// accepts (nil: every process), summed by command name; empty where there
// is no /proc.
func CPU(keep func(pid, ppid int) bool) map[string]float64 {
	cpu := map[string]float64{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		raw, err := os.ReadFile(path) //nolint:gosec // a /proc path from the glob above
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces; utime and stime
		// are the 14th and 15th fields, in clock ticks (100 a second).
		open, closing := bytes.IndexByte(raw, '('), bytes.LastIndexByte(raw, ')')
		if open < 0 || closing < open {
			continue
		}
		fields := strings.Fields(string(raw[closing+1:]))
		if len(fields) < 13 {
			continue
		}
		pid, err1 := strconv.Atoi(strings.TrimSpace(string(raw[:open])))
		ppid, err2 := strconv.Atoi(fields[1])
		utime, err3 := strconv.ParseFloat(fields[11], 64)
		stime, err4 := strconv.ParseFloat(fields[12], 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || (keep != nil && !keep(pid, ppid)) {
			continue
		}
		cpu[string(raw[open+1:closing])] += (utime + stime) / 100
	}
	return cpu
}
