package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// randomValue is a value that appears nowhere unless the test put it there.
func randomValue(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + "-" + hex.EncodeToString(b)
}

// filesContaining lists the regular files under root that contain value.
func filesContaining(t *testing.T, root, value string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil // vanished or special file
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.Contains(data, []byte(value)) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestComposeSecretsAndConfigs mounts secrets and configs from the
// environment, inline content and files, with their targets, owners and
// modes; the values stay out of labels, image layers and metadata (only the
// container's own writable layer holds them) and `down` removes them.
func TestComposeSecretsAndConfigs(t *testing.T) {
	d := newDaemon(t)
	dir := caseDir(t, "secrets")
	c := d.Client(t)
	password, key, conf := randomValue(t, "pw"), randomValue(t, "key"), randomValue(t, "conf")
	env := []string{"DB_PASSWORD=" + password, "API_KEY=" + key, "ENV_CONF=" + conf, "LISTEN_PORT=9090"}
	compose(t, d, dir, env, "-p", "sec", "up", "-d")
	exec := func(cmd string) string {
		return strings.TrimSpace(compose(t, d, dir, env, "-p", "sec", "exec", "-T", "app", "sh", "-c", cmd))
	}
	for cmd, want := range map[string]string{
		"cat /run/secrets/db_password":                password,
		"stat -c '%u:%g %a' /run/secrets/db_password": "0:0 444",
		"cat /run/secrets/api.key":                    key,
		"stat -c '%u:%g %a' /run/secrets/api.key":     "1000:1001 400",
		"cat /run/secrets/file_token":                 "file-token-value",
		"cat /inline_conf":                            "listen=9090",
		"cat /etc/app/env.conf":                       conf,
		"stat -c '%u:%g %a' /etc/app/env.conf":        "1000:0 640",
	} {
		if got := exec(cmd); got != want {
			t.Errorf("%s: %q, want %q", cmd, got, want)
		}
	}
	// A one-off container gets them too.
	if got := compose(t, d, dir, env, "-p", "sec", "run", "--rm", "-T", "app", "cat", "/run/secrets/db_password"); !strings.Contains(got, password) {
		t.Errorf("run: %q", got)
	}
	ctrs := byName(projectContainers(t, c, "sec"))
	id := ctrs["sec-app-1"].ID
	for k, v := range ctrs["sec-app-1"].Labels {
		if strings.Contains(v, password) || strings.Contains(v, key) {
			t.Errorf("label %s carries a secret", k)
		}
	}
	if len(filesContaining(t, d.Root, password)) == 0 {
		t.Error("the scan finds the secret nowhere, not even in the container's writable layer")
	}
	for _, value := range []string{password, key, conf} {
		for _, f := range filesContaining(t, d.Root, value) {
			if !strings.Contains(f, id) {
				t.Errorf("%s… stored outside the container's own directories: %s", value[:3], f)
			}
		}
	}
	compose(t, d, dir, env, "-p", "sec", "down")
	assertGone(t, c, "sec")
	for _, value := range []string{password, key, conf} {
		if found := filesContaining(t, d.Root, value); len(found) > 0 {
			t.Errorf("%s… left after down in %v", value[:3], found)
		}
	}
}

// TestComposeSecretsUnsetVariable refuses a project whose secret's variable
// is not set, naming it, before anything is created.
func TestComposeSecretsUnsetVariable(t *testing.T) {
	d := newDaemon(t)
	env := []string{"API_KEY=k", "ENV_CONF=c"}
	if out := composeFail(t, d, caseDir(t, "secrets"), env, "-p", "secunset", "up", "-d"); !strings.Contains(out, "DB_PASSWORD") {
		t.Errorf("error lacks the variable: %s", out)
	}
	assertGone(t, d.Client(t), "secunset")
}

// TestDockerComposeV1FileSecret: docker-compose v1 knows secrets from files
// only (it bind-mounts them itself); the build project's token works with
// it against Berth and berth compose removes its containers.
func TestDockerComposeV1FileSecret(t *testing.T) {
	if _, err := exec.LookPath(dockerCompose); err != nil {
		t.Skip("docker-compose not installed (apt-get install docker-compose)")
	}
	d := newDaemon(t)
	dir := caseDir(t, "build")
	dc(t, d, dir, nil, "-f", "compose.yaml", "-p", "v1sec", "up", "-d")
	if got := dc(t, d, dir, nil, "-f", "compose.yaml", "-p", "v1sec", "exec", "-T", "app", "cat", "/run/secrets/token"); !strings.Contains(got, "s3cret") {
		t.Errorf("secret: %q", got)
	}
	compose(t, d, dir, nil, "-p", "v1sec", "down", "--rmi", "local")
	assertGone(t, d.Client(t), "v1sec")
}
