package daemon

import (
	"os"
	"path/filepath"
)

// shimBinary picks the binary run as each container's shim: the lean
// `berth-shim` next to the berth binary when it is there, else berth itself
// (`berth shim`). Both run the same code; the lean one holds only the shim's
// packages, so each container's monitor starts faster and keeps about half
// the private memory of the full binary (see bench/runtime.sh).
func shimBinary(self string) string {
	lean := filepath.Join(filepath.Dir(self), "berth-shim")
	if st, err := os.Stat(lean); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return lean
	}
	return self
}
