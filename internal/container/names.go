package container

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"

	"github.com/containerd/errdefs"
)

var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

func validateName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed: %w", name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// Words for generated names: harbour things and famous navigators.
var (
	nameLeft = []string{
		"agile", "amber", "ample", "bold", "brave", "brisk", "calm", "clever", "cosy", "crisp",
		"daring", "deft", "eager", "fair", "fleet", "gentle", "glad", "grand", "hardy", "jolly",
		"keen", "kind", "lively", "loyal", "lucid", "mellow", "merry", "nimble", "noble", "plucky",
		"proud", "quick", "quiet", "rapid", "serene", "sharp", "shy", "silent", "sleek", "snug",
		"steady", "stoic", "sunny", "swift", "tidy", "trusty", "vivid", "wary", "wise", "zesty",
	}
	nameRight = []string{
		"anchor", "barge", "beacon", "bollard", "buoy", "cabin", "capstan", "cove", "dinghy", "dock",
		"ferry", "galley", "harbor", "hull", "jetty", "keel", "ketch", "lantern", "lighthouse", "mast",
		"mooring", "pier", "quay", "rudder", "sail", "schooner", "skiff", "sloop", "tide", "wharf",
		"cabot", "cook", "magellan", "nansen", "drake", "hudson", "tasman", "zheng", "vespucci", "bering",
	}
)

func pick(words []string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
	return words[n.Int64()]
}

// generateName returns an unused "adjective_noun" name, with a numeric
// suffix after repeated collisions as Docker does.
func generateName(taken func(string) bool) string {
	for i := 0; ; i++ {
		name := pick(nameLeft) + "_" + pick(nameRight)
		if i > 10 {
			n, _ := rand.Int(rand.Reader, big.NewInt(10))
			name = fmt.Sprintf("%s%d", name, n.Int64())
		}
		if !taken(name) {
			return name
		}
	}
}

// newID returns a random 64-hex-character container ID that does not start
// with digits only in its short form (Docker avoids all-numeric short IDs so
// they are never confused with PIDs... we keep the same rule).
func newID() string {
	for {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		for _, r := range id[:12] {
			if r >= 'a' {
				return id
			}
		}
	}
}
