package container

import (
	"sync"
	"time"

	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// Container is the persistent record of one container plus the in-memory
// machinery (lock, state-change broadcast) around it.
type Container struct {
	ID           string
	Name         string // without the leading "/"
	Created      time.Time
	Path         string
	Args         []string
	Config       *ctr.Config
	HostConfig   *ctr.HostConfig
	ImageID      string
	ChainID      string // top layer of the image, parent of the rw layer
	ImageArch    string // the image architecture (selects seccomp ABIs)
	State        State
	Network      *Endpoint     `json:",omitempty"`
	MountPoints  []*MountPoint `json:",omitempty"` // volumes, binds, tmpfs (volumes.go)
	Driver       string
	LogPath      string
	HostsPath    string
	ResolvPath   string
	HostnamePath string
	RestartCount int
	Warnings     []string `json:"-"` // Docker's warnings from the create request

	// EndpointsConfig is the create request's per-network settings.
	EndpointsConfig map[string]*network.EndpointSettings `json:",omitempty"`

	mu      sync.Mutex    // serializes lifecycle operations
	changed chan struct{} // closed and replaced on every state change
	attach  attachSet
	monitor *monitor // live connection to the shim while running
	policy  restartState
	// freeze orders pause, unpause and kill, so that State.Paused follows
	// the shim's freezer state (a kill thaws a paused container).
	freeze sync.Mutex
	// saveMu orders this container's record writes (store.save,
	// store.deleteRecord), each of which encodes the state current when
	// it holds the lock: the last write is the latest state, and nothing
	// writes the record again once deleted.
	saveMu  sync.Mutex
	deleted bool // guarded by saveMu
}

// State is the container's runtime state as Docker reports it.
type State struct {
	Status     ctr.ContainerState
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	OOMKilled  bool
	Paused     bool // frozen (runc pause); Status stays running
	Removed    bool `json:"-"`
	exits      int  // exits seen by this daemon, for wait next-exit

	// Health is replaced on every probe, never modified in place.
	Health *ctr.Health `json:",omitempty"`
	// ManuallyStopped: stopped by the user; restart policies stay off
	// until the next start.
	ManuallyStopped bool `json:",omitempty"`
}

// Endpoint is the container's attachment to its first network (the
// default bridge or a user network).
type Endpoint struct {
	Network   string `json:",omitempty"` // "" = the default bridge
	DNS       string `json:",omitempty"` // nameserver for resolv.conf (user networks)
	Bridge    string
	NetNSPath string
	IP        string
	PrefixLen int
	Gateway   string
	MAC       string
	Ports     []PublishedPort `json:",omitempty"`
	// IPv6, on a network with IPv6 only.
	IP6        string `json:",omitempty"`
	PrefixLen6 int    `json:",omitempty"`
	Gateway6   string `json:",omitempty"`
}

func (c *Container) init() {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
}

// notify wakes every waiter; callers hold no particular lock, the channel
// swap is guarded by stateMu.
func (c *Container) notify() {
	stateMu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	stateMu.Unlock()
}

// changes returns a channel closed at the next state change.
func (c *Container) changes() <-chan struct{} {
	stateMu.Lock()
	defer stateMu.Unlock()
	return c.changed
}

// snapshot returns a copy of the record's state under the state lock.
func (c *Container) snapshot() State {
	stateMu.Lock()
	defer stateMu.Unlock()
	return c.State
}

// Snapshot returns a copy of the container's state taken under the state
// lock. Other packages use it: c.State itself changes under their feet.
func (c *Container) Snapshot() State { return c.snapshot() }

func (c *Container) setState(fn func(*State)) {
	stateMu.Lock()
	fn(&c.State)
	stateMu.Unlock()
}

// stateMu guards State fields and the changed channel of every container;
// state reads are tiny, so one lock keeps ps and inspect from ever blocking
// behind a slow lifecycle operation (which holds c.mu instead).
var stateMu sync.Mutex

// hostConfig returns the current HostConfig. Update replaces the pointer
// (copy on write) under the state lock, so readers outside c.mu use this.
func (c *Container) hostConfig() *ctr.HostConfig {
	stateMu.Lock()
	defer stateMu.Unlock()
	return c.HostConfig
}

func (c *Container) setHostConfig(hc *ctr.HostConfig) {
	stateMu.Lock()
	c.HostConfig = hc
	stateMu.Unlock()
}

// name returns the container's name; Rename changes it under the state
// lock, so readers outside the store's lock use this.
func (c *Container) name() string {
	stateMu.Lock()
	defer stateMu.Unlock()
	return c.Name
}

// network returns the container's endpoint (nil when not attached).
func (c *Container) network() *Endpoint {
	stateMu.Lock()
	defer stateMu.Unlock()
	return c.Network
}

func (c *Container) setNetwork(ep *Endpoint) {
	stateMu.Lock()
	c.Network = ep
	stateMu.Unlock()
}

// Running reports whether the container's process is alive.
func (s State) Running() bool { return s.Status == ctr.StateRunning }

// ShortID is the 12-character form Docker prints.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
