package runtime

import (
	"encoding/json"
	"errors"

	"github.com/containerd/errdefs"
)

// Ops of the shim protocol. Each request is one JSON line (Request) and
// gets one JSON line back (Response). "attach" turns the connection into a
// raw byte stream after the reply; "wait" replies when the container exited
// and the shim closes the connection once it is completely done.
const (
	OpInfo    = "info"    // → Pid, Bundle
	OpRelease = "release" // start copying output
	OpKill    = "kill"    // Signal
	OpResize  = "resize"  // Width, Height
	OpWait    = "wait"    // → Exit
	OpAttach  = "attach"  // Stream: stdin|stdout|stderr
	OpExec    = "exec"    // Exec, Process, Stdin, Width, Height → Pid
	OpPause   = "pause"   // freeze the container (runc pause)
	OpResume  = "resume"  // thaw it (runc resume)
	OpStart   = "start"   // release an init held after create (StartOptions.HoldStart)
)

// Request is one call to the shim.
type Request struct {
	Op     string `json:"op"`
	Stream string `json:"stream,omitempty"`
	Signal int    `json:"signal,omitempty"`
	Width  uint16 `json:"width,omitempty"`
	Height uint16 `json:"height,omitempty"`
	// Exec names an exec process: OpExec starts it; attach, release,
	// resize and wait then address it instead of the container's init.
	Exec    string          `json:"exec,omitempty"`
	Process json.RawMessage `json:"process,omitempty"` // OpExec: runtime-spec Process
	Stdin   bool            `json:"stdin,omitempty"`   // OpExec: open a stdin
}

// Response answers a Request; it is also the ready line the shim writes on
// fd 3 at start ({"pid":N} or {"error":"…"}).
type Response struct {
	Error  string      `json:"error,omitempty"`
	Kind   string      `json:"kind,omitempty"` // errdefs class of Error
	Pid    int         `json:"pid,omitempty"`
	Bundle string      `json:"bundle,omitempty"`
	Exit   *ExitStatus `json:"exit,omitempty"`
}

var kinds = []struct {
	name string
	err  error
}{
	{"not_found", errdefs.ErrNotFound},
	{"conflict", errdefs.ErrConflict},
	{"invalid", errdefs.ErrInvalidArgument},
	{"unavailable", errdefs.ErrUnavailable},
	{"not_implemented", errdefs.ErrNotImplemented},
}

// ErrorResponse carries err and its errdefs class over the wire.
func ErrorResponse(err error) Response {
	r := Response{Error: err.Error()}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			r.Kind = k.name
			break
		}
	}
	return r
}

// Err rebuilds the error of a Response, nil if it succeeded.
func (r Response) Err() error {
	if r.Error == "" {
		return nil
	}
	for _, k := range kinds {
		if r.Kind == k.name {
			return &remoteError{msg: r.Error, kind: k.err}
		}
	}
	return &remoteError{msg: r.Error, kind: errdefs.ErrUnknown}
}

type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }
