package network

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestBuildHosts(t *testing.T) {
	const head = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
		"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
	tests := []struct {
		name     string
		hostname string
		ip       net.IP
		extra    []string
		want     string
	}{
		{"no ip", "abc", nil, nil, head},
		{"bridge", "abc", net.ParseIP("172.18.0.2"), nil, head + "172.18.0.2\tabc\n"},
		{"fqdn", "web.example.org", net.ParseIP("172.18.0.3"), nil, head + "172.18.0.3\tweb.example.org web\n"},
		{"extra", "abc", net.ParseIP("172.18.0.2"), []string{"db:10.0.0.5", "v6:fd00::1", "bad"},
			head + "10.0.0.5\tdb\nfd00::1\tv6\n172.18.0.2\tabc\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(BuildHosts(tt.hostname, tt.ip, tt.extra)); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestBuildResolvConf(t *testing.T) {
	systemdResolvConf = filepath.Join(t.TempDir(), "absent")
	t.Cleanup(func() { systemdResolvConf = SystemdResolvConf })
	tests := []struct {
		name, host string
		hostNet    bool
		want       string
	}{
		{"plain", "nameserver 10.0.0.53\nsearch example.org\noptions ndots:2\n", false,
			"nameserver 10.0.0.53\nsearch example.org\noptions ndots:2\n"},
		{"drops loopback and v6", "# hi\nnameserver 127.0.0.1\nnameserver fd00::53\nnameserver 1.1.1.1\nsearch a b\n", false,
			"# hi\nnameserver 1.1.1.1\nsearch a b\n"},
		{"fallback", "nameserver 127.0.0.11\noptions edns0\n", false,
			"options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
		{"empty", "", false, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
		{"host network as is", "nameserver 127.0.0.53\n", true, "nameserver 127.0.0.53\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "resolv.conf")
			if err := os.WriteFile(p, []byte(tt.host), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := BuildResolvConf(p, tt.hostNet)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestBuildResolvConfMissingHostFile(t *testing.T) {
	got, err := BuildResolvConf(filepath.Join(t.TempDir(), "nope"), false)
	if err != nil || string(got) != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := BuildResolvConf(filepath.Join(t.TempDir(), "nope"), true); err == nil {
		t.Fatal("host network with a missing host file must fail")
	}
}

func TestBuildResolvConfSystemdStub(t *testing.T) {
	dir := t.TempDir()
	systemdResolvConf = filepath.Join(dir, "upstream")
	t.Cleanup(func() { systemdResolvConf = SystemdResolvConf })
	stub := filepath.Join(dir, "stub")
	if err := os.WriteFile(stub, []byte("nameserver 127.0.0.53\nsearch lan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(systemdResolvConf, []byte("nameserver 192.0.2.53\nsearch lan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := BuildResolvConf(stub, false)
	if err != nil || string(got) != "nameserver 192.0.2.53\nsearch lan\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}
