package manager

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/network/bridge"
	"github.com/containerd/errdefs"
)

// Predefined is the default bridge network as the manager sees it: the
// daemon owns the bridge (and attaches the containers started on it);
// the manager records and attaches the containers connected to it with
// network connect, as extra interfaces like on any network. It has no
// DNS server, aliases or fixed addresses (Docker's rules for the default
// bridge), is never listed, created or removed here, and its record is
// kept apart from the user networks' (predefinedPath).
type Predefined struct {
	ID, Name string
	Bridge   *bridge.Network
}

// Docker's texts for what the default bridge refuses.
const (
	errTextAlias = "network-scoped alias is supported only for containers in user defined networks"
	errTextIP    = "user specified IP address is supported on user defined networks only"
)

func (m *Manager) predefinedPath() string {
	return filepath.Join(m.cfg.StateDir, "default-bridge.state")
}

// loadDefault reads (or starts) the default bridge's record.
func (m *Manager) loadDefault(p Predefined) (*userNet, error) {
	rec := &Record{Version: recordVersion, ID: p.ID, Name: p.Name, Bridge: p.Bridge.Name(), Subnet: p.Bridge.Subnet().String(),
		ICC: true, Predefined: true, Endpoints: map[string]*EndpointRecord{}}
	b, err := os.ReadFile(m.predefinedPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("default bridge endpoints: %w", err)
	default:
		var old Record
		if err := json.Unmarshal(b, &old); err != nil || old.Version > recordVersion {
			m.cfg.Log.Warn("default bridge endpoints unreadable, dropped", "err", err, "version", old.Version)
		} else if old.Endpoints != nil {
			rec.Endpoints = old.Endpoints
		}
	}
	return &userNet{rec: rec, br: p.Bridge}, nil
}

// lookupMember is lookup, plus the default bridge by name or full ID.
func (m *Manager) lookupMember(ref string) (*userNet, error) {
	if m.def != nil && (ref == m.def.rec.Name || ref == m.def.rec.ID) {
		return m.def, nil
	}
	return m.lookup(ref)
}

// members are the user networks by name, then the default bridge: every
// network a container can have an endpoint record on.
func (m *Manager) members() []*userNet {
	out := m.sorted()
	if m.def != nil {
		out = append(out, m.def)
	}
	return out
}

// checkPredefined refuses, on the default bridge, what Docker refuses there.
func (n *userNet) checkPredefined(opts EndpointOptions) error {
	if !n.rec.Predefined {
		return nil
	}
	var errs []string
	if opts.IP != nil {
		errs = append(errs, errTextIP)
	}
	if len(opts.Aliases) > 0 {
		errs = append(errs, errTextAlias)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid endpoint settings:\n%s: %w", strings.Join(errs, "\n"), errdefs.ErrInvalidArgument)
	}
	return nil
}

// IsPredefinedMember reports whether container id was connected to the
// default bridge with network connect.
func (m *Manager) IsPredefinedMember(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.def == nil {
		return false
	}
	_, ok := m.def.rec.Endpoints[id]
	return ok
}
