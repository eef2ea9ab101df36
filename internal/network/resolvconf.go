package network

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
)

// SystemdResolvConf is the upstream resolver list systemd-resolved keeps
// when /etc/resolv.conf points at its 127.0.0.53 stub.
const SystemdResolvConf = "/run/systemd/resolve/resolv.conf"

// systemdResolvConf is SystemdResolvConf; tests point it elsewhere.
var systemdResolvConf = SystemdResolvConf

// fallbackNameservers are Docker's defaults when the host has none usable.
var fallbackNameservers = []string{"8.8.8.8", "8.8.4.4"}

// BuildResolvConf derives a container's resolv.conf from the host's file at
// hostPath. With hostNetwork the host file is returned as is. Otherwise
// loopback nameservers (unreachable from a container's netns) and IPv6 ones
// (the bridge is IPv4-only, as Docker's default) are dropped; when the host
// lists only loopback servers, SystemdResolvConf is tried first; when none
// remain, Docker's fallback 8.8.8.8 and 8.8.4.4 are used. All other lines
// (search, domain, options, comments) are kept.
func BuildResolvConf(hostPath string, hostNetwork bool) ([]byte, error) {
	data, err := os.ReadFile(hostPath)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && !hostNetwork) {
		return nil, fmt.Errorf("read host resolv.conf: %w", err)
	}
	if hostNetwork {
		return data, nil
	}
	if onlyLoopback(data) {
		if alt, err := os.ReadFile(systemdResolvConf); err == nil {
			data = alt
		}
	}
	return filterResolvConf(data), nil
}

// filterResolvConf drops unusable nameservers and adds the fallback.
func filterResolvConf(data []byte) []byte {
	var b bytes.Buffer
	kept := 0
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		ns, isNS := nameserver(line)
		if isNS && !usableNameserver(ns) {
			continue
		}
		if isNS {
			kept++
		}
		if line != "" || b.Len() > 0 {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	if kept == 0 {
		for _, ns := range fallbackNameservers {
			b.WriteString("nameserver " + ns + "\n")
		}
	}
	return b.Bytes()
}

// nameserver returns the address of a "nameserver <ip>" line.
func nameserver(line string) (net.IP, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "nameserver" {
		return nil, false
	}
	host, _, _ := strings.Cut(f[1], "%") // fe80::1%eth0
	return net.ParseIP(host), true
}

func usableNameserver(ip net.IP) bool {
	return ip != nil && !ip.IsLoopback() && ip.To4() != nil
}

// onlyLoopback reports whether data names nameservers and all are loopback.
func onlyLoopback(data []byte) bool {
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		ip, ok := nameserver(line)
		if !ok {
			continue
		}
		if ip == nil || !ip.IsLoopback() {
			return false
		}
		n++
	}
	return n > 0
}
