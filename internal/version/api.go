package version

// The Engine API versions Berth serves: the newest, which its CLI also
// speaks, and the oldest.
const (
	APIVersion    = "1.47"
	MinAPIVersion = "1.24"
)
