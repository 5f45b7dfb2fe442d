//go:build !linux

package outbox

// writeUnnamed is not available here: messages go through temporary names.
func writeUnnamed(dir string, raw []byte, base string) (string, bool, error) {
	return "", false, nil
}
