// Package container holds the container commands (run, create, start, stop,
// kill, wait, rm, restart, ps, logs): docker's flags parsed into the Engine
// API's create/list/attach requests and docker's output and exit codes.
// It talks to the daemon only through command.CLI's API client.
package container
