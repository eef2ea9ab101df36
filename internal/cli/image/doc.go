// Package image holds the image commands (images, import, rmi, tag) with
// docker's flags and output. It talks to the daemon only through
// command.CLI's API client.
package image
