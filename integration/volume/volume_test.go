package volume

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVolumeCommands covers docker volume create/ls/inspect/rm/prune.
func TestVolumeCommands(t *testing.T) {
	e := newEnv(t)
	t.Run("create inspect ls rm", func(t *testing.T) {
		if out := e.ok(t, "volume", "create", "--label", "team=a", "v1"); out != "v1\n" {
			t.Fatalf("create printed %q", out)
		}
		e.ok(t, "volume", "create", "v2")
		var vols []struct {
			Name, Driver, Mountpoint, Scope string
			Labels                          map[string]string
		}
		if err := json.Unmarshal([]byte(e.ok(t, "volume", "inspect", "v1")), &vols); err != nil || len(vols) != 1 {
			t.Fatalf("inspect: %v %v", vols, err)
		}
		v := vols[0]
		if v.Name != "v1" || v.Driver != "local" || v.Scope != "local" || v.Labels["team"] != "a" || !strings.HasSuffix(v.Mountpoint, "/volumes/v1/_data") {
			t.Fatalf("inspect %+v", v)
		}
		if fi, err := os.Stat(v.Mountpoint); err != nil || !fi.IsDir() {
			t.Fatalf("mountpoint: %v", err)
		}
		if out := e.ok(t, "volume", "ls", "-q", "--filter", "label=team=a"); out != "v1\n" {
			t.Fatalf("ls label filter: %q", out)
		}
		if out := e.ok(t, "volume", "ls", "-q", "--filter", "name=v2"); out != "v2\n" {
			t.Fatalf("ls name filter: %q", out)
		}
		e.ok(t, "volume", "rm", "v1", "v2")
		if _, err := os.Stat(v.Mountpoint); !os.IsNotExist(err) {
			t.Fatalf("volume dir left: %v", err)
		}
		e.fails(t, "no such volume", "volume", "inspect", "v1")
		e.fails(t, "no such volume", "volume", "rm", "v1")
		e.ok(t, "volume", "rm", "-f", "v1")
	})
	t.Run("bad input", func(t *testing.T) {
		e.fails(t, "includes invalid characters", "volume", "create", "a/b")
		e.fails(t, "invalid option", "volume", "create", "-o", "bogus=1", "bad1")
		e.fails(t, "not found", "volume", "create", "-d", "nosuchdriver", "bad2")
	})
	t.Run("in use", func(t *testing.T) {
		id := strings.TrimSpace(e.ok(t, "create", "-v", "busy:/data", "busybox", "true"))
		e.fails(t, "volume is in use - ["+id+"]", "volume", "rm", "busy")
		if out := e.ok(t, "volume", "ls", "-q", "--filter", "dangling=false"); !strings.Contains(out, "busy\n") {
			t.Fatalf("dangling=false: %q", out)
		}
		e.ok(t, "rm", id)
		if out := e.ok(t, "volume", "ls", "-q", "--filter", "dangling=true"); !strings.Contains(out, "busy\n") {
			t.Fatalf("dangling=true: %q", out)
		}
		e.ok(t, "volume", "rm", "busy")
	})
	t.Run("force", func(t *testing.T) {
		id := strings.TrimSpace(e.ok(t, "run", "-d", "-v", "forced:/data", "busybox", "sleep", "60"))
		e.fails(t, "volume is in use", "volume", "rm", "-f", "forced")
		e.ok(t, "rm", "-f", id)
		id = strings.TrimSpace(e.ok(t, "create", "-v", "forced:/data", "busybox", "ls", "/data"))
		e.ok(t, "volume", "rm", "-f", "forced") // its only user is stopped
		e.ok(t, "start", "-a", id)              // the volume comes back empty
		if out := e.ok(t, "volume", "ls", "-q", "--filter", "name=forced"); out != "forced\n" {
			t.Fatalf("volume not recreated at start: %q", out)
		}
		e.ok(t, "rm", "-v", id)
		e.ok(t, "volume", "rm", "forced")
		e.fails(t, "not found", "run", "--rm", "--mount", "type=volume,src=xy,dst=/x,volume-driver=nosuch", "busybox", "true")
	})
	t.Run("prune", func(t *testing.T) {
		e.ok(t, "volume", "create", "keepme")
		id := strings.TrimSpace(e.ok(t, "create", "-v", "/anon", "busybox", "true"))
		anon := strings.TrimSpace(e.ok(t, "inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", id))
		if len(anon) != 64 {
			t.Fatalf("anonymous volume name %q", anon)
		}
		out := e.ok(t, "volume", "prune", "-f")
		if strings.Contains(out, anon) || strings.Contains(out, "keepme") {
			t.Fatalf("pruned a used or named volume: %q", out)
		}
		e.ok(t, "rm", id)
		out = e.ok(t, "volume", "prune", "-f")
		if !strings.Contains(out, anon) || strings.Contains(out, "keepme") {
			t.Fatalf("prune (anonymous only): %q", out)
		}
		out = e.ok(t, "volume", "prune", "-af")
		if !strings.Contains(out, "keepme") {
			t.Fatalf("prune -a: %q", out)
		}
		if out := e.ok(t, "volume", "ls", "-q"); out != "" {
			t.Fatalf("volumes left: %q", out)
		}
	})
	t.Run("tmpfs volume mounted while used", func(t *testing.T) {
		e.ok(t, "volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "tv")
		out := e.ok(t, "run", "--rm", "-v", "tv:/data", "busybox", "sh", "-c", "grep ' /data ' /proc/mounts; echo x > /data/f")
		if !strings.Contains(out, "tmpfs /data tmpfs") || !strings.Contains(out, "size=2048k") {
			t.Fatalf("mounts: %q", out)
		}
		mp := strings.TrimSpace(e.ok(t, "volume", "inspect", "-f", "{{.Mountpoint}}", "tv"))
		waitFor(t, func() bool {
			data, _ := os.ReadFile("/proc/self/mountinfo")
			return !strings.Contains(string(data), " "+mp+" ")
		})
		if _, err := os.Stat(filepath.Join(mp, "f")); !os.IsNotExist(err) {
			t.Fatalf("tmpfs content survived unmount: %v", err)
		}
		e.ok(t, "volume", "rm", "tv")
	})
}

// TestVolumeEvents checks docker events for volumes.
func TestVolumeEvents(t *testing.T) {
	e := newEnv(t)
	since := stamp()
	e.ok(t, "volume", "create", "ev")
	e.ok(t, "run", "--name", "evc", "-v", "ev:/data", "busybox", "true")
	e.ok(t, "rm", "evc") // waits for the exit's release (unmount)
	e.ok(t, "volume", "rm", "ev")
	time.Sleep(10 * time.Millisecond)
	out := e.ok(t, "events", "--since", since, "--until", stamp(), "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}")
	for _, want := range []string{"create ev", "mount ev", "unmount ev", "destroy ev"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("events missing %q:\n%s", want, out)
		}
	}
}

func stamp() string { return strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 9, 64) }
