package cgroup

import (
	"os"
	"testing"

	"github.com/berth-engine/berth/internal/testutil"
)

func TestBlockScheduler(t *testing.T) {
	root := t.TempDir()
	testutil.WriteFiles(t, root, map[string]string{
		"disk/queue/scheduler": "none [mq-deadline] kyber bfq\n",
		"disk/part/dev":        "254:1\n",
		"loop/queue/scheduler": "[bfq] none\n",
		"md/queue/scheduler":   "none\n",
	})
	links := map[string]string{"254:0": "disk", "254:1": "disk/part", "7:0": "loop", "9:0": "md"}
	for dev, target := range links {
		if err := os.Symlink(root+"/"+target, root+"/"+dev); err != nil {
			t.Fatal(err)
		}
	}
	saved := sysDevBlock
	sysDevBlock = root
	t.Cleanup(func() { sysDevBlock = saved })
	tests := []struct {
		major, minor int64
		want         string
		weights      bool
	}{
		{254, 0, "mq-deadline", false},
		{254, 1, "mq-deadline", false},
		{7, 0, "bfq", true},
		{9, 0, "none", false},
		{8, 0, "", false},
	}
	for _, tt := range tests {
		got := BlockScheduler(tt.major, tt.minor)
		if got != tt.want || TakesWeights(got) != tt.weights {
			t.Errorf("%d:%d: scheduler %q (weights %v), want %q", tt.major, tt.minor, got, TakesWeights(got), tt.want)
		}
	}
}
