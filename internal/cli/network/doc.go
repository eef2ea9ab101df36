// Package network is `berth network`: create, ls, inspect, rm, prune,
// connect and disconnect, as the docker CLI's network commands.
package network
