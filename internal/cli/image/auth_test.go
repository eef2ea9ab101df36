package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore":"","psFormat":"x","auths":{"http://old.example":{"auth":"YTpi"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if a := c.authFor("old.example"); a.Username != "a" || a.Password != "b" {
		t.Errorf("entry with scheme: %+v", a)
	}
	c.auths[serverKey("127.0.0.1:5000")] = authEntry{Auth: "dTpw"}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if !strings.Contains(string(data), `"psFormat": "x"`) || !strings.Contains(string(data), `"127.0.0.1:5000"`) {
		t.Errorf("config.json = %s", data)
	}
	c2, _ := loadConfig()
	if a := c2.authFor("127.0.0.1:5000"); a.Username != "u" || a.Password != "p" {
		t.Errorf("reloaded: %+v", a)
	}
	for in, want := range map[string]string{"": hubServer, "docker.io": hubServer, "https://index.docker.io/v1/": hubServer, "http://reg:5000/": "reg:5000"} {
		if got := serverKey(in); got != want {
			t.Errorf("serverKey(%q) = %q", in, got)
		}
	}
}
