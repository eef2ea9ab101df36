// Package local is Berth's "local" volume driver: each volume is a directory
// <root>/<name>/_data. A volume created with mount options (type=, device=,
// o=, like Docker's local driver) is mounted at its first use and unmounted
// when its last user releases it.
package local
