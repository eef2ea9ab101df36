package events

import (
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
)

// Filter selects events with Docker's semantics: values of one key are
// alternatives (OR), different keys must all match (AND), and "label"
// values must all match. A nil or empty Filter accepts everything.
type Filter map[string][]string

var filterKeys = map[string]bool{
	"config": true, "container": true, "daemon": true, "event": true, "image": true,
	"label": true, "network": true, "node": true, "plugin": true, "scope": true,
	"secret": true, "service": true, "type": true, "volume": true,
}

// Validate rejects keys Docker does not know, as a 400.
func (f Filter) Validate() error {
	for k := range f {
		if !filterKeys[k] {
			return fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// Include reports whether m passes the filter.
func (f Filter) Include(m events.Message) bool {
	return f.matchEvent(m) &&
		f.exact("type", string(m.Type)) &&
		f.exact("scope", m.Scope) &&
		f.matchActor(m, "container", events.ContainerEventType) &&
		f.matchActor(m, "network", events.NetworkEventType) &&
		f.matchActor(m, "volume", events.VolumeEventType) &&
		f.matchActor(m, "plugin", events.PluginEventType) &&
		f.matchActor(m, "daemon", events.DaemonEventType) &&
		f.matchImage(m) &&
		f.labels(m.Actor.Attributes)
}

// matchEvent compares actions exactly, except that health_status,
// exec_create and exec_start also match their "action: detail" forms.
func (f Filter) matchEvent(m events.Message) bool {
	vals := f["event"]
	if len(vals) == 0 {
		return true
	}
	action := string(m.Action)
	for _, v := range vals {
		if v == action {
			return true
		}
		if prefix, _, ok := strings.Cut(action, ":"); ok && v == prefix {
			return true
		}
	}
	return false
}

// matchActor: an actor filter (container=web) matches events of that type
// whose actor ID starts with, or whose name equals, a value; events of
// other types never match it.
func (f Filter) matchActor(m events.Message, key string, typ events.Type) bool {
	vals := f[key]
	if len(vals) == 0 {
		return true
	}
	if m.Type != typ {
		return false
	}
	name := m.Actor.Attributes["name"]
	for _, v := range vals {
		if v == m.Actor.ID || v == name || strings.HasPrefix(m.Actor.ID, v) {
			return true
		}
	}
	return false
}

// matchImage: for image events the actor (ID or name); for container
// events the image the container runs. A value without a tag also
// matches the tagged name.
func (f Filter) matchImage(m events.Message) bool {
	vals := f["image"]
	if len(vals) == 0 {
		return true
	}
	nameAttr := "image"
	if m.Type == events.ImageEventType {
		nameAttr = "name"
	}
	candidates := []string{m.Actor.ID, m.Actor.Attributes[nameAttr]}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		for _, v := range vals {
			if v == c || v == stripTag(c) {
				return true
			}
		}
	}
	return false
}

// stripTag drops ":tag" or "@digest" from a reference (but not a
// registry port, and IDs stay whole).
func stripTag(ref string) string {
	if strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	if name, _, ok := strings.Cut(ref, "@"); ok {
		return name
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

func (f Filter) exact(key, value string) bool {
	vals := f[key]
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if v == value {
			return true
		}
	}
	return false
}

// labels requires every "key" or "key=value" to be present in attrs.
func (f Filter) labels(attrs map[string]string) bool {
	for _, l := range f["label"] {
		k, v, hasValue := strings.Cut(l, "=")
		got, ok := attrs[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}
