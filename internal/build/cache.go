package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
)

const bucketCache = "buildcache"

// Cache maps a step's key to the image the step made.
type Cache interface {
	Lookup(key string) (digest.Digest, bool)
	// Store records a step's image, used now.
	Store(key string, id digest.Digest) error
	// Touch marks entries used now (once per build, for their hits).
	Touch(keys []string) error
	// Entries returns every key with its image and last use.
	Entries() (map[string]Entry, error)
	Forget(keys []string) error
}

// Entry is a cached step.
type Entry struct {
	ID   digest.Digest `json:"id"`
	Used time.Time     `json:"used"`
}

// boltCache keeps the cache in the metadata DB, so it survives restarts.
type boltCache struct{ db *metadata.DB }

// NewCache returns the build cache stored in db.
func NewCache(db *metadata.DB) Cache { return boltCache{db: db} }

func (c boltCache) Lookup(key string) (digest.Digest, bool) {
	var e Entry
	err := c.db.Get(bucketCache, key, &e)
	if errors.Is(err, errdefs.ErrNotFound) || err != nil {
		return "", false
	}
	return e.ID, true
}

func (c boltCache) Store(key string, id digest.Digest) error {
	return c.db.Put(bucketCache, key, Entry{ID: id, Used: time.Now().UTC()})
}

func (c boltCache) Touch(keys []string) error {
	now := time.Now().UTC()
	return c.db.Update(func(tx *metadata.Tx) error {
		for _, k := range keys {
			var e Entry
			if err := tx.Get(bucketCache, k, &e); err != nil {
				continue // forgotten meanwhile
			}
			e.Used = now
			if err := tx.Put(bucketCache, k, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c boltCache) Entries() (map[string]Entry, error) {
	out := map[string]Entry{}
	err := c.db.List(bucketCache, func(key string, raw []byte) error {
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil // not an entry this version wrote: ignore
		}
		out[key] = e
		return nil
	})
	return out, err
}

func (c boltCache) Forget(keys []string) error {
	return c.db.Update(func(tx *metadata.Tx) error {
		for _, k := range keys {
			if err := tx.Delete(bucketCache, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// cacheKey identifies a step as Docker's cache does: the parent image,
// the instruction (as recorded in the history), the config it yields and
// the checksum of the files it copies (contents and modes, not mtimes).
func cacheKey(parent digest.Digest, createdBy string, cfg dockerspec.DockerOCIImageConfig, sum string) string {
	raw, _ := json.Marshal(cfg)
	h := sha256.New()
	for _, part := range [][]byte{[]byte(parent), []byte(createdBy), raw, []byte(sum)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
