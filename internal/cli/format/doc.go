// Package format renders command output the way the docker CLI does: Go
// templates with docker's helper functions, "table" formats aligned with a
// tabwriter, `json` lines, and per-object contexts (containers, images)
// whose methods are the template placeholders. It does no I/O besides writing
// to the io.Writer it is given and must not import the API client.
package format
