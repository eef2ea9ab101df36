package command

import (
	"errors"
	"fmt"

	"github.com/containerd/errdefs"
)

// InvalidArgument returns an error whose text is exactly the formatted
// message (docker's wording) and which is errdefs.ErrInvalidArgument.
func InvalidArgument(format string, a ...any) error {
	return classified{err: fmt.Errorf(format, a...), kind: errdefs.ErrInvalidArgument}
}

type classified struct {
	err  error
	kind error
}

func (c classified) Error() string { return c.err.Error() }
func (c classified) Unwrap() error { return c.err }

// Is reports whether target is the error's class.
func (c classified) Is(target error) bool { return errors.Is(c.kind, target) }

// NotFound returns an error whose text is exactly the formatted message and
// which is errdefs.ErrNotFound.
func NotFound(format string, a ...any) error {
	return classified{err: fmt.Errorf(format, a...), kind: errdefs.ErrNotFound}
}
