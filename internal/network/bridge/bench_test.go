package bridge

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkAttachDetach measures the `docker run` critical-path cost.
func BenchmarkAttachDetach(b *testing.B) {
	if outsideTestNetNS() {
		b.Skip("needs root and unshare(1)")
	}
	ctx := context.Background()
	dir := b.TempDir()
	n, err := New(ctx, Config{BridgeName: "bb0", NetNSDir: dir, TableName: "berth-bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = n.Prune(ctx, nil); _ = n.Teardown(ctx) })
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("bench%012d", i)
		if _, err := n.Attach(ctx, id); err != nil {
			b.Fatal(err)
		}
		if err := n.Detach(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
