package build

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/berth-engine/berth/internal/image"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PlatformPuller is implemented by a Backend that can pull a given
// platform's image from a multi-platform index ("os/arch[/variant]").
type PlatformPuller interface {
	PullPlatform(ctx context.Context, ref, platform string, auth registry.AuthConfig, progress func(jsonstream.Message)) (*image.Image, error)
}

var platformPart = regexp.MustCompile(`^[a-z0-9_.-]+$`)

var knownOS = map[string]bool{"linux": true, "windows": true, "darwin": true, "freebsd": true, "netbsd": true,
	"openbsd": true, "solaris": true, "illumos": true, "aix": true, "plan9": true, "android": true, "ios": true, "js": true, "wasip1": true}

// parsePlatform reads os[/arch[/variant]] (or a bare arch) and
// normalizes it as containerd does: x86_64 is amd64, aarch64 arm64 and so on.
func parsePlatform(s string) (ocispec.Platform, error) {
	bad := fmt.Errorf("invalid platform %q: expected os[/arch[/variant]]: %w", s, errdefs.ErrInvalidArgument)
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
	for _, p := range parts {
		if !platformPart.MatchString(p) {
			return ocispec.Platform{}, bad
		}
	}
	var p ocispec.Platform
	switch len(parts) {
	case 1:
		if knownOS[parts[0]] {
			p = ocispec.Platform{OS: parts[0], Architecture: runtime.GOARCH}
		} else {
			p = ocispec.Platform{OS: "linux", Architecture: parts[0]}
		}
	case 2:
		p = ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	case 3:
		p = ocispec.Platform{OS: parts[0], Architecture: parts[1], Variant: parts[2]}
	default:
		return ocispec.Platform{}, bad
	}
	if p.OS == "macos" {
		p.OS = "darwin"
	}
	p.Architecture, p.Variant = normalizeArch(p.Architecture, p.Variant)
	return p, nil
}

func normalizeArch(arch, variant string) (string, string) {
	switch arch {
	case "i386", "i486", "i586", "i686", "x86":
		return "386", ""
	case "x86_64", "x86-64", "amd64":
		if variant == "v1" {
			variant = ""
		}
		return "amd64", variant
	case "aarch64", "arm64":
		if variant == "8" || variant == "v8" {
			variant = ""
		}
		return "arm64", variant
	case "armhf":
		return "arm", "v7"
	case "armel":
		return "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
		return "arm", variant
	}
	return arch, variant
}

func hostPlatform() ocispec.Platform {
	return ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

func formatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// targetPlatform parses a platform the build is asked for ("" is the
// host's) and refuses one this host cannot run: Berth does not emulate
// other architectures.
func targetPlatform(s string) (ocispec.Platform, error) {
	if s == "" {
		return hostPlatform(), nil
	}
	p, err := parsePlatform(s)
	if err != nil {
		return p, err
	}
	return p, runnable(p, s)
}

// runnable refuses a platform whose programs this host cannot run.
func runnable(p ocispec.Platform, asked string) error {
	host := hostPlatform()
	if p.OS != host.OS {
		return fmt.Errorf("platform %q: operating system is not supported: %w", asked, errdefs.ErrInvalidArgument)
	}
	if p.Architecture != host.Architecture {
		return fmt.Errorf("platform %q: this %s host cannot run %s images (no emulation is configured): %w",
			asked, formatPlatform(host), formatPlatform(p), errdefs.ErrInvalidArgument)
	}
	return nil
}

// platformArgs are the automatic platform ARGs (BUILDPLATFORM,
// TARGETARCH…) as BuildKit defines them, global ARGs a stage uses by
// declaring them.
func platformArgs(target string) []string {
	b := hostPlatform()
	t, err := targetPlatform(target)
	if err != nil {
		t = b
	}
	var out []string
	for _, x := range []struct {
		prefix string
		p      ocispec.Platform
	}{{"BUILD", b}, {"TARGET", t}} {
		out = append(out, x.prefix+"PLATFORM="+formatPlatform(x.p), x.prefix+"OS="+x.p.OS,
			x.prefix+"ARCH="+x.p.Architecture, x.prefix+"VARIANT="+x.p.Variant)
	}
	return out
}

// stagePlatform is the platform stage i's base image must have: FROM
// --platform (expanded with the global ARGs), else the request's. ok is
// false when neither asks for one. FROM --platform may name a platform
// the host cannot run only for a stage without RUN (one whose files are
// copied, as multi-platform Dockerfiles do).
func (j *job) stagePlatform(i int, st *state) (ocispec.Platform, bool, error) {
	raw := j.stages[i].Platform
	if raw != "" {
		v, _, err := st.lex.ProcessWord(raw, shell.EnvsFromSlice(j.meta))
		if err != nil {
			return ocispec.Platform{}, false, fmt.Errorf("FROM --platform: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		if v == "" {
			return ocispec.Platform{}, false, fmt.Errorf("FROM --platform=%s: empty platform: %w", raw, errdefs.ErrInvalidArgument)
		}
		p, err := parsePlatform(v)
		if err != nil {
			return p, true, err
		}
		if err := runnable(p, v); err != nil && j.stageRuns(i) {
			return p, true, fmt.Errorf("FROM --platform=%s %s: the stage has RUN instructions: %w", raw, j.stages[i].BaseName, err)
		}
		return p, true, nil
	}
	if j.opts.Platform == "" {
		return ocispec.Platform{}, false, nil
	}
	p, err := targetPlatform(j.opts.Platform)
	return p, true, err
}

// baseImage resolves stage i's FROM image: the local one, or pulled when
// it is absent, when the request says pull, or when the platform asked
// for differs from the local image's.
func (j *job) baseImage(ctx context.Context, i int, st *state, base string) (*image.Image, error) {
	want, explicit, err := j.stagePlatform(i, st)
	if err != nil {
		return nil, err
	}
	img, err := j.b.be.Image(ctx, base)
	mismatch := err == nil && explicit && !platformMatches(img, want)
	if j.opts.Pull || errdefs.IsNotFound(err) || mismatch {
		if !explicit {
			img, err = j.pull(ctx, st, base)
		} else {
			img, err = j.pullPlatform(ctx, st, base, want)
		}
	}
	if err != nil {
		return nil, err
	}
	if explicit && !platformMatches(img, want) {
		return nil, fmt.Errorf("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s: %w",
			base, formatPlatform(want), formatPlatform(imagePlatform(img)), errdefs.ErrNotFound)
	}
	return img, nil
}

func imagePlatform(img *image.Image) ocispec.Platform {
	arch, variant := normalizeArch(img.Config.Architecture, img.Config.Variant)
	return ocispec.Platform{OS: img.Config.OS, Architecture: arch, Variant: variant}
}

// platformMatches: same OS and architecture; a variant only counts when
// both name one. An image that records no platform matches any.
func platformMatches(img *image.Image, want ocispec.Platform) bool {
	have := imagePlatform(img)
	if have.OS == "" && have.Architecture == "" {
		return true
	}
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	return have.Variant == "" || want.Variant == "" || have.Variant == want.Variant
}

// pullPlatform pulls ref for platform p, with the request's credentials.
func (j *job) pullPlatform(ctx context.Context, st *state, ref string, p ocispec.Platform) (*image.Image, error) {
	pp, ok := j.b.be.(PlatformPuller)
	if !ok {
		return j.pull(ctx, st, ref)
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format: %s: %w", ref, errdefs.ErrInvalidArgument)
	}
	host := reference.Domain(named)
	if host == "docker.io" {
		host = "https://index.docker.io/v1/"
	}
	return pp.PullPlatform(ctx, reference.FamiliarString(reference.TagNameOnly(named)), formatPlatform(p), j.opts.Auth[host], st.out.Progress)
}

// stageRuns reports whether stage i has a RUN instruction.
func (j *job) stageRuns(i int) bool {
	for _, c := range j.stages[i].Commands {
		if _, ok := c.(*instructions.RunCommand); ok {
			return true
		}
	}
	return false
}
