package container

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/berth-engine/berth/internal/runtime"
)

// relayExec connects the exec's streams to client and copies until its
// output ends; the returned channel closes then. It returns once the
// streams are connected, so no output produced after the release is lost.
func (s *Service) relayExec(ctx context.Context, e *Exec, sh *runtime.Shim, client io.ReadWriteCloser) <-chan struct{} {
	cfg := e.Config
	a := &attacher{opts: AttachOptions{Multiplexed: !cfg.Tty}, client: client}
	done := make(chan struct{})
	var wg sync.WaitGroup
	streams := []struct {
		want bool
		name string
		kind byte
	}{{cfg.AttachStdout, "stdout", 1}, {cfg.AttachStderr && !cfg.Tty, "stderr", 2}}
	for _, st := range streams {
		if !st.want {
			continue
		}
		conn, err := sh.ExecAttach(ctx, e.ID, st.name)
		if err != nil {
			s.log.Warn("attach exec stream", "exec", e.ID, "stream", st.name, "err", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			a.copyOut(conn, st.kind)
		}()
	}
	if cfg.AttachStdin {
		if conn, err := sh.ExecAttach(ctx, e.ID, "stdin"); err != nil {
			s.log.Warn("attach exec stdin", "exec", e.ID, "err", err)
		} else {
			go relayStdin(conn, client)
		}
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// relayStdin copies the client's input to the exec's stdin and half-closes
// it at EOF, which closes the process's stdin (without a tty).
func relayStdin(conn net.Conn, client io.Reader) {
	defer conn.Close()
	_, _ = io.Copy(conn, client)
	if uc, ok := conn.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
}
