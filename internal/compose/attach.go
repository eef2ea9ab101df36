package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Cascade policies of an attached up.
const (
	CascadeStop = "stop" // --abort-on-container-exit: the first container to exit stops the others
	CascadeFail = "fail" // --abort-on-container-failure: the first to exit with a failure does
)

// AttachOptions tune Attach.
type AttachOptions struct {
	Services     []string
	NoPrefix     bool
	Timestamps   bool
	Cascade      string // "", CascadeStop or CascadeFail
	ExitCodeFrom string // --exit-code-from: the service whose exit code up returns
	Timeout      *int   // stop timeout of a cascade (nil: each container's own)
}

// Attach is `up` without -d: it follows the logs of the project's
// containers (of o.Services, or all) until every one has exited, printing
// "<name> exited with code N" as each does. With a cascade, the first
// container to exit (with a failure for CascadeFail) stops the others. It
// returns the exit code up exits with, as Docker Compose does: the code of
// the container that set off the cascade, or of the first container of
// ExitCodeFrom to exit; 0 otherwise.
func (c *Compose) Attach(ctx context.Context, p *types.Project, o AttachOptions, out io.Writer) (int, error) {
	ctrs, err := c.containers(ctx, p.Name, false, o.Services...)
	if err != nil {
		return 0, err
	}
	a := &attachment{c: c, ctx: ctx, p: p, o: o, out: out}
	lo := LogsOptions{Follow: true, NoPrefix: o.NoPrefix, Timestamps: o.Timestamps}
	var wg sync.WaitGroup
	errs := make([]error, len(ctrs))
	prefixes := logPrefixes(ctrs, o.NoPrefix)
	for i, ctr := range ctrs {
		prefix := prefixes[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &lineWriter{mu: &a.outMu, out: out, prefix: prefix}
			errs[i] = c.containerLogs(ctx, ctr.ID, lo, w)
			w.flush()
			if errs[i] == nil && ctx.Err() == nil {
				a.exited(ctr)
			}
		}()
	}
	wg.Wait()
	a.stops.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.code, errors.Join(append(errs, a.stopErr)...)
}

// attachment is the state of one Attach: which exit set off the cascade
// and the exit code to return.
type attachment struct {
	c       *Compose
	ctx     context.Context
	p       *types.Project
	o       AttachOptions
	out     io.Writer
	outMu   sync.Mutex // serialises lines on out
	stops   sync.WaitGroup
	mu      sync.Mutex
	code    int
	aborted bool
	fromSet bool
	stopErr error
}

// exited handles the end of ctr's log stream: its container has exited.
func (a *attachment) exited(ctr container.Summary) {
	code := 0
	res, err := a.c.api.ContainerInspect(context.WithoutCancel(a.ctx), ctr.ID, client.ContainerInspectOptions{})
	if err == nil && res.Container.State != nil {
		code = res.Container.State.ExitCode
	}
	a.outMu.Lock()
	fmt.Fprintf(a.out, "%s exited with code %d\n", containerName(ctr), code)
	a.outMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.o.Cascade != "" && !a.aborted && (a.o.Cascade == CascadeStop || code != 0) {
		a.aborted, a.code = true, code
		a.c.printf("Aborting on container exit...")
		a.stops.Add(1)
		go a.stopAll()
	}
	if a.o.ExitCodeFrom != "" && !a.fromSet && ctr.Labels[LabelService] == a.o.ExitCodeFrom {
		a.fromSet, a.code = true, code
	}
}

func (a *attachment) stopAll() {
	defer a.stops.Done()
	err := a.c.Stop(context.WithoutCancel(a.ctx), a.p, a.o.Timeout, a.o.Services...)
	a.mu.Lock()
	a.stopErr = err
	a.mu.Unlock()
}
