package compose

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

const fullService = `
name: proj
services:
  web:
    image: busybox
    command: ["httpd", "-f"]
    entrypoint: ["/bin/sh", "-c"]
    environment: {A: "1"}
    ports: ["127.0.0.1:8080:80", "9000/udp"]
    expose: ["7000"]
    volumes: [data:/data, ./src:/src:ro, {type: tmpfs, target: /tmp, tmpfs: {size: 1048576}}]
    networks:
      front: {aliases: [www]}
      back: {}
    restart: on-failure:3
    healthcheck: {test: ["CMD", "true"], interval: 2s, retries: 4}
    user: "1000"
    working_dir: /w
    labels: {x: y}
    extra_hosts: ["h:1.2.3.4"]
    dns: [9.9.9.9]
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 64M}}}
networks: {front: {}, back: {}}
volumes: {data: {}}
`

func TestCreateOptions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": fullService})
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services["web"]
	o, extra, err := createOptions(p, s, 2, "h", false)
	if err != nil {
		t.Fatal(err)
	}
	cfg, hc := o.Config, o.HostConfig
	if o.Name != "proj-web-2" || cfg.Image != "busybox" || cfg.User != "1000" || cfg.WorkingDir != "/w" {
		t.Errorf("name/config: %s %+v", o.Name, cfg)
	}
	for k, v := range map[string]string{LabelProject: "proj", LabelService: "web", LabelNumber: "2", LabelOneoff: "False", LabelConfigHash: "h", "x": "y"} {
		if cfg.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, cfg.Labels[k], v)
		}
	}
	if !slices.Equal(cfg.Env, []string{"A=1"}) || !slices.Equal(cfg.Cmd, []string{"httpd", "-f"}) || !slices.Equal(cfg.Entrypoint, []string{"/bin/sh", "-c"}) {
		t.Errorf("env/cmd/entrypoint: %v %v %v", cfg.Env, cfg.Cmd, cfg.Entrypoint)
	}
	for _, port := range []string{"80/tcp", "9000/udp", "7000/tcp"} {
		if _, ok := cfg.ExposedPorts[network.MustParsePort(port)]; !ok {
			t.Errorf("port %s not exposed: %v", port, cfg.ExposedPorts)
		}
	}
	if b := hc.PortBindings[network.MustParsePort("80/tcp")]; len(b) != 1 || b[0].HostPort != "8080" || b[0].HostIP.String() != "127.0.0.1" {
		t.Errorf("bindings: %v", hc.PortBindings)
	}
	if hc.RestartPolicy != (container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}) {
		t.Errorf("restart %+v", hc.RestartPolicy)
	}
	if hc.Memory != 64<<20 || hc.NanoCPUs != 5e8 {
		t.Errorf("resources: %d %d", hc.Memory, hc.NanoCPUs)
	}
	if cfg.Healthcheck == nil || cfg.Healthcheck.Retries != 4 || cfg.Healthcheck.Interval.Seconds() != 2 {
		t.Errorf("healthcheck %+v", cfg.Healthcheck)
	}
	if !slices.Equal(hc.ExtraHosts, []string{"h:1.2.3.4"}) || len(hc.DNS) != 1 {
		t.Errorf("hosts/dns: %v %v", hc.ExtraHosts, hc.DNS)
	}
	wantMounts := map[string]mount.Type{"/data": mount.TypeVolume, "/src": mount.TypeBind, "/tmp": mount.TypeTmpfs}
	for _, m := range hc.Mounts {
		if wantMounts[m.Target] != m.Type {
			t.Errorf("mount %+v", m)
		}
		if m.Target == "/data" && m.Source != "proj_data" || m.Target == "/src" && (!m.ReadOnly || m.Source != filepath.Join(dir, "src")) {
			t.Errorf("mount %+v", m)
		}
	}
	if len(hc.Mounts) != 3 {
		t.Errorf("mounts %+v", hc.Mounts)
	}
	first := string(hc.NetworkMode)
	all := map[string]*network.EndpointSettings{first: o.NetworkingConfig.EndpointsConfig[first]}
	for k, v := range extra {
		all[k] = v
	}
	if len(all) != 2 || all["proj_front"] == nil || all["proj_back"] == nil {
		t.Fatalf("networks: %v", all)
	}
	if !slices.Equal(all["proj_front"].Aliases, []string{"proj-web-2", "web", "www"}) {
		t.Errorf("aliases %v", all["proj_front"].Aliases)
	}
}

func TestServiceHash(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": fullService})
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services["web"]
	h1, _ := ServiceHash(s)
	scaled := s
	scaled.SetScale(5)
	if h2, _ := ServiceHash(scaled); h2 != h1 {
		t.Error("scale changed the hash")
	}
	changed := s
	changed.User = "0"
	if h3, _ := ServiceHash(changed); h3 == h1 {
		t.Error("user change kept the hash")
	}
}
