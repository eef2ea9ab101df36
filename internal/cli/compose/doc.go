// Package compose is `berth compose`: flags → compose.Load → calls on
// internal/compose, which drives the daemon through the API client.
package compose
