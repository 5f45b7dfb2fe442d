//go:build !linux

package emulators

import "os/exec"

// setParentDeathSignal does nothing off Linux, which has no parent-death
// signal; there only Run (or Stop) ends the emulators.
func setParentDeathSignal(*exec.Cmd) {}
