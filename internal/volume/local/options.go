package local

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"golang.org/x/sys/unix"
)

// validOpts are the driver options Docker's local driver accepts.
var validOpts = map[string]bool{"type": true, "device": true, "o": true, "size": true}

// mountOpts is a parsed set of driver options; zero when the volume is a
// plain directory.
type mountOpts struct {
	Type, Device string
	Flags        uintptr
	Data         string
}

func (m mountOpts) empty() bool { return m.Type == "" && m.Device == "" }

// parseOptions validates the -o options of volume create.
func parseOptions(opts map[string]string) (mountOpts, error) {
	var m mountOpts
	for k := range opts {
		if !validOpts[k] {
			return m, fmt.Errorf("invalid option: %q: %w", k, errdefs.ErrInvalidArgument)
		}
	}
	m.Type, m.Device = opts["type"], opts["device"]
	if opts["o"] != "" && m.Type == "" {
		return m, fmt.Errorf(`missing required option: "type": %w`, errdefs.ErrInvalidArgument)
	}
	if m.Type != "" && m.Device == "" {
		if m.Type != "tmpfs" {
			return m, fmt.Errorf(`missing required option: "device": %w`, errdefs.ErrInvalidArgument)
		}
		m.Device = "tmpfs"
	}
	var data []string
	for _, o := range strings.Split(opts["o"], ",") {
		if o == "" {
			continue
		}
		if f, ok := mountFlags[o]; ok {
			m.Flags |= f
			continue
		}
		data = append(data, o)
	}
	if size := opts["size"]; size != "" {
		if m.Type != "tmpfs" {
			return m, fmt.Errorf(`invalid option: "size" is only supported for type=tmpfs: %w`, errdefs.ErrInvalidArgument)
		}
		n, err := units.RAMInBytes(size)
		if err != nil {
			return m, fmt.Errorf("invalid size %q: %w", size, errdefs.ErrInvalidArgument)
		}
		data = append(data, "size="+strconv.FormatInt(n, 10))
	}
	m.Data = strings.Join(data, ",")
	if m.Type == "bind" || m.Type == "none" && strings.Contains(opts["o"], "bind") {
		m.Flags |= unix.MS_BIND
	}
	return m, nil
}

// mountFlags are the o= words that are mount(2) flags, not fs data.
var mountFlags = map[string]uintptr{
	"ro": unix.MS_RDONLY, "rw": 0, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
	"noexec": unix.MS_NOEXEC, "sync": unix.MS_SYNCHRONOUS, "noatime": unix.MS_NOATIME,
	"nodiratime": unix.MS_NODIRATIME, "relatime": unix.MS_RELATIME, "bind": unix.MS_BIND,
	"rbind": unix.MS_BIND | unix.MS_REC,
}
