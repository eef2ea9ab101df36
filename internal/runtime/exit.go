package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
)

// ExitFile is the name of the exit status file the shim writes in the bundle.
const ExitFile = "exit.json"

// ExitStatus is how a container ended. Code is 128+Signal when a signal
// killed it, as Docker reports.
type ExitStatus struct {
	Code     int       `json:"code"`
	ExitedAt time.Time `json:"exitedAt"`
	Signal   int       `json:"signal,omitempty"`
	// OOMKilled is set when the kernel's OOM killer killed a process of
	// the container during the run.
	OOMKilled bool `json:"oomKilled,omitempty"`
}

// ReadExitStatus reads <bundle>/exit.json; false if the shim has not written
// it (the container has not exited, or the shim died first).
func ReadExitStatus(bundle string) (ExitStatus, bool, error) {
	var st ExitStatus
	data, err := os.ReadFile(filepath.Join(bundle, ExitFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, false, fmt.Errorf("%s: %v: %w", ExitFile, err, errdefs.ErrDataLoss)
	}
	return st, true, nil
}

// StartError is the OCI runtime's failure to start a container, with its
// message as the runtime printed it and the exit code Docker reports for it.
type StartError struct {
	Msg      string
	ExitCode int // 127 command not found, 126 not executable, else 125
}

func (e *StartError) Error() string { return e.Msg }

// Unwrap classifies the error: a bad command is the caller's invalid
// argument (Docker answers 400), anything else is unknown (500).
func (e *StartError) Unwrap() error {
	if e.ExitCode == 125 {
		return errdefs.ErrUnknown
	}
	return errdefs.ErrInvalidArgument
}

// crunNotFound is crun's wording of a command missing from $PATH; Berth
// reports runc's (and so Docker's), which clients and scripts match.
var crunNotFound = regexp.MustCompile("executable file `([^`]*)` not found in \\$PATH: No such file or directory")

// newStartError classifies the runtime's message where it is born: the OCI
// runtime is another program and its message is the only signal, matched
// the way Docker matches it.
func newStartError(msg string) *StartError {
	msg = crunNotFound.ReplaceAllString(msg, `exec: "$1": executable file not found in $$PATH`)
	code := 125
	// runc: "exec: \"x\": executable file not found in $PATH", crun:
	// "executable file `x` not found in $PATH: No such file or directory".
	switch m := strings.ToLower(msg); {
	case strings.Contains(m, "executable file not found"), strings.Contains(m, "not found in $path"),
		strings.Contains(m, "no such file or directory"):
		code = 127
	case strings.Contains(m, syscall.EACCES.Error()):
		code = 126
	}
	if code != 125 {
		// Clients (the docker CLI) match Go's lower-case errno text to
		// pick 126/127; crun prints strerror's capitalised one.
		msg = strings.NewReplacer("No such file or directory", syscall.ENOENT.Error(),
			"Permission denied", syscall.EACCES.Error()).Replace(msg)
	}
	return &StartError{Msg: msg, ExitCode: code}
}

// ExitCodeFromStartError maps an error from Start to the exit code Docker
// reports for a container that failed to start: 127 (command not found), 126
// (permission denied) or 125; 0 for nil.
func ExitCodeFromStartError(err error) int {
	if err == nil {
		return 0
	}
	if se, ok := errors.AsType[*StartError](err); ok {
		return se.ExitCode
	}
	return 125
}
