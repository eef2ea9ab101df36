// Package filters holds the matching rules of Docker's list and prune
// filters (`label=k[=v]`, `until=…`, repeated values), shared by the
// container, image, volume and network services. It imports no other
// Berth package.
package filters

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// AnyOf reports whether fn holds for one of vals; true when vals is empty
// (an absent filter matches everything). Docker ORs repeated values of
// filters such as name, id or status.
func AnyOf(vals []string, fn func(string) bool) bool {
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if fn(v) {
			return true
		}
	}
	return false
}

// AllOf reports whether fn holds for every one of vals (repeated label
// filters must all match).
func AllOf(vals []string, fn func(string) bool) bool {
	for _, v := range vals {
		if !fn(v) {
			return false
		}
	}
	return true
}

// Label matches a `label` filter value, "key" or "key=value", against labels.
func Label(labels map[string]string, f string) bool {
	k, v, hasValue := strings.Cut(f, "=")
	got, ok := labels[k]
	return ok && (!hasValue || got == v)
}

// Until reads Docker's until values: a Go duration ("10m", before now),
// Unix seconds with an optional fraction, RFC 3339 or a date.
func Until(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	sec, frac, _ := strings.Cut(v, ".")
	if s, err := strconv.ParseInt(sec, 10, 64); err == nil {
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		return time.Unix(s, ns), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q: %w", v, errdefs.ErrInvalidArgument)
}

// Labels reports whether labels match every one of the `label` values want.
func Labels(labels map[string]string, want []string) bool {
	return AllOf(want, func(f string) bool { return Label(labels, f) })
}
