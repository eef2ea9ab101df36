// Package version holds Berth's build information, set with -ldflags -X at
// build time; the CLI and the daemon binaries both read it.
package version

var (
	Version   = "0.1.0-dev"
	GitCommit = ""
	BuildTime = ""
)
