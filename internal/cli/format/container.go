package format

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client/pkg/stringid"
)

// Default container list formats.
const (
	ContainerTable      = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
	ContainerTableSize  = ContainerTable + "\t{{.Size}}"
	ContainerQuiet      = "{{.ID}}"
	commandTruncateLen  = 20
	mountTruncateLen    = 15
	containerTimeLayout = "2006-01-02 15:04:05 -0700 MST"
)

// Container is the template context for one `ps` row; its methods are the
// placeholders docker offers.
type Container struct {
	c     container.Summary
	trunc bool
	now   time.Time
}

// NewContainer returns the context for c; trunc shortens IDs, commands and
// names like docker does without --no-trunc. now anchors RunningFor.
func NewContainer(c container.Summary, trunc bool, now time.Time) Container {
	return Container{c: c, trunc: trunc, now: now}
}

// ContainerHeader is the header row of container tables.
type ContainerHeader struct{}

func (ContainerHeader) ID() string           { return "CONTAINER ID" }
func (ContainerHeader) Image() string        { return "IMAGE" }
func (ContainerHeader) Command() string      { return "COMMAND" }
func (ContainerHeader) CreatedAt() string    { return "CREATED AT" }
func (ContainerHeader) RunningFor() string   { return "CREATED" }
func (ContainerHeader) Ports() string        { return "PORTS" }
func (ContainerHeader) State() string        { return "STATE" }
func (ContainerHeader) Status() string       { return "STATUS" }
func (ContainerHeader) Size() string         { return "SIZE" }
func (ContainerHeader) Names() string        { return "NAMES" }
func (ContainerHeader) Labels() string       { return "LABELS" }
func (ContainerHeader) Label(string) string  { return "LABEL" }
func (ContainerHeader) Mounts() string       { return "MOUNTS" }
func (ContainerHeader) Networks() string     { return "NETWORKS" }
func (ContainerHeader) LocalVolumes() string { return "LOCAL VOLUMES" }
func (ContainerHeader) Platform() string     { return "PLATFORM" }

// ID is the container ID, 12 characters unless --no-trunc.
func (c Container) ID() string {
	if c.trunc {
		return stringid.TruncateID(c.c.ID)
	}
	return c.c.ID
}

// Image is the image as the user named it, digest trimmed when truncating.
func (c Container) Image() string {
	if c.c.Image == "" {
		return "<no image>"
	}
	if !c.trunc {
		return c.c.Image
	}
	if short := stringid.TruncateID(c.c.ImageID); short != "" && short == stringid.TruncateID(c.c.Image) {
		return short
	}
	ref, err := reference.ParseNormalizedNamed(c.c.Image)
	if err != nil {
		return c.c.Image
	}
	if tagged, ok := ref.(reference.NamedTagged); ok {
		if nt, err := reference.WithTag(reference.TrimNamed(tagged), tagged.Tag()); err == nil {
			return reference.FamiliarString(nt)
		}
	}
	return reference.FamiliarString(reference.TrimNamed(ref))
}

// Command is the quoted command, shortened to 20 characters when truncating.
func (c Container) Command() string {
	cmd := c.c.Command
	if c.trunc {
		cmd = Ellipsis(cmd, commandTruncateLen)
	}
	return strconv.Quote(cmd)
}

// CreatedAt is the creation time, e.g. "2025-01-02 15:04:05 +0000 UTC".
func (c Container) CreatedAt() string {
	return time.Unix(c.c.Created, 0).In(c.now.Location()).Format(containerTimeLayout)
}

// RunningFor is how long ago the container was created, e.g. "5 seconds ago".
func (c Container) RunningFor() string {
	return HumanSince(time.Unix(c.c.Created, 0), c.now)
}

// Ports lists published and exposed ports like docker.
func (c Container) Ports() string { return DisplayablePorts(c.c.Ports) }

// State is the state name ("running", "exited", ...).
func (c Container) State() string { return string(c.c.State) }

// Status is the daemon's human status ("Up 3 seconds", "Exited (0) ...").
func (c Container) Status() string {
	if c.c.Status != "" {
		return c.c.Status
	}
	return title(string(c.c.State))
}

// Size is the writable layer size, with the virtual size when known.
func (c Container) Size() string {
	s := units.HumanSizeWithPrecision(float64(c.c.SizeRw), 3)
	if c.c.SizeRootFs > 0 {
		s += fmt.Sprintf(" (virtual %s)", units.HumanSizeWithPrecision(float64(c.c.SizeRootFs), 3))
	}
	return s
}

// Names lists the names without their leading slash; when truncating,
// link names ("other/alias") are dropped in favour of the container's own.
func (c Container) Names() string {
	names := make([]string, 0, len(c.c.Names))
	for _, n := range c.c.Names {
		names = append(names, strings.TrimPrefix(n, "/"))
	}
	if !c.trunc {
		return strings.Join(names, ",")
	}
	for _, n := range names {
		if !strings.Contains(n, "/") {
			return n
		}
	}
	return strings.Join(names, ",")
}

// Labels is "k=v" pairs, sorted, comma-separated.
func (c Container) Labels() string {
	pairs := make([]string, 0, len(c.c.Labels))
	for _, k := range slices.Sorted(maps.Keys(c.c.Labels)) {
		pairs = append(pairs, k+"="+c.c.Labels[k])
	}
	return strings.Join(pairs, ",")
}

// Label returns the value of one label.
func (c Container) Label(name string) string { return c.c.Labels[name] }

// Mounts lists volume names or bind sources.
func (c Container) Mounts() string {
	names := make([]string, 0, len(c.c.Mounts))
	for _, m := range c.c.Mounts {
		n := m.Name
		if n == "" {
			n = m.Source
		}
		if c.trunc {
			n = Ellipsis(n, mountTruncateLen)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

// LocalVolumes counts the local-driver volumes mounted.
func (c Container) LocalVolumes() string {
	n := 0
	for _, m := range c.c.Mounts {
		if m.Driver == "local" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// Networks lists the attached networks, sorted.
func (c Container) Networks() string {
	if c.c.NetworkSettings == nil {
		return ""
	}
	return strings.Join(slices.Sorted(maps.Keys(c.c.NetworkSettings.Networks)), ",")
}

// Platform is the image's platform when the daemon reports it.
func (c Container) Platform() string {
	d := c.c.ImageManifestDescriptor
	if d == nil || d.Platform == nil {
		return ""
	}
	p := d.Platform.OS + "/" + d.Platform.Architecture
	if d.Platform.Variant != "" {
		p += "/" + d.Platform.Variant
	}
	return p
}

// MarshalJSON renders every placeholder, as `{{json .}}` does in docker.
func (c Container) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"Command": c.Command(), "CreatedAt": c.CreatedAt(), "ID": c.ID(), "Image": c.Image(),
		"Labels": c.Labels(), "LocalVolumes": c.LocalVolumes(), "Mounts": c.Mounts(),
		"Names": c.Names(), "Networks": c.Networks(), "Ports": c.Ports(),
		"RunningFor": c.RunningFor(), "Size": c.Size(), "State": c.State(), "Status": c.Status(),
	})
}

// HumanSince renders then relative to now: "5 seconds ago", "2 hours ago".
func HumanSince(then, now time.Time) string {
	return units.HumanDuration(now.Sub(then)) + " ago"
}

// DisplayablePorts renders port mappings like docker ps: runs of
// consecutive ports published on the same port number (or only exposed)
// collapse into ranges ("0.0.0.0:80-81->80-81/tcp", "53-54/udp"); other
// mappings follow one by one ("[::]:8080->80/tcp").
func DisplayablePorts(ports []container.PortSummary) string {
	var groups []*portGroup
	byKey := map[string]*portGroup{}
	var result, mappings []string
	for _, p := range sortedPorts(ports) {
		if p.IP.IsValid() && p.PublicPort != p.PrivatePort {
			mappings = append(mappings, fmt.Sprintf("%s->%d/%s",
				net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type))
			continue
		}
		key := portGroup{ip: p.IP, proto: p.Type}
		g := byKey[key.id()]
		switch {
		case g == nil:
			g = &portGroup{ip: p.IP, proto: p.Type, first: p.PrivatePort, last: p.PrivatePort}
			byKey[key.id()] = g
			groups = append(groups, g)
		case p.PrivatePort == g.last+1:
			g.last = p.PrivatePort
		default:
			result = append(result, g.String())
			g.first, g.last = p.PrivatePort, p.PrivatePort
		}
	}
	for _, g := range groups {
		result = append(result, g.String())
	}
	return strings.Join(append(result, mappings...), ", ")
}

type portGroup struct {
	ip          netip.Addr
	proto       string
	first, last uint16
}

func (g portGroup) id() string { return g.ip.String() + "/" + g.proto }

func (g portGroup) String() string {
	ports := strconv.Itoa(int(g.first))
	if g.first != g.last {
		ports = fmt.Sprintf("%d-%d", g.first, g.last)
	}
	if !g.ip.IsValid() {
		return ports + "/" + g.proto
	}
	return net.JoinHostPort(g.ip.String(), ports) + "->" + ports + "/" + g.proto
}

func sortedPorts(ports []container.PortSummary) []container.PortSummary {
	s := slices.Clone(ports)
	slices.SortStableFunc(s, func(a, b container.PortSummary) int {
		return cmp.Or(cmp.Compare(a.PrivatePort, b.PrivatePort), a.IP.Compare(b.IP),
			cmp.Compare(a.PublicPort, b.PublicPort), cmp.Compare(a.Type, b.Type))
	})
	return s
}

func containerWithLabels(l map[string]string) container.Summary { return container.Summary{Labels: l} }
