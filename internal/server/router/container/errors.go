package container

import (
	"fmt"

	"github.com/containerd/errdefs"
)

func badRequest(msg string) error { return fmt.Errorf("%s: %w", msg, errdefs.ErrInvalidArgument) }
