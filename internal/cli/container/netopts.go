package container

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// netOptions are the networking flags of run and create.
type netOptions struct {
	publish, expose                  []string
	publishAll                       bool
	dns, dnsSearch, dnsOption, hosts []string
	aliases, links                   []string
	domainname, mac, ip              string
}

func addNetFlags(fs *pflag.FlagSet, o *netOptions) {
	command.StringListVarP(fs, &o.publish, "publish", "p", "Publish a container's port(s) to the host")
	fs.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	command.StringListVar(fs, &o.expose, "expose", "Expose a port or a range of ports")
	command.StringListVar(fs, &o.dns, "dns", "Set custom DNS servers")
	command.StringListVar(fs, &o.dnsSearch, "dns-search", "Set custom DNS search domains")
	command.StringListVar(fs, &o.dnsOption, "dns-option", "Set DNS options")
	command.StringListVar(fs, &o.hosts, "add-host", "Add a custom host-to-IP mapping (host:ip)")
	command.StringListVar(fs, &o.aliases, "network-alias", "Add network-scoped alias for the container")
	command.StringListVar(fs, &o.links, "link", "Add link to another container")
	fs.StringVar(&o.domainname, "domainname", "", "Container NIS domain name")
	fs.StringVar(&o.mac, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	fs.StringVar(&o.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
}

// apply puts the flags into the create request; mode is the network mode
// whose endpoint gets the aliases, address and MAC.
func (o *netOptions) apply(cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig, mode string) error {
	cfg.Domainname = o.domainname
	hc.PublishAllPorts, hc.DNSSearch, hc.DNSOptions, hc.ExtraHosts, hc.Links = o.publishAll, o.dnsSearch, o.dnsOption, o.hosts, o.links
	for _, s := range o.dns {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return command.InvalidArgument("%s is not an ip address", s)
		}
		hc.DNS = append(hc.DNS, a)
	}
	if err := o.ports(cfg, hc); err != nil {
		return err
	}
	return o.endpoint(nc, mode)
}

func (o *netOptions) ports(cfg *container.Config, hc *container.HostConfig) error {
	for _, e := range o.expose {
		ports, err := parsePortRange(e)
		if err != nil {
			return err
		}
		for _, p := range ports {
			addExposed(cfg, p)
		}
	}
	for _, spec := range o.publish {
		bindings, err := parsePublish(spec)
		if err != nil {
			return err
		}
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		for p, bs := range bindings {
			addExposed(cfg, p)
			hc.PortBindings[p] = append(hc.PortBindings[p], bs...)
		}
	}
	return nil
}

func addExposed(cfg *container.Config, p network.Port) {
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = network.PortSet{}
	}
	cfg.ExposedPorts[p] = struct{}{}
}

func (o *netOptions) endpoint(nc *network.NetworkingConfig, mode string) error {
	if len(o.aliases) == 0 && o.ip == "" && o.mac == "" {
		return nil
	}
	es := &network.EndpointSettings{Aliases: o.aliases}
	if o.ip != "" {
		a, err := netip.ParseAddr(o.ip)
		if err != nil || !a.Is4() {
			return command.InvalidArgument("invalid IPv4 address: %s", o.ip)
		}
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a}
	}
	if o.mac != "" {
		if err := es.MacAddress.UnmarshalText([]byte(o.mac)); err != nil {
			return command.InvalidArgument("invalid MAC address: %s", o.mac)
		}
	}
	if nc.EndpointsConfig == nil {
		nc.EndpointsConfig = map[string]*network.EndpointSettings{}
	}
	nc.EndpointsConfig[mode] = es
	return nil
}

// parsePublish parses -p [ip:][hostPort:]containerPort[/proto] with port
// ranges (equal lengths, or a host range for one container port).
func parsePublish(spec string) (network.PortMap, error) {
	bad := func() (network.PortMap, error) {
		return nil, command.InvalidArgument("invalid port specification: %q", spec)
	}
	rest, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	var ip, host, ctr string
	i := strings.LastIndex(rest, ":")
	ctr = rest[i+1:]
	if i >= 0 {
		rest = rest[:i]
		j := strings.LastIndex(rest, ":")
		host = rest[j+1:]
		if j >= 0 {
			ip = strings.TrimSuffix(strings.TrimPrefix(rest[:j], "["), "]")
		}
	}
	var hostIP netip.Addr
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return bad()
		}
		hostIP = a
	}
	ctrPorts, err := parsePortRange(ctr + "/" + proto)
	if err != nil {
		return bad()
	}
	out := network.PortMap{}
	hostLo, hostHi, err := portBounds(host)
	if err != nil {
		return bad()
	}
	switch {
	case host == "":
		for _, p := range ctrPorts {
			out[p] = []network.PortBinding{{HostIP: hostIP}}
		}
	case len(ctrPorts) == 1:
		out[ctrPorts[0]] = []network.PortBinding{{HostIP: hostIP, HostPort: host}}
	case int(hostHi-hostLo)+1 == len(ctrPorts):
		for k, p := range ctrPorts {
			out[p] = []network.PortBinding{{HostIP: hostIP, HostPort: strconv.Itoa(int(hostLo) + k)}}
		}
	default:
		return bad()
	}
	return out, nil
}

// parsePortRange parses "80", "80/udp" or "8000-8010/tcp".
func parsePortRange(s string) ([]network.Port, error) {
	r, err := network.ParsePortRange(s)
	if err != nil || r.Start() == 0 {
		return nil, command.InvalidArgument("invalid port specification: %q", s)
	}
	var out []network.Port
	for p := range r.All() {
		out = append(out, p)
	}
	return out, nil
}

func portBounds(s string) (uint16, uint16, error) {
	if s == "" {
		return 0, 0, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || a == 0 || b < a {
		return 0, 0, command.InvalidArgument("invalid host port %q", s)
	}
	return uint16(a), uint16(b), nil
}
