package emulators

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the emulator when the test
// binary dies without running Stop (a timeout panic, a kill -9).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
