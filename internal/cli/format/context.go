package format

import (
	"bytes"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/containerd/errdefs"
)

// Write renders rows with format, docker-style:
//   - "table" or "table TEMPLATE": a header row (the template executed on
//     header) then one row per item, columns aligned on tabs;
//   - "json": one `{{json .}}` line per item;
//   - anything else: the Go template once per item, each followed by a newline.
//
// Literal `\t` and `\n` in the format are turned into tab and newline.
func Write(w io.Writer, format string, header any, rows []any) error {
	text, table := normalize(format)
	tmpl, err := Parse(text)
	if err != nil {
		return fmtError(err)
	}
	buf := &bytes.Buffer{}
	for _, row := range rows {
		if err := tmpl.Execute(buf, row); err != nil {
			return fmtError(err)
		}
		buf.WriteString("\n")
	}
	if !table {
		_, err := w.Write(buf.Bytes())
		return err
	}
	return writeTable(w, tmpl, header, buf)
}

func writeTable(w io.Writer, tmpl interface {
	Execute(io.Writer, any) error
}, header any, body *bytes.Buffer) error {
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	head := &bytes.Buffer{}
	if err := tmpl.Execute(head, header); err != nil {
		return fmtError(err)
	}
	if head.Len() > 0 {
		head.WriteString("\n")
	}
	if _, err := tw.Write(head.Bytes()); err != nil {
		return err
	}
	if _, err := body.WriteTo(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// normalize resolves docker's format keywords and reports whether the
// output is a table.
func normalize(format string) (string, bool) {
	table := false
	switch {
	case format == JSONKey:
		format = rawJSON
	case strings.HasPrefix(format, TableKey):
		table = true
		format = strings.TrimPrefix(format, TableKey)
	}
	format = strings.Trim(format, " ")
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	return format, table
}

// IsTable reports whether format asks for a table.
func IsTable(format string) bool { return strings.HasPrefix(format, TableKey) }

// Uses reports whether format mentions placeholder (".Size", ...).
func Uses(format, placeholder string) bool { return strings.Contains(format, placeholder) }

type templateError struct{ err error }

func (e templateError) Error() string { return "template parsing error: " + e.err.Error() }
func (e templateError) Unwrap() error { return e.err }

// Is classifies template errors as invalid arguments.
func (e templateError) Is(target error) bool { return target == errdefs.ErrInvalidArgument }

func fmtError(err error) error { return templateError{err} }
