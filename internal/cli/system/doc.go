// Package system holds the commands about the engine and its objects as a
// whole: inspect (containers and images), version and info, rendered in
// docker's layouts. It talks to the daemon only through command.CLI's API
// client.
package system
