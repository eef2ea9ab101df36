package bridge

import (
	"flag"
	"net"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestRulesGolden(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("172.18.0.0/16")
	got := newRuleSet("berth", "berth0", subnet).render()
	const path = "testdata/rules.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("rules differ from %s (go test -update to accept):\n%s", path, got)
	}
}
