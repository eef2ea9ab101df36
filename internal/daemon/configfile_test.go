package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "daemon.json")
	cases := []struct {
		name    string
		body    string
		set     map[string]bool
		wantErr bool
		check   func(Config) bool
	}{
		{"values", `{"data-root":"/x","bridge":"b1","hosts":["unix:///tmp/s"]}`, nil, false,
			func(c Config) bool { return c.DataRoot == "/x" && c.Bridge == "b1" && c.Hosts[0] == "unix:///tmp/s" }},
		{"insecure registries", `{"insecure-registries":["reg.test:5000","10.0.0.0/8"]}`, nil, false,
			func(c Config) bool {
				return len(c.InsecureRegistries) == 2 && c.InsecureRegistries[0] == "reg.test:5000"
			}},
		{"insecure registries with flag", `{"insecure-registries":["a"]}`, map[string]bool{"insecure-registry": true}, true, nil},
		{"unknown key", `{"nope":1}`, nil, true, nil},
		{"conflict with flag", `{"data-root":"/x"}`, map[string]bool{"data-root": true}, true, nil},
		{"malformed", `{`, nil, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			var c Config
			err := LoadConfigFile(p, &c, tc.set, true)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(c) {
				t.Fatalf("config not applied: %+v", c)
			}
		})
	}
	var c Config
	if err := LoadConfigFile(filepath.Join(dir, "absent.json"), &c, nil, false); err != nil {
		t.Fatalf("absent optional file: %v", err)
	}
}
