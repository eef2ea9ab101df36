// Package image holds the image commands (images, import, rmi, tag, pull,
// push, login, logout, save, load, history) with
// docker's flags and output. It talks to the daemon only through
// command.CLI's API client; login and logout also keep credentials in
// the docker CLI's config.json.
package image
