package format

import (
	"bytes"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestStatsTable(t *testing.T) {
	s := container.StatsResponse{
		ID: "4c01db0b339cfdc89d8e7a1e7c3d7f5e2b6a1c0d9e8f7a6b5c4d3e2f1a0b9c8d", Name: "/web",
		CPUStats:    container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1.5e9}, SystemUsage: 12e9, OnlineCPUs: 2},
		PreCPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1e9}, SystemUsage: 10e9},
		MemoryStats: container.MemoryStats{Usage: 12 << 20, Limit: 64 << 20, Stats: map[string]uint64{"total_inactive_file": 4 << 20}},
		Networks:    map[string]container.NetworkStats{"eth0": {RxBytes: 1500, TxBytes: 500}},
		BlkioStats: container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{
			{Major: 8, Op: "Read", Value: 4096}, {Major: 8, Op: "Write", Value: 1 << 20}, {Major: 8, Op: "Total", Value: 99}}},
		PidsStats: container.PidsStats{Current: 3},
	}
	buf := &bytes.Buffer{}
	if err := Write(buf, StatsTable, StatsHeader{}, []any{NewStats("web", s, true)}); err != nil {
		t.Fatal(err)
	}
	want := "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O        PIDS\n" +
		"4c01db0b339c   web       50.00%    8MiB / 64MiB        12.50%    1.5kB / 500B   4.1kB / 1.05MB   3\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
