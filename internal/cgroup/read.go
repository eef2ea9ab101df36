package cgroup

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadUint reads a file holding one number; "max" reads as 0 and ok false
// (no limit).
func ReadUint(path string) (v uint64, ok bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false, err
	}
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return 0, false, nil
	}
	v, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		// v1 reports -1 for "unlimited" in a few files.
		if n, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && n < 0 {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("%s: %w", path, err)
	}
	return v, true, nil
}

// ReadKeyed parses "key value" lines (memory.stat, cpu.stat, cpuacct.stat,
// memory.events, memory.oom_control) into a map; unparsable lines are skipped.
func ReadKeyed(path string) (map[string]uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseKeyed(data), nil
}

func parseKeyed(data []byte) map[string]uint64 {
	m := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// ParseUints parses whitespace-separated numbers (cpuacct.usage_percpu).
func ParseUints(data []byte) []uint64 {
	var out []uint64
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.ParseUint(f, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}
