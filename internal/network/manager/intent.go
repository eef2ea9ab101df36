package manager

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/berth-engine/berth/internal/network/bridge"
)

// Intents (Record.State). Create writes the record with StateCreating
// before it makes the bridge, its rules and DNS, and clears the state
// once all is up; Remove writes StateRemoving before it tears them down
// and deletes the record after. A record still carrying a state at the
// next start is a network a crash interrupted: finishIntent removes
// whatever of it exists and its record, so no bridge, nftables table or
// subnet reservation outlives an unacknowledged create (or a remove).
const (
	StateCreating = "creating"
	StateRemoving = "removing"
)

// finishIntent completes the removal of an interrupted network at start.
func (m *Manager) finishIntent(ctx context.Context, r *Record) {
	m.cfg.Log.Info("remove network left half-done by a crash", "network", r.Name, "state", r.State, "bridge", r.Bridge)
	m.undo(ctx, r)
}

// undo removes r's bridge, tables and record file.
func (m *Manager) undo(ctx context.Context, r *Record) {
	err := bridge.Remove(ctx, r.Bridge, tableName(r.Bridge))
	if rmErr := os.Remove(m.recordPath(r.ID)); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		m.cfg.Log.Warn("remove network", "network", r.Name, "err", err)
	}
}

func tableName(bridgeName string) string { return "berth-" + bridgeName }

// FaultEnv names the environment variable that makes a test daemon stop
// at a fault point (crash tests SIGKILL it there). Never set in
// production.
const FaultEnv = "BERTH_TEST_FAULT"

// faultCreateAfterBridge: Create waits after the bridge, rules and DNS
// are up, before the record is final.
const faultCreateAfterBridge = "network-create-after-bridge"

// faultPoint blocks (until ctx ends) when FaultEnv names point.
func faultPoint(ctx context.Context, point string) error {
	if os.Getenv(FaultEnv) != point {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Minute):
		return nil
	}
}
