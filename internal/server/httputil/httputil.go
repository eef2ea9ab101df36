package httputil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// HandlerFunc is an API handler; a returned error is written by the server.
type HandlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string // e.g. /containers/{name}/start or /images/{name:.*}/json
	Handler HandlerFunc
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// ReadJSON decodes a request body; malformed input is a 400.
func ReadJSON(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 && r.Header.Get("Transfer-Encoding") == "" {
		return nil
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil && err != io.EOF {
		return fmt.Errorf("invalid JSON: %s: %w", err.Error(), errdefs.ErrInvalidArgument)
	}
	return nil
}

// BoolValue parses Docker's boolean query values ("1", "true", "True").
func BoolValue(r *http.Request, key string) bool {
	switch strings.ToLower(strings.TrimSpace(r.Form.Get(key))) {
	case "", "0", "no", "false", "none":
		return false
	default:
		return true
	}
}

// BoolValueOr is BoolValue with a default for an absent key.
func BoolValueOr(r *http.Request, key string, def bool) bool {
	if _, ok := r.Form[key]; !ok {
		return def
	}
	return BoolValue(r, key)
}

// IntValue parses an integer query value; absent means def.
func IntValue(r *http.Request, key string, def int) (int, error) {
	v := r.Form.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("invalid value for %s: %q: %w", key, v, errdefs.ErrInvalidArgument)
	}
	return n, nil
}

// Filters parses the "filters" query parameter in both of Docker's shapes:
// {"key":["v1","v2"]} and the legacy {"key":{"v1":true}}.
func Filters(r *http.Request) (map[string][]string, error) {
	raw := r.Form.Get("filters")
	out := map[string][]string{}
	if raw == "" {
		return out, nil
	}
	var generic map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		return nil, fmt.Errorf("invalid filter: %s: %w", err.Error(), errdefs.ErrInvalidArgument)
	}
	for k, v := range generic {
		var list []string
		if err := json.Unmarshal(v, &list); err == nil {
			out[k] = list
			continue
		}
		var set map[string]bool
		if err := json.Unmarshal(v, &set); err != nil {
			return nil, fmt.Errorf("invalid filter %q: %w", k, errdefs.ErrInvalidArgument)
		}
		for s, on := range set {
			if on {
				out[k] = append(out[k], s)
			}
		}
	}
	return out, nil
}

type versionKey struct{}

// WithVersion stores the negotiated API version in ctx.
func WithVersion(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// VersionFromContext returns the request's API version.
func VersionFromContext(ctx context.Context) string {
	v, _ := ctx.Value(versionKey{}).(string)
	return v
}

// VersionLess compares "1.24"-style versions numerically.
func VersionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// ParseTimestamp parses Docker's since/until values: Unix seconds with an
// optional fraction ("1700000000.123456789"), or RFC 3339. Empty is zero.
func ParseTimestamp(v string) (time.Time, error) {
	if v == "" || v == "0" {
		return time.Time{}, nil
	}
	sec, frac, _ := strings.Cut(v, ".")
	if s, err := strconv.ParseInt(sec, 10, 64); err == nil {
		var ns int64
		if frac != "" {
			frac = (frac + "000000000")[:9]
			if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
				return time.Time{}, fmt.Errorf("invalid timestamp %q: %w", v, errdefs.ErrInvalidArgument)
			}
		}
		return time.Unix(s, ns), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid timestamp %q: %w", v, errdefs.ErrInvalidArgument)
	}
	return t, nil
}
