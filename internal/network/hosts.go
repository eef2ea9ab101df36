package network

import (
	"bytes"
	"net"
	"strings"
)

// defaultHosts are the entries Docker writes at the top of every /etc/hosts.
var defaultHosts = []struct{ ip, names string }{
	{"127.0.0.1", "localhost"},
	{"::1", "localhost ip6-localhost ip6-loopback"},
	{"fe00::0", "ip6-localnet"},
	{"ff00::0", "ip6-mcastprefix"},
	{"ff02::1", "ip6-allnodes"},
	{"ff02::2", "ip6-allrouters"},
}

// BuildHosts returns the /etc/hosts content Docker writes: the localhost and
// IPv6 entries, then extra (Docker's ExtraHosts, "name:ip"; the ip may be
// IPv6 and is everything after the first colon), then "<ip>\t<hostname>"
// when ip is set. An FQDN hostname also gets its short name.
func BuildHosts(hostname string, ip net.IP, extra []string) []byte {
	var b bytes.Buffer
	for _, h := range defaultHosts {
		writeHost(&b, h.ip, h.names)
	}
	for _, e := range extra {
		name, addr, ok := strings.Cut(e, ":")
		if !ok || name == "" || addr == "" {
			continue
		}
		writeHost(&b, strings.Trim(addr, "[]"), name)
	}
	if ip != nil && hostname != "" {
		names := hostname
		if short, _, ok := strings.Cut(hostname, "."); ok && short != "" {
			names += " " + short
		}
		writeHost(&b, ip.String(), names)
	}
	return b.Bytes()
}

func writeHost(b *bytes.Buffer, ip, names string) {
	b.WriteString(ip)
	b.WriteByte('\t')
	b.WriteString(names)
	b.WriteByte('\n')
}
