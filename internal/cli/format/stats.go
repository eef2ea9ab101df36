package format

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client/pkg/stringid"
)

// StatsTable is docker stats' default format.
const StatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// Stats is the template context for one `stats` row, computed from a
// sample (with its previous CPU reading) as the docker CLI computes it.
type Stats struct {
	Container string // the name or ID the user gave
	s         container.StatsResponse
	trunc     bool
}

// NewStats returns the context of sample s for the container named ref.
func NewStats(ref string, s container.StatsResponse, trunc bool) Stats {
	return Stats{Container: ref, s: s, trunc: trunc}
}

// StatsHeader is the header row of stats tables.
type StatsHeader struct{}

func (StatsHeader) Container() string { return "CONTAINER" }
func (StatsHeader) ID() string        { return "CONTAINER ID" }
func (StatsHeader) Name() string      { return "NAME" }
func (StatsHeader) CPUPerc() string   { return "CPU %" }
func (StatsHeader) MemUsage() string  { return "MEM USAGE / LIMIT" }
func (StatsHeader) MemPerc() string   { return "MEM %" }
func (StatsHeader) NetIO() string     { return "NET I/O" }
func (StatsHeader) BlockIO() string   { return "BLOCK I/O" }
func (StatsHeader) PIDs() string      { return "PIDS" }

// ID is the container ID, 12 characters unless --no-trunc.
func (s Stats) ID() string {
	if s.trunc {
		return stringid.TruncateID(s.s.ID)
	}
	return s.s.ID
}

// Name is the container name without its leading slash.
func (s Stats) Name() string { return strings.TrimPrefix(s.s.Name, "/") }

// CPUPerc is the CPU use between the two readings, 100% per CPU.
func (s Stats) CPUPerc() string { return fmt.Sprintf("%.2f%%", CPUPercent(s.s)) }

// MemUsage is the memory used (page cache excluded) and the limit.
func (s Stats) MemUsage() string {
	return units.BytesSize(memUsed(s.s.MemoryStats)) + " / " + units.BytesSize(float64(s.s.MemoryStats.Limit))
}

// MemPerc is the memory used as a percentage of the limit.
func (s Stats) MemPerc() string {
	if s.s.MemoryStats.Limit == 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", memUsed(s.s.MemoryStats)/float64(s.s.MemoryStats.Limit)*100)
}

// NetIO is the bytes received and sent over all interfaces.
func (s Stats) NetIO() string {
	var rx, tx float64
	for _, n := range s.s.Networks {
		rx += float64(n.RxBytes)
		tx += float64(n.TxBytes)
	}
	return units.HumanSizeWithPrecision(rx, 3) + " / " + units.HumanSizeWithPrecision(tx, 3)
}

// BlockIO is the bytes read and written on block devices.
func (s Stats) BlockIO() string {
	var r, w float64
	for _, e := range s.s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(e.Op) {
		case "read":
			r += float64(e.Value)
		case "write":
			w += float64(e.Value)
		}
	}
	return units.HumanSizeWithPrecision(r, 3) + " / " + units.HumanSizeWithPrecision(w, 3)
}

// PIDs is the number of processes and threads in the container.
func (s Stats) PIDs() string { return fmt.Sprint(s.s.PidsStats.Current) }

// CPUPercent is docker's CPU percentage of a sample: the container's CPU
// time over the host's between the two readings, times the online CPUs.
func CPUPercent(s container.StatsResponse) float64 {
	cpu := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sys := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	n := float64(s.CPUStats.OnlineCPUs)
	if n == 0 {
		n = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if sys <= 0 || cpu <= 0 {
		return 0
	}
	return cpu / sys * n * 100
}

// memUsed is usage minus inactive file pages (v1 and v2 names).
func memUsed(m container.MemoryStats) float64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return float64(m.Usage - v)
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return float64(m.Usage - v)
	}
	return float64(m.Usage)
}
