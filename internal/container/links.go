package container

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
)

// link is one --link name:alias, resolved against a running container.
type link struct {
	alias  string
	target *Container
	ip     string
}

// parseLink splits "name:alias" (the docker CLI's form) or the daemon's
// "/name:/self/alias"; the alias defaults to the name.
func parseLink(s string) (name, alias string) {
	name, alias, ok := strings.Cut(s, ":")
	name = strings.TrimPrefix(name, "/")
	if !ok {
		return name, name
	}
	if i := strings.LastIndex(alias, "/"); i >= 0 {
		alias = alias[i+1:]
	}
	return name, alias
}

// checkLinks refuses links to containers that do not exist (at create).
func (s *Service) checkLinks(links []string) error {
	for _, l := range links {
		name, _ := parseLink(l)
		if _, err := s.store.get(name); err != nil {
			return fmt.Errorf("could not get container for %s: %w", name, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// resolveLinks finds the running containers c links to (legacy links work
// on the default bridge only, as in Docker; elsewhere they are ignored).
func (s *Service) resolveLinks(c *Container) ([]link, error) {
	if !isDefaultBridge(c.HostConfig.NetworkMode) {
		return nil, nil
	}
	var out []link
	for _, l := range c.HostConfig.Links {
		name, alias := parseLink(l)
		t, err := s.store.get(name)
		if err != nil {
			return nil, fmt.Errorf("could not get container for %s: %w", name, errdefs.ErrInvalidArgument)
		}
		ep := t.network()
		if !t.snapshot().Running() || ep == nil {
			return nil, fmt.Errorf("cannot link to a non running container: /%s AS /%s/%s: %w", t.name(), c.name(), alias, errdefs.ErrConflict)
		}
		out = append(out, link{alias: alias, target: t, ip: ep.IP})
	}
	return out, nil
}

// linkHosts are the /etc/hosts entries of c's links: alias, short ID and
// name of each target.
func (s *Service) linkHosts(c *Container) []string {
	links, _ := s.resolveLinks(c)
	var out []string
	for _, l := range links {
		for _, name := range []string{l.alias, ShortID(l.target.ID), l.target.name()} {
			out = append(out, name+":"+l.ip)
		}
	}
	return out
}

// linkEnv is Docker's legacy link environment: <ALIAS>_NAME,
// <ALIAS>_PORT[_<port>_<PROTO>[_ADDR|_PORT|_PROTO]] for the target's
// exposed ports, and <ALIAS>_ENV_<VAR> for its environment.
func (s *Service) linkEnv(c *Container) []string {
	links, _ := s.resolveLinks(c)
	var env []string
	for _, l := range links {
		p := envPrefix(l.alias)
		env = append(env, fmt.Sprintf("%s_NAME=/%s/%s", p, c.name(), l.alias))
		ports := sortedPorts(l.target.Config.ExposedPorts)
		if len(ports) > 0 {
			env = append(env, fmt.Sprintf("%s_PORT=%s://%s:%d", p, ports[0].Proto(), l.ip, ports[0].Num()))
		}
		for _, port := range ports {
			env = append(env, portEnv(p, l.ip, port)...)
		}
		for _, kv := range l.target.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			if k != "HOME" && k != "PATH" && k != "HOSTNAME" {
				env = append(env, fmt.Sprintf("%s_ENV_%s=%s", p, k, v))
			}
		}
	}
	return env
}

func portEnv(prefix, ip string, port network.Port) []string {
	proto := string(port.Proto())
	key := fmt.Sprintf("%s_PORT_%d_%s", prefix, port.Num(), strings.ToUpper(proto))
	num := strconv.Itoa(int(port.Num()))
	return []string{
		fmt.Sprintf("%s=%s://%s:%s", key, proto, ip, num),
		key + "_ADDR=" + ip,
		key + "_PORT=" + num,
		key + "_PROTO=" + proto,
	}
}

// envPrefix is the alias in upper case with other characters as "_".
func envPrefix(alias string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, alias)
}

// joinContainerNetwork is --network container:<name>: c uses the running
// target's network namespace and a copy of its hosts and resolv.conf.
func (s *Service) joinContainerNetwork(c *Container) (string, error) {
	t, err := s.store.get(c.HostConfig.NetworkMode.ConnectedContainer())
	if err != nil {
		return "", err
	}
	ep := t.network()
	if !t.snapshot().Running() || ep == nil {
		return "", fmt.Errorf("cannot join network of a non running container: %s: %w", t.name(), errdefs.ErrConflict)
	}
	if err := s.writeHostFiles(c, nil); err != nil {
		return "", err
	}
	for src, dst := range map[string]string{t.HostsPath: c.HostsPath, t.ResolvPath: c.ResolvPath} {
		if b, err := os.ReadFile(src); err == nil {
			if err := atomicfile.Replace(dst, b, 0o644); err != nil {
				return "", err
			}
		}
	}
	return ep.NetNSPath, nil
}
