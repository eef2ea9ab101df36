package format

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/stringid"
)

// Default image list formats.
const (
	ImageTable        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	ImageTableDigests = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	ImageQuiet        = "{{.ID}}"
	none              = "<none>"
)

// Image is the template context for one `images` row: one image under one
// repository:tag (an image with several tags makes several rows).
type Image struct {
	i      image.Summary
	repo   string
	tag    string
	digest string
	trunc  bool
	now    time.Time
}

// ImageHeader is the header row of image tables.
type ImageHeader struct{}

func (ImageHeader) ID() string           { return "IMAGE ID" }
func (ImageHeader) Repository() string   { return "REPOSITORY" }
func (ImageHeader) Tag() string          { return "TAG" }
func (ImageHeader) Digest() string       { return "DIGEST" }
func (ImageHeader) CreatedSince() string { return "CREATED" }
func (ImageHeader) CreatedAt() string    { return "CREATED AT" }
func (ImageHeader) Size() string         { return "SIZE" }
func (ImageHeader) Containers() string   { return "CONTAINERS" }
func (ImageHeader) SharedSize() string   { return "SHARED SIZE" }
func (ImageHeader) UniqueSize() string   { return "UNIQUE SIZE" }
func (ImageHeader) VirtualSize() string  { return "VIRTUAL SIZE" }
func (ImageHeader) Labels() string       { return "LABELS" }
func (ImageHeader) Label(string) string  { return "LABEL" }

// ImageRows expands images into rows the way `docker images` does: a row per
// repository:tag (per digest too when digests is set), digest-only
// references as "<none>" tags, and "<none>:<none>" for untagged images.
func ImageRows(images []image.Summary, digests, trunc bool, now time.Time) []Image {
	var rows []Image
	for _, img := range images {
		rows = append(rows, imageRows(img, digests, trunc, now)...)
	}
	return rows
}

func imageRows(img image.Summary, showDigests, trunc bool, now time.Time) []Image {
	tags := familiarRefs(img.RepoTags, func(r reference.Named) (string, bool) {
		t, ok := r.(reference.NamedTagged)
		if !ok {
			return "", false
		}
		return t.Tag(), true
	})
	digests := familiarRefs(img.RepoDigests, func(r reference.Named) (string, bool) {
		c, ok := r.(reference.Canonical)
		if !ok {
			return "", false
		}
		return c.Digest().String(), true
	})
	base := Image{i: img, trunc: trunc, now: now}
	var rows []Image
	for _, repo := range sortedKeys(tags) {
		ds := digests[repo]
		delete(digests, repo)
		if !showDigests || len(ds) == 0 {
			ds = []string{none}
		}
		for _, tag := range tags[repo] {
			for _, d := range ds {
				rows = append(rows, base.with(repo, tag, d))
			}
		}
	}
	for _, repo := range sortedKeys(digests) {
		ds := digests[repo]
		if !showDigests {
			ds = ds[:1]
		}
		for _, d := range ds {
			rows = append(rows, base.with(repo, none, d))
		}
	}
	if len(rows) == 0 {
		rows = append(rows, base.with(none, none, none))
	}
	return rows
}

func (i Image) with(repo, tag, digest string) Image {
	i.repo, i.tag, i.digest = repo, tag, digest
	return i
}

func familiarRefs(refs []string, part func(reference.Named) (string, bool)) map[string][]string {
	out := map[string][]string{}
	for _, s := range refs {
		ref, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			continue
		}
		if p, ok := part(ref); ok {
			name := reference.FamiliarName(ref)
			out[name] = append(out[name], p)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}

// ID is the image ID, "sha256:"-less and 12 characters unless --no-trunc.
func (i Image) ID() string {
	if i.trunc {
		return stringid.TruncateID(i.i.ID)
	}
	return i.i.ID
}

func (i Image) Repository() string { return i.repo }
func (i Image) Tag() string        { return i.tag }
func (i Image) Digest() string     { return i.digest }

// CreatedSince is e.g. "2 weeks ago".
func (i Image) CreatedSince() string { return HumanSince(time.Unix(i.i.Created, 0), i.now) }

// CreatedAt is the creation time.
func (i Image) CreatedAt() string {
	return time.Unix(i.i.Created, 0).In(i.now.Location()).Format(containerTimeLayout)
}

// Size is docker's "4.26MB".
func (i Image) Size() string { return units.HumanSizeWithPrecision(float64(i.i.Size), 3) }

// VirtualSize equals Size since API 1.44.
func (i Image) VirtualSize() string { return i.Size() }

// SharedSize is "N/A" unless the daemon computed it.
func (i Image) SharedSize() string { return sizeOrNA(i.i.SharedSize) }

// UniqueSize is the size not shared with other images.
func (i Image) UniqueSize() string {
	if i.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSizeWithPrecision(float64(i.i.Size-i.i.SharedSize), 3)
}

// Containers counts containers using the image, "N/A" when not computed.
func (i Image) Containers() string {
	if i.i.Containers == -1 {
		return "N/A"
	}
	return strconv.FormatInt(i.i.Containers, 10)
}

// Labels is sorted "k=v" pairs.
func (i Image) Labels() string { return Container{c: containerWithLabels(i.i.Labels)}.Labels() }

// Label returns one label's value.
func (i Image) Label(name string) string { return i.i.Labels[name] }

func sizeOrNA(n int64) string {
	if n == -1 {
		return "N/A"
	}
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// MarshalJSON renders every placeholder, as `{{json .}}` does in docker.
func (i Image) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"Containers": i.Containers(), "CreatedAt": i.CreatedAt(), "CreatedSince": i.CreatedSince(),
		"Digest": i.Digest(), "ID": i.ID(), "Repository": i.Repository(), "SharedSize": i.SharedSize(),
		"Size": i.Size(), "Tag": i.Tag(), "UniqueSize": i.UniqueSize(), "VirtualSize": i.VirtualSize(),
	})
}
