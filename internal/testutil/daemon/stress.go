package daemon

import (
	"context"
	"strings"
	"testing"
	"time"
)

// CheckNoDataRace fails t when the daemon's log (where a race-enabled
// daemon and its shims report, GORACE unset) holds a data race report.
func (d *Daemon) CheckNoDataRace(t testing.TB) {
	t.Helper()
	if log := d.Log(); strings.Contains(log, "DATA RACE") {
		t.Fatalf("data race in the daemon or a shim:\n%s", log)
	}
}

// Repeat returns a function that calls op(0), op(1), … until deadline
// passes or ctx ends: one worker of a stress test.
func Repeat(ctx context.Context, deadline time.Time, op func(n int)) func() {
	return func() {
		for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
			op(n)
		}
	}
}
