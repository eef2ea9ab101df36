package oci

import "strings"

// env layers opts.Env over Docker's daemon-provided variables: PATH,
// HOSTNAME and, with a TTY, TERM=xterm. A variable set in opts.Env replaces
// the default in place; the rest are appended in order.
func env(opts Options) []string {
	out := []string{"PATH=" + DefaultPathEnv, "HOSTNAME=" + opts.Hostname}
	if opts.Tty {
		out = append(out, "TERM=xterm")
	}
	return mergeEnv(out, opts.Env)
}

// mergeEnv replaces or appends each "KEY=value" of over in base.
func mergeEnv(base, over []string) []string {
	idx := make(map[string]int, len(base))
	for i, kv := range base {
		idx[envKey(kv)] = i
	}
	for _, kv := range over {
		k := envKey(kv)
		if i, ok := idx[k]; ok {
			base[i] = kv
			continue
		}
		idx[k] = len(base)
		base = append(base, kv)
	}
	return base
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}
