package container

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-engine/berth/internal/metadata"
)

// TestRestoreAdoptsStartedCreated: a start is answered before its
// "running" record is written; a daemon killed in between leaves the record
// "created" while the container runs. The next daemon adopts it through its
// shim: running, same pid, and stop works.
func TestRestoreAdoptsStartedCreated(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	docker := func(args ...string) string {
		t.Helper()
		out, e, code := d.Run(t, "", dockerCLI, args...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, e)
		}
		return strings.TrimSpace(out)
	}
	docker("run", "-d", "--name", "sleeper", "busybox", "sleep", "1000")
	id := docker("inspect", "-f", "{{.Id}}", "sleeper")
	pid := docker("inspect", "-f", "{{.State.Pid}}", "sleeper")
	d.Kill(t)

	// Roll the record back to what the create wrote.
	db, err := metadata.Open(filepath.Join(d.Root, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *metadata.Tx) error {
		raw, err := tx.GetRaw("containers", id)
		if err != nil {
			return err
		}
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		rec["State"] = map[string]any{"Status": "created"}
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return tx.PutRaw("containers", id, data)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	d.Start(t)
	if got := docker("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "sleeper"); got != "running "+pid {
		t.Fatalf("after restart: %q, want running %s", got, pid)
	}
	docker("stop", "-t", "1", "sleeper")
	if got := docker("inspect", "-f", "{{.State.Status}}", "sleeper"); got != "exited" {
		t.Fatalf("after stop: %q", got)
	}
	docker("rm", "sleeper")
}
