package network

import (
	"bytes"
	"strings"
)

// CustomizeResolvConf applies a container's DNS settings to the resolv.conf
// BuildResolvConf derived: non-empty nameservers replace the nameserver
// lines (--dns, or a user network's embedded DNS), search the search and
// domain lines (--dns-search; "." alone means none), options the options
// lines (--dns-option). Comments and other lines are kept.
func CustomizeResolvConf(data []byte, nameservers, search, options []string) []byte {
	drop := map[string]bool{}
	if len(nameservers) > 0 {
		drop["nameserver"] = true
	}
	if len(search) > 0 {
		drop["search"], drop["domain"] = true, true
	}
	if len(options) > 0 {
		drop["options"] = true
	}
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && drop[f[0]] {
			continue
		}
		b.WriteString(line)
	}
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	for _, ns := range nameservers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(search) > 0 && !(len(search) == 1 && search[0] == ".") {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return b.Bytes()
}
