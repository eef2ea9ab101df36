package stats

import (
	"testing"

	"github.com/berth-engine/berth/internal/cgroup"
	"github.com/berth-engine/berth/internal/testutil"
	ctr "github.com/moby/moby/api/types/container"
)

func TestReadV1(t *testing.T) {
	root := t.TempDir()
	testutil.WriteFiles(t, root, map[string]string{
		"cpuacct/b/c1/cpuacct.usage":                           "3000000000\n",
		"cpuacct/b/c1/cpuacct.usage_percpu":                    "1000000000 2000000000 \n",
		"cpuacct/b/c1/cpuacct.stat":                            "user 150\nsystem 50\n",
		"cpu/b/c1/cpu.stat":                                    "nr_periods 10\nnr_throttled 4\nthrottled_time 123\n",
		"memory/b/c1/memory.usage_in_bytes":                    "10485760\n",
		"memory/b/c1/memory.limit_in_bytes":                    "33554432\n",
		"memory/b/c1/memory.stat":                              "cache 4096\nrss 8192\ntotal_inactive_file 1048576\n",
		"memory/b/c1/memory.oom_control":                       "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
		"blkio/b/c1/blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n",
		"pids/b/c1/pids.current":                               "3\n",
		"pids/b/c1/pids.max":                                   "max\n",
	})
	c := cgroup.At(root, "/b/c1", false)
	s, err := Read(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.CPUUsage.TotalUsage != 3e9 || len(s.CPU.CPUUsage.PercpuUsage) != 2 || s.CPU.CPUUsage.UsageInUsermode != 1.5e9 ||
		s.CPU.CPUUsage.UsageInKernelmode != 0.5e9 || s.CPU.ThrottlingData.ThrottledPeriods != 4 {
		t.Errorf("cpu %+v", s.CPU)
	}
	if s.Memory.Usage != 10<<20 || s.Memory.Limit != 32<<20 || s.Memory.Stats["rss"] != 8192 {
		t.Errorf("memory %+v", s.Memory)
	}
	want := []ctr.BlkioStatEntry{{Major: 8, Minor: 0, Op: "Read", Value: 4096}, {Major: 8, Minor: 0, Op: "Write", Value: 8192}}
	if len(s.Blkio.IoServiceBytesRecursive) != 2 || s.Blkio.IoServiceBytesRecursive[1] != want[1] {
		t.Errorf("blkio %+v", s.Blkio.IoServiceBytesRecursive)
	}
	if s.Pids.Current != 3 || s.Pids.Limit != 0 {
		t.Errorf("pids %+v", s.Pids)
	}
	if n, err := c.OOMKills(); err != nil || n != 2 {
		t.Errorf("oom kills %d %v", n, err)
	}
	if ws, err := c.WorkingSet(); err != nil || ws != 9<<20 {
		t.Errorf("working set %d %v", ws, err)
	}
	if _, err := Read(cgroup.At(root, "/b/gone", false)); !cgroup.IsNotExist(err) {
		t.Errorf("missing cgroup: %v", err)
	}
}

func TestReadV2(t *testing.T) {
	root := t.TempDir()
	testutil.WriteFiles(t, root, map[string]string{
		"b/c2/cpu.stat":       "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\nthrottled_usec 7\n",
		"b/c2/memory.current": "2097152\n",
		"b/c2/memory.max":     "max\n",
		"b/c2/memory.stat":    "anon 1024\nfile 2048\ninactive_file 1048576\n",
		"b/c2/memory.events":  "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
		"b/c2/io.stat":        "259:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n",
		"b/c2/pids.current":   "5\n",
		"b/c2/pids.max":       "20\n",
	})
	c := cgroup.At(root, "/b/c2", true)
	s, err := Read(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.CPUUsage.TotalUsage != 2e6 || s.CPU.ThrottlingData.ThrottledTime != 7000 {
		t.Errorf("cpu %+v", s.CPU)
	}
	if s.Memory.Usage != 2<<20 || s.Memory.Limit != 0 || s.Memory.Stats["anon"] != 1024 {
		t.Errorf("memory %+v", s.Memory)
	}
	io := s.Blkio.IoServiceBytesRecursive
	if len(io) != 2 || io[0] != (ctr.BlkioStatEntry{Major: 259, Op: "read", Value: 100}) || s.Blkio.IoServicedRecursive[1].Value != 2 {
		t.Errorf("io %+v", s.Blkio)
	}
	if s.Pids.Current != 5 || s.Pids.Limit != 20 {
		t.Errorf("pids %+v", s.Pids)
	}
	if n, _ := c.OOMKills(); n != 1 {
		t.Errorf("oom kills %d", n)
	}
	if ws, _ := c.WorkingSet(); ws != 1<<20 {
		t.Errorf("working set %d", ws)
	}
}
