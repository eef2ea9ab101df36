package image

import (
	"context"
	"net/http"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/server/httputil"
	ctr "github.com/moby/moby/api/types/container"
)

// CommitRequest is POST /commit's parameters.
type CommitRequest struct {
	Container string
	Pause     bool
	Config    *ctr.Config // request body: overrides the container's config
	image.CommitOptions
}

// Committer snapshots a container into an image (it needs both the
// container and the image service).
type Committer interface {
	Commit(ctx context.Context, req CommitRequest) (*image.Image, error)
}

// CommitRoutes returns POST /commit.
func CommitRoutes(b Committer) []httputil.Route {
	return []httputil.Route{{Method: http.MethodPost, Path: "/commit", Handler: commitRouter{b}.postCommit}}
}

type commitRouter struct{ b Committer }

func (r commitRouter) postCommit(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	var body ctr.Config
	if err := httputil.ReadJSON(req, &body); err != nil {
		return err
	}
	ref := req.Form.Get("repo")
	if tag := req.Form.Get("tag"); ref != "" && tag != "" {
		ref += ":" + tag
	}
	cr := CommitRequest{
		Container: req.Form.Get("container"),
		Pause:     httputil.BoolValueOr(req, "pause", true),
		Config:    &body,
		CommitOptions: image.CommitOptions{Ref: ref, Author: req.Form.Get("author"),
			Comment: req.Form.Get("comment"), Changes: req.Form["changes"]},
	}
	img, err := r.b.Commit(ctx, cr)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, map[string]string{"Id": img.ID.String()})
}
