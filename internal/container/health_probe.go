package container

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	ctr "github.com/moby/moby/api/types/container"

	"github.com/berth-engine/berth/internal/runtime"
)

// probeArgs turns a HEALTHCHECK test into the command to run.
func probeArgs(test []string) []string {
	if len(test) == 0 {
		return nil
	}
	switch test[0] {
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}
	case "CMD":
		return test[1:]
	}
	return test
}

// probe runs the check inside the container with `runc exec` (the
// container's env, user and cwd), independent of the shim. A probe that
// outlives the timeout is killed and counts as a failure with exit -1.
func (s *Service) probe(ctx context.Context, c *Container, cfg ctr.HealthConfig) *ctr.HealthcheckResult {
	res := &ctr.HealthcheckResult{Start: time.Now()}
	args := probeArgs(cfg.Test)
	if len(args) == 0 {
		res.End, res.ExitCode, res.Output = time.Now(), -1, "no health check command"
		return res
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	pidFile := filepath.Join(s.bundleDir(c.ID), "health-"+randSuffix()+".pid")
	defer os.Remove(pidFile)
	rt := s.runtimeFor(c)
	cmd := exec.CommandContext(pctx, rt.path, append([]string{
		"--root", rt.root, "exec", "--pid-file", pidFile, c.ID}, args...)...)
	out := &cappedBuffer{max: maxProbeOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error {
		killPidFile(pidFile)
		return cmd.Process.Kill()
	}
	cmd.WaitDelay = 2 * time.Second
	err := runtime.RunCmd(cmd, rt.hideUnified)
	res.End, res.Output = time.Now(), out.String()
	var exitErr *exec.ExitError
	switch {
	case errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		res.ExitCode, res.Output = -1, fmt.Sprintf("Health check exceeded timeout (%v)", cfg.Timeout)
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		res.ExitCode, res.Output = -1, err.Error()
	}
	return res
}

// killPidFile kills the probe process inside the container (killing runc
// alone would leave it running).
func killPidFile(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 1 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func randSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }
