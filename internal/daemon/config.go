package daemon

// Config is the daemon's configuration: command-line flags mirror dockerd's,
// and /etc/berth/daemon.json uses dockerd's key names.
type Config struct {
	DataRoot       string   `json:"data-root,omitempty"`
	ExecRoot       string   `json:"exec-root,omitempty"`
	Hosts          []string `json:"hosts,omitempty"`
	Pidfile        string   `json:"pidfile,omitempty"`
	ConfigFile     string   `json:"-"`
	LogLevel       string   `json:"log-level,omitempty"`
	DefaultRuntime string   `json:"default-runtime,omitempty"`
	Bridge         string   `json:"bridge,omitempty"`         // -b/--bridge, default berth0
	FixedCIDR      string   `json:"fixed-cidr,omitempty"`     // --fixed-cidr: subnet for the default bridge
	CgroupParent   string   `json:"cgroup-parent,omitempty"`  // default /berth
	StorageDriver  string   `json:"storage-driver,omitempty"` // overlay2 | native; default: overlay2 when supported
	// InsecureRegistries are registries (host[:port] or CIDR) reached over
	// plain http or unverified https; loopback registries always are.
	InsecureRegistries []string `json:"insecure-registries,omitempty"`
	// RegistryCertsDir holds per-registry CAs and client certificates,
	// <dir>/<host:port>/{*.crt,client.cert,client.key}; default
	// /etc/berth/certs.d.
	RegistryCertsDir string `json:"registry-certs-dir,omitempty"`
	// IPv6 (--ipv6) gives the default bridge IPv6: FixedCIDRv6
	// (--fixed-cidr-v6), else a ULA /64 derived from the data root.
	IPv6        bool   `json:"ipv6,omitempty"`
	FixedCIDRv6 string `json:"fixed-cidr-v6,omitempty"`
	// CgroupFavorDynMods (--cgroup-favordynmods, default true) turns on the
	// cgroup2 hierarchy's favordynmods option at start (see
	// cgroup.FavorDynMods): container starts stop waiting for an RCU grace
	// period each.
	CgroupFavorDynMods *bool `json:"cgroup-favordynmods,omitempty"`
}

// Defaults for a system daemon.
const (
	DefaultDataRoot   = "/var/lib/berth"
	DefaultExecRoot   = "/run/berth"
	DefaultHost       = "unix:///run/berth/berth.sock"
	DefaultConfigFile = "/etc/berth/daemon.json"
	DefaultBridge     = "berth0"
	// DefaultRegistryCertsDir is registry.DefaultCertsDir.
	DefaultRegistryCertsDir = "/etc/berth/certs.d"
)
