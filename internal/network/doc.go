// Package network holds what every network driver shares: the /etc/hosts
// and /etc/resolv.conf content given to containers. Drivers live in
// subpackages named for their mechanism (bridge). It imports no other
// Berth package.
package network
