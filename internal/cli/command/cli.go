package command

import (
	"context"
	"io"
	"os"
	"sync"

	"github.com/moby/moby/client"
)

// DefaultHost is where `berth daemon` listens unless told otherwise.
const DefaultHost = "unix:///run/berth/berth.sock"

// HostEnv names the environment variable that overrides DefaultHost.
// DOCKER_HOST is deliberately not consulted.
const HostEnv = "BERTH_HOST"

// APIClient is the part of the Engine API client the commands use; it is
// the seam for fakes in tests.
type APIClient = client.APIClient

// CLI carries the streams and the API connection shared by all commands.
type CLI struct {
	In  *os.File
	Out io.Writer
	Err io.Writer

	// Host is the daemon address (-H, BERTH_HOST or DefaultHost).
	Host string
	// AutoStart, when set, is called before connecting to make sure a daemon
	// listens on Host.
	AutoStart func(ctx context.Context, host string) error

	once   sync.Once
	client APIClient
	poster *poster // nil with a client from NewWithClient
	err    error
}

// New returns a CLI on the process's standard streams.
func New() *CLI {
	return &CLI{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Host: DefaultHost}
}

// NewWithClient returns a CLI that uses c, for tests.
func NewWithClient(c APIClient, out, errOut io.Writer) *CLI {
	cli := &CLI{Out: out, Err: errOut, client: c}
	cli.once.Do(func() {})
	return cli
}

// Client returns the API client, connecting (and starting a daemon when
// allowed) on first use. It speaks Berth's API version, or the daemon's
// when that is older (newClient).
func (c *CLI) Client(ctx context.Context) (APIClient, error) {
	c.once.Do(func() {
		if c.AutoStart != nil {
			if c.err = c.AutoStart(ctx, c.Host); c.err != nil {
				return
			}
		}
		var api *client.Client
		api, c.poster, c.err = newClient(c.Host)
		if c.err == nil {
			c.client = api
		}
	})
	return c.client, c.err
}

// Close releases the client's idle connections.
func (c *CLI) Close() error {
	if c.client == nil {
		return nil
	}
	return c.client.Close()
}
