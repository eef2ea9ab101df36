package compose

import (
	"io"

	"github.com/berth-engine/berth/internal/buildcontext"
)

// tarContext writes dir as a build context without what .dockerignore
// excludes (the Dockerfile and .dockerignore always go).
func tarContext(dir, dockerfile string, w io.Writer) error {
	excludes, err := buildcontext.ReadDockerignore(dir)
	if err != nil {
		return err
	}
	return buildcontext.Tar(dir, dockerfile, excludes, w)
}
