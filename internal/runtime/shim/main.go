package shim

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-engine/berth/internal/runtime"
)

// readyFd is where Start expects the ready line.
const readyFd = 3

// Main runs the shim with the flags that follow "shim" on the command line
// (`berth shim --id …`: call os.Exit(shim.Main(os.Args[2:]))). It returns
// the process exit code.
func Main(args []string) int {
	unix.CloseOnExec(readyFd) // neither runc nor the container may inherit it
	ready := os.NewFile(readyFd, "ready")
	var opts runtime.StartOptions
	var err error
	if len(args) == 1 && args[0] == runtime.AwaitOptionsFlag {
		opts, err = runtime.ReceiveOptions(runtime.OptionsFd) // launched early: see runtime.Launch
	} else {
		opts, err = runtime.ParseShimArgs(args)
	}
	if err != nil {
		report(ready, runtime.Response{Error: err.Error()})
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(&lazyFile{path: filepath.Join(opts.Bundle, shimLog)}, nil)))
	s := newShim(opts)
	pid, err := s.start()
	if err != nil {
		report(ready, runtime.Response{Error: err.Error()})
		s.abort()
		return 1
	}
	if err := report(ready, runtime.Response{Pid: pid}); err != nil {
		s.kill(unix.SIGKILL) // nobody waits for this container: stop it, then clean up
	}
	go func() {
		time.Sleep(releaseTimeout)
		s.release()
	}()
	s.finish(s.waitExit())
	return 0
}

// report writes the ready line and closes the pipe.
func report(ready *os.File, r runtime.Response) error {
	defer ready.Close()
	data, _ := json.Marshal(r)
	if _, err := ready.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("report to daemon: %w", err)
	}
	return nil
}

// shimLog holds the shim's own warnings, in the bundle.
const shimLog = "shim.log"

// lazyFile creates its file on the first write: most shims never warn, and
// a file creation on the start path costs time.
type lazyFile struct {
	path string
	once sync.Once
	f    *os.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	l.once.Do(func() {
		l.f, _ = os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	})
	if l.f == nil {
		return len(p), nil // nowhere to log: drop it
	}
	return l.f.Write(p)
}
