// Package metadata is Berth's persistent record store, a bbolt database at
// <data-root>/meta.db. It stores small JSON records (containers, image
// references, layers, networks) and nothing large: blobs live in the content
// store and filesystems in the snapshotter.
//
// Bucket tree (schema version 1):
//
//	v1/
//	  containers/<container-id>  → container record (JSON)
//	  images/<image-id>          → image record (JSON)
//	  refs/<normalized-ref>      → image id (string)
//	  <other services>/<key>     → JSON owned by that service
//	meta/
//	  schema                     → "1"
//
// Every write is one bbolt transaction, so a crash leaves either the old or
// the new record. This package must not import any other Berth package.
package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/containerd/errdefs"
	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the version of the bucket layout this code writes.
const SchemaVersion = "1"

var (
	rootBucket = []byte("v" + SchemaVersion)
	metaBucket = []byte("meta")
)

// DB is the metadata database.
type DB struct {
	bolt *bolt.DB
}

// Open opens (creating if needed) the database at path. It fails fast
// instead of hanging when another daemon holds the file.
func Open(path string) (*DB, error) {
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open metadata %s: %w", path, err)
	}
	db := &DB{bolt: b}
	if err := db.migrate(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) migrate() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		if v := m.Get([]byte("schema")); v != nil && string(v) != SchemaVersion {
			return fmt.Errorf("metadata schema %q is newer than this berth understands (%s): %w", v, SchemaVersion, errdefs.ErrFailedPrecondition)
		}
		if _, err := tx.CreateBucketIfNotExists(rootBucket); err != nil {
			return err
		}
		return m.Put([]byte("schema"), []byte(SchemaVersion))
	})
}

// Close closes the database.
func (db *DB) Close() error { return db.bolt.Close() }

// Put stores v as JSON under bucket/key.
func (db *DB) Put(bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return db.Update(func(tx *Tx) error { return tx.PutRaw(bucket, key, data) })
}

// Get decodes bucket/key into v; errdefs.ErrNotFound when absent.
func (db *DB) Get(bucket, key string, v any) error {
	return db.View(func(tx *Tx) error { return tx.Get(bucket, key, v) })
}

// Delete removes bucket/key; deleting an absent key is not an error.
func (db *DB) Delete(bucket, key string) error {
	return db.Update(func(tx *Tx) error { return tx.Delete(bucket, key) })
}

// List calls fn for every key in bucket, in key order.
func (db *DB) List(bucket string, fn func(key string, raw []byte) error) error {
	return db.View(func(tx *Tx) error { return tx.List(bucket, fn) })
}

// Update runs fn in a read-write transaction.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(*Tx) error) error {
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Tx is a transaction over the versioned root bucket.
type Tx struct {
	tx *bolt.Tx
}

func (t *Tx) bucket(name string, create bool) (*bolt.Bucket, error) {
	root := t.tx.Bucket(rootBucket)
	if root == nil {
		return nil, errors.New("metadata: root bucket missing")
	}
	if b := root.Bucket([]byte(name)); b != nil || !create {
		return b, nil
	}
	return root.CreateBucket([]byte(name))
}

// Get decodes bucket/key into v.
func (t *Tx) Get(bucket, key string, v any) error {
	raw, err := t.GetRaw(bucket, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// GetRaw returns a copy of the stored bytes.
func (t *Tx) GetRaw(bucket, key string) ([]byte, error) {
	b, err := t.bucket(bucket, false)
	if err != nil {
		return nil, err
	}
	var raw []byte
	if b != nil {
		raw = b.Get([]byte(key))
	}
	if raw == nil {
		return nil, fmt.Errorf("%s/%s: %w", bucket, key, errdefs.ErrNotFound)
	}
	return append([]byte(nil), raw...), nil
}

// Put stores v as JSON.
func (t *Tx) Put(bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.PutRaw(bucket, key, data)
}

// PutRaw stores raw bytes.
func (t *Tx) PutRaw(bucket, key string, data []byte) error {
	b, err := t.bucket(bucket, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

// Delete removes bucket/key.
func (t *Tx) Delete(bucket, key string) error {
	b, err := t.bucket(bucket, false)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(key))
}

// List calls fn for each key in bucket in order.
func (t *Tx) List(bucket string, fn func(key string, raw []byte) error) error {
	b, err := t.bucket(bucket, false)
	if err != nil || b == nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		return fn(string(k), v)
	})
}
