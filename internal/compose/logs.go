package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// LogsOptions tune Logs.
type LogsOptions struct {
	Services   []string
	Follow     bool
	Tail       string
	Timestamps bool
	NoPrefix   bool
	Since      string
	Until      string
	Index      int // only container number Index of each service (0: all)
}

// Logs writes the logs of the project's containers to out, each line
// prefixed with the container's name, as docker compose logs does.
func (c *Compose) Logs(ctx context.Context, project string, o LogsOptions, out io.Writer) error {
	ctrs, err := c.containers(ctx, project, false, o.Services...)
	if err != nil {
		return err
	}
	if o.Index > 0 {
		ctrs = slices.DeleteFunc(ctrs, func(ctr container.Summary) bool { return containerNumber(ctr.Labels) != o.Index })
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(ctrs))
	prefixes := logPrefixes(ctrs, o.NoPrefix)
	for i, ctr := range ctrs {
		prefix := prefixes[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &lineWriter{mu: &mu, out: out, prefix: prefix}
			errs[i] = c.containerLogs(ctx, ctr.ID, o, w)
			w.flush()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Compose) containerLogs(ctx context.Context, id string, o LogsOptions, w io.Writer) error {
	info, err := c.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	rc, err := c.api.ContainerLogs(ctx, id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: o.Follow, Tail: o.Tail,
		Timestamps: o.Timestamps, Since: o.Since, Until: o.Until,
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	if info.Container.Config != nil && info.Container.Config.Tty {
		_, err = io.Copy(w, rc)
	} else {
		_, err = stdcopy.StdCopy(w, w, rc)
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// lineWriter writes whole lines with a prefix, one writer at a time.
type lineWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix string
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.emit(l.buf[:i+1])
		l.buf = l.buf[i+1:]
	}
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.emit(append(l.buf, '\n'))
		l.buf = nil
	}
}

func (l *lineWriter) emit(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.out, l.prefix)
	_, _ = l.out.Write(line)
}

// logPrefixes are the "name | " prefixes of ctrs' log lines, padded to
// the longest name, as Docker Compose prints them ("" with noPrefix).
func logPrefixes(ctrs []container.Summary, noPrefix bool) []string {
	out := make([]string, len(ctrs))
	if noPrefix {
		return out
	}
	width := 0
	for _, ctr := range ctrs {
		width = max(width, len(containerName(ctr)))
	}
	for i, ctr := range ctrs {
		out[i] = fmt.Sprintf("%-*s | ", width, containerName(ctr))
	}
	return out
}
