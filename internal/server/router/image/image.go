// Package image serves the /images endpoints.
package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	"github.com/berth-engine/berth/internal/server/httputil"
	"github.com/containerd/errdefs"
	apiimage "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
)

// Backend is the image service as the API needs it.
type Backend interface {
	Import(ctx context.Context, r io.Reader, opts image.ImportOptions) (*image.Image, error)
	Get(ctx context.Context, refOrID string) (*image.Image, error)
	List(ctx context.Context) ([]*image.Image, error)
	Tag(ctx context.Context, refOrID, newRef string) error
	Delete(ctx context.Context, refOrID string, opts image.DeleteOptions) ([]apiimage.DeleteResponse, error)
	InspectResponse(img *image.Image) apiimage.InspectResponse
	Summary(img *image.Image) apiimage.Summary
	Pull(ctx context.Context, opts image.PullOptions) (*image.Image, error)
	Push(ctx context.Context, opts image.PushOptions) error
	Login(ctx context.Context, auth registry.AuthConfig) (string, error)
	History(ctx context.Context, refOrID string) ([]apiimage.HistoryResponseItem, error)
	Save(ctx context.Context, names []string, w io.Writer) error
	Load(ctx context.Context, r io.Reader, progress image.ProgressFunc) error
	Prune(ctx context.Context, filters map[string][]string, inUse func(id digest.Digest) bool) (apiimage.PruneReport, error)
}

// InUse names a container using an image ("" when none).
type InUse func(id digest.Digest) string

type router struct {
	b     Backend
	inUse InUse
}

// Routes returns the image route group.
func Routes(b Backend, inUse InUse) []httputil.Route {
	r := router{b: b, inUse: inUse}
	return []httputil.Route{
		{Method: http.MethodPost, Path: "/images/create", Handler: r.postImagesCreate},
		{Method: http.MethodGet, Path: "/images/json", Handler: r.getImagesJSON},
		{Method: http.MethodGet, Path: "/images/get", Handler: r.getImagesGet},
		{Method: http.MethodPost, Path: "/images/load", Handler: r.postImagesLoad},
		{Method: http.MethodPost, Path: "/auth", Handler: r.postAuth},
		{Method: http.MethodPost, Path: "/images/prune", Handler: r.postImagesPrune},
		{Method: http.MethodGet, Path: "/images/{name:.*}/history", Handler: r.getImagesHistory},
		{Method: http.MethodPost, Path: "/images/{name:.*}/push", Handler: r.postImagesPush},
		{Method: http.MethodGet, Path: "/images/{name:.*}/json", Handler: r.getImagesByName},
		{Method: http.MethodPost, Path: "/images/{name:.*}/tag", Handler: r.postImagesTag},
		{Method: http.MethodDelete, Path: "/images/{name:.*}", Handler: r.deleteImages},
	}
}

// postImagesCreate pulls an image (fromImage) or imports a rootfs
// tarball (fromSrc=-).
func (r router) postImagesCreate(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	if img := req.Form.Get("fromImage"); img != "" {
		return r.pull(ctx, w, req, img)
	}
	src := req.Form.Get("fromSrc")
	if src != "-" {
		if src == "" {
			return fmt.Errorf("either fromImage or fromSrc is required: %w", errdefs.ErrInvalidArgument)
		}
		return fmt.Errorf("importing from a URL is not supported yet: %w", errdefs.ErrNotImplemented)
	}
	ref := req.Form.Get("repo")
	if tag := req.Form.Get("tag"); ref != "" && tag != "" {
		ref += ":" + tag
	}
	img, err := r.b.Import(ctx, req.Body, image.ImportOptions{
		Ref: ref, Message: req.Form.Get("message"), Changes: req.Form["changes"], Platform: req.Form.Get("platform"),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(map[string]string{"status": img.ID.String()})
}

func (r router) getImagesJSON(ctx context.Context, w http.ResponseWriter, req *http.Request, _ map[string]string) error {
	filters, err := httputil.Filters(req)
	if err != nil {
		return err
	}
	imgs, err := r.b.List(ctx)
	if err != nil {
		return err
	}
	bounds, err := r.createdBounds(ctx, filters)
	if err != nil {
		return err
	}
	out := []apiimage.Summary{}
	all, parents := httputil.BoolValue(req, "all"), image.Parents(imgs)
	for _, img := range imgs {
		if !bounds.contain(img) || (!all && image.Intermediate(img, parents)) {
			continue
		}
		sum := r.b.Summary(img)
		ok, err := matchImage(sum, filters, parents[img.ID])
		if err != nil {
			return err
		}
		if ok {
			out = append(out, sum)
		}
	}
	return httputil.WriteJSON(w, http.StatusOK, out)
}

// matchImage applies the filters to s; hasChildren: images were made
// from it (so it is not dangling).
func matchImage(s apiimage.Summary, f map[string][]string, hasChildren bool) (bool, error) {
	for k, vals := range f {
		switch k {
		case "dangling":
			for _, v := range vals {
				if !matchDangling(v == "true" || v == "1", len(s.RepoTags) == 0, hasChildren) {
					return false, nil
				}
			}
		case "reference":
			if !anyRef(s.RepoTags, vals) {
				return false, nil
			}
		case "before", "since": // createdBounds
		case "label":
			for _, v := range vals {
				k, want, has := strings.Cut(v, "=")
				got, ok := s.Labels[k]
				if !ok || has && got != want {
					return false, nil
				}
			}
		default:
			return false, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return true, nil
}

// matchDangling is Docker's dangling filter: dangling=true lists untagged
// images nothing was made from, dangling=false tagged images only.
func matchDangling(want, untagged, hasChildren bool) bool {
	if want {
		return untagged && !hasChildren
	}
	return !untagged
}

func anyRef(tags, patterns []string) bool {
	for _, t := range tags {
		repo := t
		if i := strings.LastIndex(t, ":"); i > strings.LastIndex(t, "/") {
			repo = t[:i] // host:port/name:tag → host:port/name
		}
		for _, p := range patterns {
			if ok, _ := path.Match(p, t); ok {
				return true
			}
			if ok, _ := path.Match(p, repo); ok {
				return true
			}
		}
	}
	return false
}

func (r router) getImagesByName(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	img, err := r.b.Get(ctx, vars["name"])
	if err != nil {
		return err
	}
	parent := ""
	if img.Parent != "" {
		parent = img.Parent.String()
	}
	// API ≤ 1.47 documents Parent (the image a commit or build step was
	// made from); the newer wire types no longer carry it.
	resp := r.b.InspectResponse(img)
	if httputil.VersionLess(httputil.VersionFromContext(ctx), "1.48") {
		// Before 1.45 Docker also sends Container and ContainerConfig.
		// docker-compose v1 reads ContainerConfig (its Volumes) whenever it
		// recreates a container, and negotiates the newest version, so
		// Berth sends them up to 1.47 (Docker ≥ 25 drops them and breaks
		// docker-compose v1 recreates). Berth keeps no build container's
		// config, so it sends the image's own.
		return httputil.WriteJSON(w, http.StatusOK, struct {
			apiimage.InspectResponse
			Parent          string `json:"Parent"`
			Container       string `json:"Container"`
			ContainerConfig any    `json:"ContainerConfig"`
		}{resp, parent, "", legacyContainerConfig(resp)})
	}
	return httputil.WriteJSON(w, http.StatusOK, struct {
		apiimage.InspectResponse
		Parent string `json:"Parent"`
	}{resp, parent})
}

// legacyContainerConfig is the ContainerConfig of API < 1.45 image inspect:
// the image config in the container config's shape (an empty object when the
// image has no config, as Docker sends for BuildKit-built images).
func legacyContainerConfig(resp apiimage.InspectResponse) any {
	if resp.Config == nil {
		return struct{}{}
	}
	return resp.Config
}

func (r router) postImagesTag(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	repo, tag := req.Form.Get("repo"), req.Form.Get("tag")
	if repo == "" {
		return fmt.Errorf("repository name must have at least one component: %w", errdefs.ErrInvalidArgument)
	}
	ref := repo
	if tag != "" {
		ref += ":" + tag
	}
	if err := r.b.Tag(ctx, vars["name"], ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (r router) deleteImages(ctx context.Context, w http.ResponseWriter, req *http.Request, vars map[string]string) error {
	items, err := r.b.Delete(ctx, vars["name"], image.DeleteOptions{
		Force: httputil.BoolValue(req, "force"), NoPrune: httputil.BoolValue(req, "noprune"), InUse: r.inUse,
	})
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, items)
}
