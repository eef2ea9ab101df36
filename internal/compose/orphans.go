package compose

import (
	"context"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
)

// Orphans are the project's containers whose service the compose files do
// not define any more (neither enabled nor disabled by a profile), as after
// a service is removed or renamed. up and down leave them alone, with a
// warning, unless --remove-orphans is given, as Docker Compose does.

// splitOrphans separates ctrs into the containers of services p defines and
// the orphans.
func splitOrphans(p *types.Project, ctrs []container.Summary) (own, orphans []container.Summary) {
	for _, ctr := range ctrs {
		name := ctr.Labels[LabelService]
		_, enabled := p.Services[name]
		_, disabled := p.DisabledServices[name]
		if enabled || disabled {
			own = append(own, ctr)
		} else {
			orphans = append(orphans, ctr)
		}
	}
	return own, orphans
}

// handleOrphans removes the project's orphan containers (stopping them
// with timeout) when remove, else warns about them.
func (c *Compose) handleOrphans(ctx context.Context, p *types.Project, remove bool, timeout *int) error {
	ctrs, err := c.containers(ctx, p.Name, false)
	if err != nil {
		return err
	}
	_, orphans := splitOrphans(p, ctrs)
	if remove {
		return c.removeAll(ctx, orphans, false, timeout)
	}
	c.warnOrphans(orphans)
	return nil
}

func (c *Compose) warnOrphans(orphans []container.Summary) {
	if len(orphans) == 0 {
		return
	}
	names := make([]string, len(orphans))
	for i, o := range orphans {
		names[i] = containerName(o)
	}
	c.printf("WARN Found orphan containers ([%s]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.", strings.Join(names, " "))
}
