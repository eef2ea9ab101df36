package image

import (
	"errors"
	"slices"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

const (
	bucketImages = "images"
	bucketRefs   = "refs"

	recordVersion = 1
)

// record is what the metadata store holds for one image.
type record struct {
	Version     int             `json:"version"`
	ID          digest.Digest   `json:"id"`               // the config digest
	Parent      digest.Digest   `json:"parent,omitempty"` // the image a commit was made from
	RepoTags    []string        `json:"repoTags,omitempty"`
	RepoDigests []string        `json:"repoDigests,omitempty"`
	DiffIDs     []digest.Digest `json:"diffIDs,omitempty"`
	ChainIDs    []string        `json:"chainIDs,omitempty"`
	Blobs       []digest.Digest `json:"blobs,omitempty"` // content besides the config: layer tars, manifests
	Created     time.Time       `json:"created"`
	Size        int64           `json:"size"`
	LastTagTime time.Time       `json:"lastTagTime,omitzero"`
}

func getRecord(tx *metadata.Tx, id digest.Digest) (*record, error) {
	var r record
	if err := tx.Get(bucketImages, id.String(), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func putRecord(tx *metadata.Tx, r *record) error {
	r.Version = recordVersion
	return tx.Put(bucketImages, r.ID.String(), r)
}

func allRecords(tx *metadata.Tx) ([]*record, error) {
	var out []*record
	err := tx.List(bucketImages, func(_ string, raw []byte) error {
		var r record
		if err := jsonUnmarshal(raw, &r); err != nil {
			return err
		}
		out = append(out, &r)
		return nil
	})
	return out, err
}

// refTarget returns the image a normalized reference points at (the value
// is the bare ID string, as the metadata schema documents).
func refTarget(tx *metadata.Tx, ref string) (digest.Digest, error) {
	raw, err := tx.GetRaw(bucketRefs, ref)
	if err != nil {
		return "", err
	}
	return digest.Digest(raw), nil
}

// setRef points ref at r, taking it away from the image that had it.
func setRef(tx *metadata.Tx, ref reference.Named, r *record, now time.Time) error {
	key := ref.String()
	old, err := refTarget(tx, key)
	if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return err
	}
	if err == nil && old != r.ID {
		if prev, err := getRecord(tx, old); err == nil {
			dropRef(prev, key)
			if err := putRecord(tx, prev); err != nil {
				return err
			}
		}
	}
	if _, ok := ref.(reference.Canonical); ok {
		r.RepoDigests = addSorted(r.RepoDigests, key)
	} else {
		r.RepoTags = addSorted(r.RepoTags, key)
		r.LastTagTime = now
	}
	if err := tx.PutRaw(bucketRefs, key, []byte(r.ID)); err != nil {
		return err
	}
	return putRecord(tx, r)
}

// removeRef deletes ref from the refs bucket and from r (not saved).
func removeRef(tx *metadata.Tx, r *record, ref string) error {
	dropRef(r, ref)
	return tx.Delete(bucketRefs, ref)
}

func dropRef(r *record, ref string) {
	r.RepoTags = slices.DeleteFunc(r.RepoTags, func(s string) bool { return s == ref })
	r.RepoDigests = slices.DeleteFunc(r.RepoDigests, func(s string) bool { return s == ref })
}

func addSorted(list []string, s string) []string {
	if i, found := slices.BinarySearch(list, s); !found {
		list = slices.Insert(list, i, s)
	}
	return list
}

// refs returns r's tag and digest references, tags first.
func (r *record) refs() []string {
	return append(slices.Clone(r.RepoTags), r.RepoDigests...)
}
