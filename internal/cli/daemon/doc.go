// Package daemon is the `berth daemon` command: dockerd-compatible flags
// filled into internal/daemon's Config, then the engine runs until SIGINT
// or SIGTERM. Only bin/berth-daemon links it (Main): the berth CLI runs
// that binary for `berth daemon` and so links no engine code.
package daemon
