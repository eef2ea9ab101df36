// Package pid1 is the minimal init `docker run --init` puts in front of a
// container's command (Berth bind-mounts its own static binary at
// /sbin/docker-init and runs it in the `berth init` mode): it starts the
// command, forwards the signals it receives to it, reaps every zombie that
// is reparented to it, and exits with the command's status (128+signal when
// a signal killed it), as tini does.
//
// It imports no other Berth package and must stay tiny: it runs in every
// --init container for the container's whole life.
package pid1
