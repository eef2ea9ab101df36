package command

import (
	"strings"

	"github.com/moby/moby/client"
)

// ParseFilters turns repeated `--filter name=value` flags into API filters.
func ParseFilters(flags []string) (client.Filters, error) {
	f := client.Filters{}
	for _, s := range flags {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			return nil, InvalidArgument("bad format of filter (expected name=value)")
		}
		f.Add(strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value))
	}
	return f, nil
}
