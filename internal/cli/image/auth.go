package image

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/atomicfile"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// hubServer is the key Docker Hub credentials are stored under.
const hubServer = "https://index.docker.io/v1/"

// configFile is ~/.docker/config.json ($DOCKER_CONFIG/config.json), the
// docker CLI's file: credentials live in "auths" as base64 user:password;
// every other key is kept untouched.
type configFile struct {
	path  string
	raw   map[string]json.RawMessage
	auths map[string]authEntry
}

type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

func configPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".docker", "config.json")
}

func loadConfig() (*configFile, error) {
	c := &configFile{path: configPath(), raw: map[string]json.RawMessage{}, auths: map[string]authEntry{}}
	data, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &c.raw); err != nil {
		return nil, fmt.Errorf("%s: %w", c.path, err)
	}
	if a, ok := c.raw["auths"]; ok {
		if err := json.Unmarshal(a, &c.auths); err != nil {
			return nil, fmt.Errorf("%s: auths: %w", c.path, err)
		}
	}
	return c, nil
}

func (c *configFile) save() error {
	a, err := json.Marshal(c.auths)
	if err != nil {
		return err
	}
	c.raw["auths"] = a
	data, err := json.MarshalIndent(c.raw, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(c.path, data, 0o600)
}

// serverKey normalizes a registry address the way the docker CLI keys it.
func serverKey(server string) string {
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://"), "/")
	switch s {
	case "", "docker.io", "index.docker.io", "index.docker.io/v1", "registry-1.docker.io":
		return hubServer
	}
	return s
}

// authFor returns the stored credentials for server ("" if none).
func (c *configFile) authFor(server string) registry.AuthConfig {
	key := serverKey(server)
	e, ok := c.auths[key]
	if !ok {
		for k, v := range c.auths { // entries written with a scheme
			if serverKey(k) == key {
				e, ok = v, true
				break
			}
		}
	}
	if !ok {
		return registry.AuthConfig{}
	}
	a := registry.AuthConfig{ServerAddress: key, IdentityToken: e.IdentityToken}
	if raw, err := base64.StdEncoding.DecodeString(e.Auth); err == nil {
		a.Username, a.Password, _ = strings.Cut(string(raw), ":")
	}
	return a
}

// encodedAuth returns the X-Registry-Auth value for the registry of ref.
func encodedAuth(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	c, err := loadConfig()
	if err != nil {
		return "", err
	}
	return encodeAuth(c.authFor(reference.Domain(named)))
}

func encodeAuth(a registry.AuthConfig) (string, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}
