package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/moby/moby/api/types/jsonstream"
)

// DisplayStream prints a daemon's JSON progress stream (pull, import, load)
// line by line, as docker does when the output is not a terminal, and
// returns the first error message the stream carries.
func DisplayStream(r io.Reader, out io.Writer) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := display(m, out); err != nil {
			return err
		}
	}
}

func display(m jsonstream.Message, out io.Writer) error {
	if m.Error != nil {
		return m.Error
	}
	if m.Progress != nil && (m.Progress.Current > 0 || m.Progress.Total > 0) {
		return nil // no progress bars outside a terminal
	}
	if m.Status == "" && m.Stream == "" {
		return nil // aux or empty messages
	}
	if m.ID != "" {
		fmt.Fprintf(out, "%s: ", m.ID)
	}
	if m.Stream != "" {
		fmt.Fprint(out, m.Stream)
		return nil
	}
	fmt.Fprintln(out, m.Status)
	return nil
}
