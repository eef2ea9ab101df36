// Package daemon is the `berth daemon` command: dockerd-compatible flags
// filled into internal/daemon's Config, then the engine runs until SIGINT
// or SIGTERM. It is the only CLI package that imports engine code.
package daemon
