package image

import (
	"encoding/json"
	"fmt"

	"github.com/containerd/errdefs"
)

// notFoundError carries Docker's exact message ("No such image: <ref>")
// and classifies as errdefs.ErrNotFound.
type notFoundError struct{ ref string }

func (e notFoundError) Error() string        { return "No such image: " + e.ref }
func (e notFoundError) Is(target error) bool { return target == errdefs.ErrNotFound }
func (e notFoundError) NotFound()            {}

// conflictError carries Docker's exact conflict message and classifies as
// errdefs.ErrConflict.
type conflictError struct{ msg string }

func (e conflictError) Error() string        { return e.msg }
func (e conflictError) Is(target error) bool { return target == errdefs.ErrConflict }
func (e conflictError) Conflict()            {}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func parseEmptyRef() error {
	return fmt.Errorf("invalid reference format: repository name must have at least one component: %w", errdefs.ErrInvalidArgument)
}

var errNoRegistry = fmt.Errorf("registry access is not configured: %w", errdefs.ErrNotImplemented)
