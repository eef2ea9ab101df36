package manager

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/containerd/errdefs"
)

// recordVersion is the version of the network file format.
const recordVersion = 1

// Record is a user network as persisted.
type Record struct {
	Version  int
	ID       string
	Name     string
	Created  time.Time
	Subnet   string
	Gateway  string
	IPRange  string `json:",omitempty"`
	Internal bool
	ICC      bool
	// BlockPrivate: no egress to private and link-local ranges.
	BlockPrivate bool `json:",omitempty"`
	// IPv6 prefix and gateway ("" = IPv4 only).
	Subnet6  string `json:",omitempty"`
	Gateway6 string `json:",omitempty"`
	Bridge   string
	Labels   map[string]string
	Options  map[string]string
	// Endpoints by container ID.
	Endpoints map[string]*EndpointRecord
	// State is "" for a network that is up; StateCreating and
	// StateRemoving are intents written before the host is changed, so
	// that the next start removes what a crash in the middle left (intent.go).
	State string `json:",omitempty"`
	// Predefined marks the record of the default bridge network: only
	// the endpoints of containers connected to it with network connect
	// (predefined.go).
	Predefined bool `json:",omitempty"`
}

// EndpointRecord is a container's membership in a network.
type EndpointRecord struct {
	ContainerID string
	Name        string   // container name, resolvable by DNS
	Aliases     []string `json:",omitempty"`
	RequestedIP string   `json:",omitempty"` // --ip
	MAC         string   `json:",omitempty"` // requested MAC
	// Set while attached (the container runs):
	IP        string `json:",omitempty"`
	IP6       string `json:",omitempty"`
	AttachMAC string `json:",omitempty"`
	IfName    string `json:",omitempty"`
	Primary   bool   `json:",omitempty"` // the network the container was started on
}

func (r *Record) clone() *Record {
	b, _ := json.Marshal(r)
	var c Record
	_ = json.Unmarshal(b, &c)
	return &c
}

func (m *Manager) recordPath(id string) string { return filepath.Join(m.cfg.StateDir, id+".json") }

func (m *Manager) save(r *Record) error {
	path := m.recordPath(r.ID)
	if r.Predefined {
		path = m.predefinedPath()
	}
	if err := atomicfile.WriteJSON(path, r, 0o644); err != nil {
		return fmt.Errorf("save network %s: %w", r.Name, err)
	}
	return nil
}

// loadRecords reads every network file; unreadable ones are reported and skipped.
func loadRecords(dir string) ([]*Record, []error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, []error{err}
	}
	var out []*Record
	var errs []error
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		var r Record
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err == nil && (r.Version > recordVersion || r.ID == "" || r.Subnet == "") {
			err = fmt.Errorf("version %d: %w", r.Version, errdefs.ErrDataLoss)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("network file %s: %w", e.Name(), err))
			continue
		}
		if r.Endpoints == nil {
			r.Endpoints = map[string]*EndpointRecord{}
		}
		out = append(out, &r)
	}
	return out, errs
}
