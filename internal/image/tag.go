package image

import (
	"context"
	"time"

	"github.com/berth-engine/berth/internal/metadata"
)

// Tag points newRef (repo[:tag], tag defaults to latest) at the image
// refOrID resolves to, moving it from any image that had it.
// An invalid newRef is errdefs.ErrInvalidArgument.
func (s *Service) Tag(ctx context.Context, refOrID, newRef string) error {
	ref, err := parseTagRef(newRef)
	if err != nil {
		return err
	}
	if ref == nil {
		return parseEmptyRef()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(tx *metadata.Tx) error {
		rec, _, err := resolve(tx, refOrID)
		if err != nil {
			return err
		}
		return setRef(tx, ref, rec, time.Now().UTC())
	})
}
