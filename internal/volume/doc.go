// Package volume is Berth's volume store: named and anonymous volumes
// recorded in the metadata database (bucket "volumes", one JSON record per
// name) with their data kept by the local driver under
// <data-root>/volumes/<name>/_data.
//
// A volume is in use while any container (running or not) mounts it; the
// store learns about users through the Users function given to New, so
// container records stay the single source of truth.
package volume
