package manager

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// dnsTTL is the TTL of the answers for container names (Docker's 600).
const dnsTTL = 600

// dnsServer is one network's resolver on its gateway address, UDP and TCP.
type dnsServer struct {
	udp, tcp *dns.Server
}

// startDNS listens on the network's gateway (IP_FREEBIND: the bridge may
// have no carrier yet) and serves until close.
func (m *Manager) startDNS(n *userNet) (*dnsServer, error) {
	addr := net.JoinHostPort(n.br.Gateway().String(), strconv.Itoa(m.cfg.DNSPort))
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1) })
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("embedded DNS on %s: %w", addr, err)
	}
	l, err := lc.Listen(context.Background(), "tcp4", addr)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("embedded DNS on %s: %w", addr, err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) { m.serveDNS(n, w, r) })
	s := &dnsServer{udp: &dns.Server{PacketConn: pc, Handler: h}, tcp: &dns.Server{Listener: l, Handler: h}}
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	return s, nil
}

func (s *dnsServer) close() {
	if s == nil {
		return
	}
	// Bounded: a handler may wait for the manager's lock, which the caller
	// can hold (network rm).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.udp.ShutdownContext(ctx)
	_ = s.tcp.ShutdownContext(ctx)
	// Shutdown stops a started server only; close the sockets anyway.
	if s.udp.PacketConn != nil {
		s.udp.PacketConn.Close()
	}
	if s.tcp.Listener != nil {
		s.tcp.Listener.Close()
	}
}

func (m *Manager) serveDNS(n *userNet, w dns.ResponseWriter, r *dns.Msg) {
	defer w.Close()
	if len(r.Question) == 1 && r.Question[0].Qclass == dns.ClassINET {
		q := r.Question[0]
		if ips, ips6 := m.resolve(n, remoteIP(w), strings.TrimSuffix(strings.ToLower(q.Name), ".")); ips != nil {
			resp := new(dns.Msg)
			resp.SetReply(r)
			resp.RecursionAvailable = true
			hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: dnsTTL}
			switch q.Qtype {
			case dns.TypeA:
				for _, ip := range ips {
					resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: ip})
				}
			case dns.TypeAAAA:
				for _, ip := range ips6 {
					resp.Answer = append(resp.Answer, &dns.AAAA{Hdr: hdr, AAAA: ip})
				}
			}
			_ = w.WriteMsg(resp)
			return
		}
	}
	_ = w.WriteMsg(m.forward(r, w.RemoteAddr().Network()))
}

func remoteIP(w dns.ResponseWriter) string {
	switch a := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		return a.IP.String()
	case *net.TCPAddr:
		return a.IP.String()
	}
	return ""
}

// resolve looks name up among the containers of the querier's networks
// (the querier is found by its address on n), n first. Names are
// container names, aliases and 12-character IDs, alone or followed by
// ".<network name>". It returns the IPv4 and IPv6 addresses of the
// matches; nil IPv4 addresses: not ours.
func (m *Manager) resolve(n *userNet, src, name string) (ips, ips6 []net.IP) {
	m.mu.Lock()
	defer m.mu.Unlock()
	nets := []*userNet{n}
	var self string
	for id, ep := range n.rec.Endpoints {
		if ep.IP == src || ep.IP6 != "" && ep.IP6 == src {
			self = id
		}
	}
	if self != "" {
		for _, o := range m.sorted() {
			if ep, ok := o.rec.Endpoints[self]; ok && ep.IP != "" && o != n {
				nets = append(nets, o)
			}
		}
	}
	for _, o := range nets {
		short := strings.TrimSuffix(name, "."+strings.ToLower(o.rec.Name)) // name.network
		for id, ep := range o.rec.Endpoints {
			if ep.IP != "" && (endpointNamed(id, ep, name) || short != name && endpointNamed(id, ep, short)) {
				ips = append(ips, net.ParseIP(ep.IP).To4())
				if ep.IP6 != "" {
					ips6 = append(ips6, net.ParseIP(ep.IP6))
				}
			}
		}
		if len(ips) > 0 {
			byString := func(a, b net.IP) int { return strings.Compare(a.String(), b.String()) }
			slices.SortFunc(ips, byString)
			slices.SortFunc(ips6, byString)
			return ips, ips6
		}
	}
	return nil, nil
}

func endpointNamed(id string, ep *EndpointRecord, name string) bool {
	if strings.EqualFold(ep.Name, name) || (len(id) >= 12 && id[:12] == name) {
		return true
	}
	return slices.ContainsFunc(ep.Aliases, func(a string) bool { return strings.EqualFold(a, name) })
}

// forward sends r to the host's nameservers in turn (TCP when the UDP
// answer is truncated) and returns the first answer, or SERVFAIL.
func (m *Manager) forward(r *dns.Msg, proto string) *dns.Msg {
	for _, ns := range hostNameservers(m.cfg.HostResolvConf) {
		c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
		if proto == "tcp" {
			c.Net = "tcp"
		}
		addr := net.JoinHostPort(ns, "53")
		resp, _, err := c.Exchange(r, addr)
		if err == nil && resp.Truncated && c.Net == "udp" {
			c.Net = "tcp"
			resp, _, err = c.Exchange(r, addr)
		}
		if err == nil {
			return resp
		}
	}
	fail := new(dns.Msg)
	fail.SetRcode(r, dns.RcodeServerFailure)
	return fail
}

// hostNameservers are the nameserver lines of the host's resolv.conf (the
// daemon runs in the host's netns, so loopback resolvers work too).
func hostNameservers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" && net.ParseIP(fields[1]) != nil {
			out = append(out, fields[1])
		}
	}
	return out
}
