package container

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/network"
	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	netapi "github.com/moby/moby/api/types/network"
)

// CreateOptions is the request to create a container.
type CreateOptions struct {
	Name       string
	Config     *ctr.Config
	HostConfig *ctr.HostConfig
	Networking *netapi.NetworkingConfig
}

// Create validates the request, merges the image's config, prepares the
// root filesystem and records the container. On error nothing is left.
func (s *Service) Create(ctx context.Context, opts CreateOptions) (_ *Container, retErr error) {
	cfg, hc := opts.Config, opts.HostConfig
	if cfg == nil {
		return nil, fmt.Errorf("config cannot be empty in order to create a container: %w", errdefs.ErrInvalidArgument)
	}
	if hc == nil {
		hc = &ctr.HostConfig{}
	}
	if err := validateHostConfig(hc); err != nil {
		return nil, err
	}
	if err := s.checkRuntime(hc); err != nil {
		return nil, err
	}
	if err := s.checkNetworkMode(ctx, cfg, hc); err != nil {
		return nil, err
	}
	if err := validatePolicies(cfg, hc); err != nil {
		return nil, err
	}
	warnings, err := checkRuntimeOptions(hc)
	if err != nil {
		return nil, err
	}
	if cfg.Image == "" {
		return nil, fmt.Errorf("no image specified: %w", errdefs.ErrInvalidArgument)
	}
	img, err := s.cfg.Images.Get(ctx, cfg.Image)
	if err != nil {
		return nil, err
	}
	cfg = mergeImageConfig(cfg, img)
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(args) == 0 {
		return nil, fmt.Errorf("no command specified: %w", errdefs.ErrInvalidArgument)
	}
	name := strings.TrimPrefix(opts.Name, "/")
	generated := name == ""
	if !generated {
		if err := validateName(name); err != nil {
			return nil, err
		}
	} else {
		name = generateName(s.store.nameTaken)
	}
	id := newID()
	if cfg.Hostname == "" {
		cfg.Hostname = id[:12]
		if hc.NetworkMode.IsHost() {
			cfg.Hostname, _ = os.Hostname()
		}
	}
	c := &Container{
		ID: id, Name: name, Created: time.Now().UTC(), Path: args[0], Args: args[1:],
		Config: cfg, HostConfig: hc, ImageID: img.ID.String(), ChainID: img.ChainID, ImageArch: img.Config.Architecture,
		Driver: s.cfg.RootFS.Name(),
		State:  State{Status: ctr.StateCreated}, Warnings: warnings,
	}
	if opts.Networking != nil {
		c.EndpointsConfig = opts.Networking.EndpointsConfig
	}
	c.init()
	dir := s.dataDir(id)
	c.LogPath = filepath.Join(dir, id+"-json.log")
	c.HostsPath = filepath.Join(dir, "hosts")
	c.ResolvPath = filepath.Join(dir, "resolv.conf")
	c.HostnamePath = filepath.Join(dir, "hostname")
	if err := os.MkdirAll(dir, 0o710); err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			_ = s.cfg.RootFS.Remove(context.WithoutCancel(ctx), id)
			_ = os.RemoveAll(dir)
		}
	}()
	if _, err := s.cfg.RootFS.Prepare(ctx, id, img.ChainID); err != nil {
		return nil, fmt.Errorf("prepare rootfs: %w", err)
	}
	if err := s.prepareMounts(ctx, c, img); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err := s.store.add(c)
		if err == nil {
			break
		}
		// A generated name can be taken by a create running beside this
		// one between its choice and its reservation: choose again.
		if !generated || !errdefs.IsConflict(err) || attempt == 10 {
			return nil, err
		}
		c.Name = generateName(s.store.nameTaken)
	}
	s.emit(c, events.ActionCreate, nil)
	return c, nil
}

func validateHostConfig(hc *ctr.HostConfig) error {
	if err := validatePortBindings(hc); err != nil {
		return err
	}
	if hc.ShmSize < 0 {
		return fmt.Errorf("SHM size can not be less than 0: %w", errdefs.ErrInvalidArgument)
	}
	switch hc.LogConfig.Type {
	case "", "json-file", "none":
	default:
		return fmt.Errorf("logging driver %q is not supported: %w", hc.LogConfig.Type, errdefs.ErrInvalidArgument)
	}
	return nil
}

// mergeImageConfig fills what the user left empty from the image, as
// Docker's daemon does at create time.
func mergeImageConfig(user *ctr.Config, img *image.Image) *ctr.Config {
	c := *user
	ic := img.Config.Config
	if len(c.Entrypoint) == 0 {
		if len(c.Cmd) == 0 {
			c.Cmd = ic.Cmd
		}
		if c.Entrypoint == nil {
			c.Entrypoint = ic.Entrypoint
		}
	}
	c.Env = mergeEnv(ic.Env, c.Env)
	c.ExposedPorts = mergeExposedPorts(c.ExposedPorts, ic.ExposedPorts)
	if c.WorkingDir == "" {
		c.WorkingDir = ic.WorkingDir
	}
	if c.User == "" {
		c.User = ic.User
	}
	if c.StopSignal == "" {
		c.StopSignal = ic.StopSignal
	}
	c.Healthcheck = mergeHealthcheck(c.Healthcheck, ic.Healthcheck)
	if len(ic.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range ic.Labels {
			labels[k] = v
		}
		for k, v := range c.Labels {
			labels[k] = v
		}
		c.Labels = labels
	}
	return &c
}

// mergeEnv overlays user entries on image entries by variable name.
func mergeEnv(image, user []string) []string {
	out := append([]string{}, image...)
	index := map[string]int{}
	for i, kv := range out {
		index[envKey(kv)] = i
	}
	for _, kv := range user {
		if i, ok := index[envKey(kv)]; ok {
			out[i] = kv
			continue
		}
		index[envKey(kv)] = len(out)
		out = append(out, kv)
	}
	return out
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

// writeHostFiles writes /etc/hostname, /etc/resolv.conf and /etc/hosts for
// the container at each start (as Docker does: they follow the host's
// resolver and the container's address). They are derived data, so they
// are replaced atomically but not fsynced.
func (s *Service) writeHostFiles(c *Container, ip []byte) error {
	if err := atomicfile.Replace(c.HostnamePath, []byte(c.Config.Hostname+"\n"), 0o644); err != nil {
		return err
	}
	host := c.HostConfig.NetworkMode.IsHost()
	resolv, err := network.BuildResolvConf("/etc/resolv.conf", host)
	if err != nil {
		return err
	}
	resolv = customResolvConf(c, resolv)
	if err := atomicfile.Replace(c.ResolvPath, resolv, 0o644); err != nil {
		return err
	}
	var hosts []byte
	if host {
		if hosts, err = os.ReadFile("/etc/hosts"); err != nil {
			return err
		}
	} else {
		hosts = network.BuildHosts(c.hostname(), ip, append(extraHosts(c), s.linkHosts(c)...))
	}
	return atomicfile.Replace(c.HostsPath, hosts, 0o644)
}

// rewriteHosts gives /etc/hosts the container's address, in place: the
// runtime bind-mounted the file already, and the container's process has
// not started.
func (s *Service) rewriteHosts(c *Container, ip net.IP) error {
	hosts := network.BuildHosts(c.hostname(), ip, append(extraHosts(c), s.linkHosts(c)...))
	return os.WriteFile(c.HostsPath, hosts, 0o644)
}

// hostname is the name /etc/hosts gives the container.
func (c *Container) hostname() string {
	if c.Config.Domainname != "" {
		return c.Config.Hostname + "." + c.Config.Domainname
	}
	return c.Config.Hostname
}
