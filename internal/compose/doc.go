// Package compose runs compose projects (the compose specification, loaded
// with compose-go) against a Berth daemon through the Engine API client, as
// Docker Compose does: containers, networks and volumes carry Docker
// Compose's com.docker.compose.* labels and names, so either tool sees the
// same project.
//
// It talks to the daemon only through github.com/moby/moby/client; it must
// not import the engine's internal packages nor cobra.
package compose
