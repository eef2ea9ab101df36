package container

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
)

// createOptions are the flags shared by `run` and `create`.
type createOptions struct {
	name       string
	env        []string
	envFiles   []string
	labels     []string
	workdir    string
	user       string
	hostname   string
	entrypoint string
	network    string
	platform   string
	pull       string
	runtime    string
	memory     string
	capAdd     []string
	capDrop    []string
	init       bool
	privileged bool
	readOnly   bool
	interact   bool
	tty        bool
	autoRemove bool

	entrypointSet bool
	res           resourceOptions
	policy        policyOptions
	mounts        mountOptions
	net           netOptions
}

func addCreateFlags(fs *pflag.FlagSet, o *createOptions) {
	fs.SetInterspersed(false)
	fs.StringVar(&o.name, "name", "", "Assign a name to the container")
	command.StringListVarP(fs, &o.env, "env", "e", "Set environment variables")
	command.StringListVar(fs, &o.envFiles, "env-file", "Read in a file of environment variables")
	command.StringListVarP(fs, &o.labels, "label", "l", "Set meta data on a container")
	fs.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	fs.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	fs.StringVar(&o.network, "network", "", "Connect a container to a network")
	fs.StringVar(&o.network, "net", "", "Connect a container to a network")
	_ = fs.MarkHidden("net")
	fs.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	fs.StringVar(&o.runtime, "runtime", "", "Runtime to use for this container")
	fs.StringVar(&o.pull, "pull", pullMissing, `Pull image before running ("always", "missing", "never")`)
	fs.StringVarP(&o.memory, "memory", "m", "", "Memory limit")
	command.StringListVar(fs, &o.capAdd, "cap-add", "Add Linux capabilities")
	command.StringListVar(fs, &o.capDrop, "cap-drop", "Drop Linux capabilities")
	fs.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	fs.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	fs.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	fs.BoolVarP(&o.interact, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.BoolVar(&o.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	addResourceFlags(fs, &o.res)
	addPolicyFlags(fs, &o.policy)
	addMountFlags(fs, &o.mounts)
	addNetFlags(fs, &o.net)
}

// Pull policies of --pull.
const (
	pullAlways  = "always"
	pullMissing = "missing"
	pullNever   = "never"
)

// createRequest is what ContainerCreate needs, built from flags.
type createRequest struct {
	config     *container.Config
	hostConfig *container.HostConfig
	netConfig  *network.NetworkingConfig
	platform   *ocispec.Platform
}

// parse turns flags and the IMAGE [COMMAND] [ARG...] arguments into a create
// request; attach says which streams a foreground run attaches.
func (o *createOptions) parse(args []string, attach attachStreams, lookupEnv func(string) (string, bool)) (createRequest, error) {
	if err := o.validate(); err != nil {
		return createRequest{}, err
	}
	env, err := o.environment(lookupEnv)
	if err != nil {
		return createRequest{}, err
	}
	hc, err := o.hostConfig()
	if err != nil {
		return createRequest{}, err
	}
	platform, err := parsePlatform(o.platform)
	if err != nil {
		return createRequest{}, err
	}
	cfg := &container.Config{
		Image:        args[0],
		Cmd:          args[1:],
		Env:          env,
		Labels:       parseLabels(o.labels),
		WorkingDir:   o.workdir,
		User:         o.user,
		Hostname:     o.hostname,
		Tty:          o.tty,
		OpenStdin:    o.interact,
		AttachStdin:  attach.stdin,
		AttachStdout: attach.stdout,
		AttachStderr: attach.stderr,
		StdinOnce:    o.interact && attach.stdin,
	}
	if len(cfg.Cmd) == 0 {
		cfg.Cmd = nil
	}
	if cfg.Healthcheck, err = o.policy.healthcheck(); err != nil {
		return createRequest{}, err
	}
	if o.entrypointSet {
		cfg.Entrypoint = []string{o.entrypoint}
	}
	nc := o.networking()
	if err := o.net.apply(cfg, hc, nc, o.networkMode()); err != nil {
		return createRequest{}, err
	}
	return createRequest{config: cfg, hostConfig: hc, netConfig: nc, platform: platform}, nil
}

func (o *createOptions) validate() error {
	switch o.pull {
	case pullAlways, pullMissing, pullNever:
		return nil
	}
	return command.InvalidArgument("invalid pull option: '%s': must be one of %q, %q or %q",
		o.pull, pullAlways, pullMissing, pullNever)
}

func (o *createOptions) hostConfig() (*container.HostConfig, error) {
	hc := &container.HostConfig{
		AutoRemove:     o.autoRemove,
		NetworkMode:    container.NetworkMode(o.networkMode()),
		Privileged:     o.privileged,
		ReadonlyRootfs: o.readOnly,
		CapAdd:         o.capAdd,
		CapDrop:        o.capDrop,
		Runtime:        o.runtime,
	}
	if o.init {
		t := true
		hc.Init = &t
	}
	if o.memory != "" {
		m, err := units.RAMInBytes(o.memory)
		if err != nil {
			return nil, command.InvalidArgument("invalid argument %q for \"-m, --memory\" flag: %v", o.memory, err)
		}
		hc.Memory = m
	}
	if err := o.res.apply(hc); err != nil {
		return nil, err
	}
	if err := o.mounts.apply(hc); err != nil {
		return nil, err
	}
	rp, err := o.policy.restartPolicy(o.autoRemove)
	if err != nil {
		return nil, err
	}
	hc.RestartPolicy = rp
	return hc, nil
}

func (o *createOptions) networkMode() string {
	if o.network == "" {
		return "default"
	}
	return o.network
}

// networking names the user-defined network's endpoint, as docker does, so
// the daemon attaches the container to it at creation.
func (o *createOptions) networking() *network.NetworkingConfig {
	switch mode := container.NetworkMode(o.networkMode()); {
	case mode.IsUserDefined() && !mode.IsContainer():
		return &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{string(mode): {}}}
	default:
		return &network.NetworkingConfig{}
	}
}

func parsePlatform(s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return nil, command.InvalidArgument("invalid platform %q", s)
	}
	p := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}

// parseLabels turns "k=v" and bare "k" (empty value) into a map.
func parseLabels(labels []string) map[string]string {
	if len(labels) == 0 {
		return map[string]string{}
	}
	m := make(map[string]string, len(labels))
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}

// environment merges --env-file (first, in order) and -e values. A bare
// "NAME" takes the value from the client's environment; from -e it is kept
// bare (unset in the container) when the client does not have it, from a
// file it is dropped.
func (o *createOptions) environment(lookupEnv func(string) (string, bool)) ([]string, error) {
	var env []string
	for _, f := range o.envFiles {
		vars, err := parseEnvFile(f, lookupEnv)
		if err != nil {
			return nil, err
		}
		env = append(env, vars...)
	}
	for _, e := range o.env {
		v, err := envValue(e, lookupEnv)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	return env, nil
}

func envValue(e string, lookupEnv func(string) (string, bool)) (string, error) {
	k, _, hasValue := strings.Cut(e, "=")
	if k == "" {
		return "", command.InvalidArgument("invalid environment variable: %s", e)
	}
	if hasValue {
		return e, nil
	}
	if v, ok := lookupEnv(e); ok {
		return e + "=" + v, nil
	}
	return e, nil
}

// parseEnvFile reads docker's env-file format: one VAR=value per line,
// '#' comments and blank lines ignored, no quote processing.
func parseEnvFile(path string, lookupEnv func(string) (string, bool)) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseEnvLines(path, data, lookupEnv)
}

func parseEnvLines(path string, data []byte, lookupEnv func(string) (string, bool)) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !utf8.ValidString(line) {
			return nil, command.InvalidArgument("env file %s contains invalid utf8 bytes at line %d", path, n)
		}
		line = strings.TrimLeftFunc(line, unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, hasValue := strings.Cut(line, "=")
		if k == "" {
			return nil, command.InvalidArgument("invalid env file (%s): no variable name on line '%s'", path, line)
		}
		if strings.ContainsFunc(k, unicode.IsSpace) {
			return nil, command.InvalidArgument("invalid env file (%s): variable '%s' contains whitespaces", path, k)
		}
		if hasValue {
			out = append(out, k+"="+v)
		} else if val, ok := lookupEnv(k); ok {
			out = append(out, k+"="+val)
		}
	}
	return out, sc.Err()
}
