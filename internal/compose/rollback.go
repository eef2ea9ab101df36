package compose

import (
	"context"
	"sync"

	"github.com/moby/moby/client"
)

// journal records what one Up created, so a failed Up can remove it again
// and leave nothing half-created.
type journal struct {
	mu               sync.Mutex
	ctrs, nets, vols []string
}

type journalKey struct{}

func withJournal(ctx context.Context, j *journal) context.Context {
	return context.WithValue(ctx, journalKey{}, j)
}

func journalOf(ctx context.Context) *journal {
	j, _ := ctx.Value(journalKey{}).(*journal)
	return j
}

func (j *journal) add(list *[]string, id string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	*list = append(*list, id)
}

// rollback removes, best effort, what the journal recorded: containers,
// then networks and volumes.
func (c *Compose) rollback(ctx context.Context, j *journal) {
	ctx = context.WithoutCancel(ctx)
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, id := range j.ctrs {
		_, _ = c.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
	for _, id := range j.nets {
		_, _ = c.api.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	}
	for _, name := range j.vols {
		_, _ = c.api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	}
	if len(j.ctrs)+len(j.nets)+len(j.vols) > 0 {
		c.printf(" Rolled back: removed %d containers, %d networks, %d volumes created by this up", len(j.ctrs), len(j.nets), len(j.vols))
	}
}
