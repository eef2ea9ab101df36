package metadata

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

func TestPutGetListDelete(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type rec struct{ N int }
	for i, k := range []string{"b", "a", "c"} {
		if err := db.Put("things", k, rec{i}); err != nil {
			t.Fatal(err)
		}
	}
	var r rec
	if err := db.Get("things", "c", &r); err != nil || r.N != 2 {
		t.Fatalf("get: %v %v", r, err)
	}
	var keys []string
	_ = db.List("things", func(k string, _ []byte) error { keys = append(keys, k); return nil })
	if len(keys) != 3 || keys[0] != "a" {
		t.Fatalf("list order: %v", keys)
	}
	if err := db.Delete("things", "a"); err != nil {
		t.Fatal(err)
	}
	if err := db.Get("things", "a", &r); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("want not found, got %v", err)
	}
	if err := db.Get("nobucket", "x", &r); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("want not found, got %v", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meta.db")
	db, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Put("x", "k", "v")
	db.Close()
	db, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	if err := db.Get("x", "k", &s); err != nil || s != "v" {
		t.Fatalf("%q %v", s, err)
	}
}
