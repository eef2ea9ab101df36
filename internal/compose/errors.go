package compose

import "errors"

// classified keeps an error's message (compose-go's, which names the file
// and key) while making errors.Is match an errdefs class.
type classified struct {
	err, kind error
}

func (c classified) Error() string        { return c.err.Error() }
func (c classified) Unwrap() error        { return c.err }
func (c classified) Is(target error) bool { return errors.Is(c.kind, target) }

func classify(err, kind error) error {
	if err == nil {
		return nil
	}
	return classified{err: err, kind: kind}
}
