package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// Top runs ps(1) on the host with psArgs (default "-ef") and keeps the
// lines of the container's processes: every process in its pid namespace.
func (s *Service) Top(ctx context.Context, ref, psArgs string) (ctr.TopResponse, error) {
	c, err := s.store.get(ref)
	if err != nil {
		return ctr.TopResponse{}, err
	}
	st := c.snapshot()
	if !st.Running() || st.Pid == 0 {
		return ctr.TopResponse{}, fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	pids, err := pidsInNamespace(st.Pid)
	if err != nil {
		return ctr.TopResponse{}, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	args := strings.Fields(psArgs)
	out, err := exec.CommandContext(ctx, "ps", append(args, "-q", joinPids(pids))...).Output()
	if err != nil {
		// Some options (f, for one) cannot be combined with -q.
		out, err = exec.CommandContext(ctx, "ps", args...).Output()
	}
	if err != nil {
		return ctr.TopResponse{}, fmt.Errorf("Error running ps: %s: %w", psError(err), errdefs.ErrInvalidArgument)
	}
	return parsePS(string(out), pids)
}

func psError(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return err.Error()
}

func joinPids(pids map[int]bool) string {
	parts := make([]string, 0, len(pids))
	for p := range pids {
		parts = append(parts, strconv.Itoa(p))
	}
	return strings.Join(parts, ",")
}

// pidsInNamespace returns the host pids of every process that shares the
// pid namespace of pid (the container's init): its own processes and its
// exec processes.
func pidsInNamespace(pid int) (map[int]bool, error) {
	ns, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "ns", "pid"))
	if err != nil {
		return nil, fmt.Errorf("container process %d: %w", pid, errdefs.ErrConflict)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	pids := map[int]bool{pid: true}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "pid")); err == nil && l == ns {
			pids[p] = true
		}
	}
	return pids, nil
}

// parsePS keeps the ps lines whose PID column names one of pids; the last
// column (the command) keeps its spaces.
func parsePS(out string, pids map[int]bool) (ctr.TopResponse, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	resp := ctr.TopResponse{Titles: strings.Fields(lines[0]), Processes: [][]string{}}
	col := -1
	for i, t := range resp.Titles {
		if t == "PID" {
			col = i
		}
	}
	if col < 0 {
		return ctr.TopResponse{}, fmt.Errorf("Couldn't find PID field in ps output: %w", errdefs.ErrInvalidArgument)
	}
	n := len(resp.Titles)
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) <= col {
			continue
		}
		p, err := strconv.Atoi(f[col])
		if err != nil || !pids[p] {
			continue
		}
		if len(f) > n {
			f = append(f[:n-1], strings.Join(f[n-1:], " "))
		}
		resp.Processes = append(resp.Processes, f)
	}
	return resp, nil
}
