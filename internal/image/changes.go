package image

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// applyChanges applies `docker import --change` / `docker commit --change`
// instructions to cfg. Supported: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
// USER, VOLUME, WORKDIR, STOPSIGNAL.
func applyChanges(cfg dockerspec.DockerOCIImageConfig, changes []string) (dockerspec.DockerOCIImageConfig, error) {
	// cfg's maps and Env may be the committed container's own (a data race
	// with its record and a silent change to it): copy before writing.
	cfg.Labels, cfg.ExposedPorts, cfg.Volumes = maps.Clone(cfg.Labels), maps.Clone(cfg.ExposedPorts), maps.Clone(cfg.Volumes)
	cfg.Env = slices.Clone(cfg.Env)
	cmdSet := false
	for _, change := range changes {
		instr, rest, _ := strings.Cut(strings.TrimSpace(change), " ")
		rest = strings.TrimSpace(rest)
		var err error
		switch strings.ToUpper(instr) {
		case "":
			continue
		case "CMD":
			cfg.Cmd, cmdSet = commandForm(rest), true
		case "ENTRYPOINT":
			cfg.Entrypoint = commandForm(rest)
			if !cmdSet {
				cfg.Cmd = nil
			}
		case "ENV":
			err = applyEnv(&cfg, rest)
		case "LABEL":
			err = applyLabels(&cfg, rest)
		case "EXPOSE":
			err = applyExpose(&cfg, rest)
		case "USER":
			cfg.User = rest
		case "VOLUME":
			err = applyVolumes(&cfg, rest)
		case "WORKDIR":
			cfg.WorkingDir = workdir(cfg.WorkingDir, rest)
		case "STOPSIGNAL":
			cfg.StopSignal = rest
		default:
			err = fmt.Errorf("%s is not a valid change command", instr)
		}
		if err != nil {
			return cfg, fmt.Errorf("change %q: %v: %w", change, err, errdefs.ErrInvalidArgument)
		}
	}
	return cfg, nil
}

// commandForm parses the exec form (a JSON array) or the shell form.
func commandForm(s string) []string {
	var args []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &args) == nil {
		return args
	}
	if s == "" {
		return nil
	}
	return []string{"/bin/sh", "-c", s}
}

func applyEnv(cfg *dockerspec.DockerOCIImageConfig, rest string) error {
	pairs, err := keyValues(rest)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		key := kv[0] + "="
		replaced := false
		for i, e := range cfg.Env {
			if strings.HasPrefix(e, key) {
				cfg.Env[i], replaced = key+kv[1], true
			}
		}
		if !replaced {
			cfg.Env = append(cfg.Env, key+kv[1])
		}
	}
	return nil
}

func applyLabels(cfg *dockerspec.DockerOCIImageConfig, rest string) error {
	pairs, err := keyValues(rest)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		cfg.Labels[kv[0]] = kv[1]
	}
	return nil
}

// keyValues parses `k=v k2="v 2"` or the legacy `key value with spaces`.
func keyValues(rest string) ([][2]string, error) {
	words, err := splitWords(rest)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("missing arguments")
	}
	if !strings.Contains(words[0], "=") {
		key, val, _ := strings.Cut(rest, " ")
		return [][2]string{{key, strings.TrimSpace(val)}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("syntax error: %q is not key=value", w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func applyExpose(cfg *dockerspec.DockerOCIImageConfig, rest string) error {
	for _, p := range strings.Fields(rest) {
		port, proto, _ := strings.Cut(strings.ToLower(p), "/")
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			return fmt.Errorf("invalid protocol %q", proto)
		}
		bounds := strings.Split(port, "-")
		if len(bounds) > 2 {
			return fmt.Errorf("invalid port %q", p)
		}
		for _, n := range bounds {
			if v, err := strconv.ParseUint(n, 10, 16); err != nil || v == 0 {
				return fmt.Errorf("invalid port %q", p)
			}
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		cfg.ExposedPorts[port+"/"+proto] = struct{}{}
	}
	return nil
}

func applyVolumes(cfg *dockerspec.DockerOCIImageConfig, rest string) error {
	var vols []string
	if !strings.HasPrefix(rest, "[") || json.Unmarshal([]byte(rest), &vols) != nil {
		vols = strings.Fields(rest)
	}
	if len(vols) == 0 {
		return fmt.Errorf("VOLUME requires at least one argument")
	}
	for _, v := range vols {
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		cfg.Volumes[v] = struct{}{}
	}
	return nil
}

func workdir(cur, dir string) string {
	if path.IsAbs(dir) {
		return path.Clean(dir)
	}
	return path.Join("/", cur, dir)
}

// splitWords splits on spaces outside quotes; quotes are removed and a
// backslash escapes the next character outside single quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord, escaped := false, false
	for _, c := range s {
		switch {
		case escaped:
			cur.WriteRune(c)
			escaped = false
		case c == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
