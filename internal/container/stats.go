package container

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/cgroup"
	cgstats "github.com/berth-engine/berth/internal/cgroup/stats"
	ctr "github.com/moby/moby/api/types/container"
)

// Stats sampling intervals: streams send one sample per second; a single
// sample with the previous one included (docker stats --no-stream) is taken
// over a short window so that many containers answer at once.
const (
	statsStreamInterval = time.Second
	statsPreSample      = 100 * time.Millisecond
)

// StatsOptions are the query options of GET /containers/{id}/stats.
type StatsOptions struct {
	Stream  bool // a sample per second until the container stops
	OneShot bool // with !Stream: one sample without the previous one
}

// Stats sends the container's resource usage to send, in Docker's shape.
// A stopped container gets one empty sample, as from Docker.
func (s *Service) Stats(ctx context.Context, ref string, opts StatsOptions, send func(*ctr.StatsResponse) error) error {
	c, err := s.store.get(ref)
	if err != nil {
		return err
	}
	var prev *ctr.StatsResponse
	if !opts.OneShot || opts.Stream {
		prev = s.sample(c)
		if !sleepCtx(ctx, statsPreSample) {
			return ctx.Err()
		}
	}
	for {
		cur := s.sample(c)
		if prev != nil && cur.Read.After(prev.Read) && !prev.Read.IsZero() {
			cur.PreCPUStats, cur.PreRead = prev.CPUStats, prev.Read
		}
		if err := send(cur); err != nil || !opts.Stream || cur.Read.IsZero() {
			return err
		}
		prev = cur
		if !sleepCtx(ctx, statsStreamInterval) {
			return nil
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// sample reads the container's cgroup, the host CPU counters and the
// network counters of its namespace: plain file reads, no process spawn.
// A container that is not running gives an empty sample.
func (s *Service) sample(c *Container) *ctr.StatsResponse {
	out := &ctr.StatsResponse{ID: c.ID, Name: "/" + c.name(), OSType: "linux"}
	st := c.snapshot()
	if !st.Running() || st.Pid == 0 {
		return out
	}
	cs, err := cgstats.Read(cgroup.Load(s.cgroupPath(c)))
	if err != nil {
		if !cgroup.IsNotExist(err) {
			s.log.Debug("read cgroup stats", "container", c.ID, "err", err)
		}
		return out
	}
	out.Read = time.Now().UTC()
	out.CPUStats, out.MemoryStats, out.BlkioStats, out.PidsStats = cs.CPU, cs.Memory, cs.Blkio, cs.Pids
	out.CPUStats.SystemUsage, _ = cgroup.SystemCPUUsage()
	out.CPUStats.OnlineCPUs = cgroup.OnlineCPUs()
	if mm := cgroup.MachineMemory(); mm > 0 && (out.MemoryStats.Limit == 0 || out.MemoryStats.Limit > mm) {
		out.MemoryStats.Limit = mm
	}
	if !c.hostConfig().NetworkMode.IsHost() {
		out.Networks = netStats(st.Pid)
	}
	return out
}

// netStats reads /proc/<pid>/net/dev, which shows the interfaces of the
// process's network namespace; loopback is left out as Docker does.
func netStats(pid int) map[string]ctr.NetworkStats {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/dev")
	if err != nil {
		return nil
	}
	return parseNetDev(data)
}

func parseNetDev(data []byte) map[string]ctr.NetworkStats {
	var out map[string]ctr.NetworkStats
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" || strings.Contains(name, "|") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			continue
		}
		n := make([]uint64, 16)
		for i := range n {
			n[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		if out == nil {
			out = map[string]ctr.NetworkStats{}
		}
		out[name] = ctr.NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	return out
}
