package image

import (
	"context"
	"fmt"
	"slices"

	"github.com/berth-engine/berth/internal/metadata"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// DeleteOptions tune Delete (DELETE /images/{name}).
type DeleteOptions struct {
	Force bool
	// NoPrune keeps the untagged parents the deleted image leaves behind;
	// by default they go too, as Docker's rmi does.
	NoPrune bool
	// InUse names a container using image id, "" if none; nil: none.
	InUse func(id digest.Digest) string
}

// Delete removes refOrID with Docker's semantics. By tag or digest: untag,
// and delete the image when that was its last reference and no image was
// built from it. By ID: an image with references in several repositories
// needs force; an image with children cannot be deleted at all; its
// references are removed, then the image. A container using the image
// (opts.InUse) makes the delete an errdefs.ErrConflict without force;
// with force the image is only untagged. Unless opts.NoPrune, the chain
// of untagged parents nothing else uses goes with the image. Layers and
// blobs no other image uses are freed.
func (s *Service) Delete(ctx context.Context, refOrID string, opts DeleteOptions) ([]image.DeleteResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Ask about containers outside the write transaction: inUse may read
	// the metadata DB itself. s.mu keeps the image from changing meanwhile.
	var id digest.Digest
	if err := s.db.View(func(tx *metadata.Tx) error {
		rec, _, err := resolve(tx, refOrID)
		if err == nil {
			id = rec.ID
		}
		return err
	}); err != nil {
		return nil, err
	}
	user := usedBy(opts.InUse, id)
	var out []image.DeleteResponse
	var deleted *record
	err := s.db.Update(func(tx *metadata.Tx) error {
		out, deleted = nil, nil
		rec, ref, err := resolve(tx, refOrID)
		if err != nil {
			return err
		}
		d := &deletion{tx: tx, rec: rec, force: opts.Force, user: user}
		if ref != nil {
			err = d.byRef(ref, refOrID)
		} else {
			err = d.byID()
		}
		out, deleted = d.out, d.deleted
		return err
	})
	if err != nil {
		return nil, err
	}
	if deleted == nil {
		return out, nil
	}
	out = append(out, s.freeData(ctx, deleted)...)
	if !opts.NoPrune {
		out = append(out, s.pruneParents(ctx, deleted.Parent, opts.InUse)...)
	}
	return out, nil
}

func usedBy(inUse func(digest.Digest) string, id digest.Digest) string {
	if inUse == nil {
		return ""
	}
	return inUse(id)
}

// deletion is one Delete call inside its transaction.
type deletion struct {
	tx      *metadata.Tx
	rec     *record
	force   bool
	user    string
	out     []image.DeleteResponse
	deleted *record
}

func (d *deletion) byRef(ref reference.Named, given string) error {
	refs := d.rec.refs()
	if !d.force && len(refs) == 1 && d.user != "" {
		return conflictError{fmt.Sprintf("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
			given, short(d.user), short(d.rec.ID.String()))}
	}
	if err := d.untag(ref.String()); err != nil {
		return err
	}
	// Removing a repository's last tag also removes its digest references.
	if _, canonical := ref.(reference.Canonical); !canonical && !hasTagIn(d.rec, ref.Name()) {
		for _, r := range slices.Clone(d.rec.RepoDigests) {
			if n, err := reference.ParseNormalizedNamed(r); err == nil && n.Name() == ref.Name() {
				if err := d.untag(r); err != nil {
					return err
				}
			}
		}
	}
	if len(d.rec.refs()) > 0 || d.user != "" {
		return putRecord(d.tx, d.rec)
	}
	// An image others were built from stays, untagged (Docker's quiet
	// conflict): it is deleted with its last child.
	if children, err := hasChildren(d.tx, d.rec.ID); err != nil || children {
		if err != nil {
			return err
		}
		return putRecord(d.tx, d.rec)
	}
	return d.remove()
}

func (d *deletion) byID() error {
	if children, err := hasChildren(d.tx, d.rec.ID); err != nil || children {
		if err != nil {
			return err
		}
		return conflictError{fmt.Sprintf("conflict: unable to delete %s (cannot be forced) - image has dependent child images", short(d.rec.ID.String()))}
	}
	if !d.force {
		if !singleRepository(d.rec.refs()) {
			return conflictError{fmt.Sprintf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", short(d.rec.ID.String()))}
		}
		if d.user != "" {
			return conflictError{fmt.Sprintf("conflict: unable to delete %s (must be forced) - image is being used by stopped container %s", short(d.rec.ID.String()), short(d.user))}
		}
	}
	for _, r := range d.rec.refs() {
		if err := d.untag(r); err != nil {
			return err
		}
	}
	if d.user != "" {
		return putRecord(d.tx, d.rec)
	}
	return d.remove()
}

func (d *deletion) untag(ref string) error {
	if err := removeRef(d.tx, d.rec, ref); err != nil {
		return err
	}
	f := ref
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		f = reference.FamiliarString(n)
	}
	d.out = append(d.out, image.DeleteResponse{Untagged: f})
	return nil
}

func (d *deletion) remove() error {
	if err := d.tx.Delete(bucketImages, d.rec.ID.String()); err != nil {
		return err
	}
	d.out = append(d.out, image.DeleteResponse{Deleted: d.rec.ID.String()})
	d.deleted = d.rec
	return nil
}

func hasTagIn(r *record, name string) bool {
	for _, t := range r.RepoTags {
		if n, err := reference.ParseNormalizedNamed(t); err == nil && n.Name() == name {
			return true
		}
	}
	return false
}

// singleRepository reports whether refs name at most one tag and all are
// in one repository (Docker's isSingleReference, true for no refs).
func singleRepository(refs []string) bool {
	tags, repos := 0, map[string]bool{}
	for _, r := range refs {
		n, err := reference.ParseNormalizedNamed(r)
		if err != nil {
			return false
		}
		repos[n.Name()] = true
		if _, canonical := n.(reference.Canonical); !canonical {
			tags++
		}
	}
	return tags <= 1 && len(repos) <= 1
}

// short is Docker's 12-character ID.
func short(id string) string {
	if d, err := digest.Parse(id); err == nil {
		id = d.Encoded()
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
