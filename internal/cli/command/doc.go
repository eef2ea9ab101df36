// Package command holds what every berth CLI command shares: the CLI value
// (streams and a lazily connected API client that starts a daemon on
// demand), docker-compatible exit statuses and argument validators.
// It must not import the command group packages.
package command
