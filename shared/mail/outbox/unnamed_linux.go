package outbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"
)

// oTmpfile is O_TMPFILE: __O_TMPFILE (the same on every Linux port Go
// supports) with O_DIRECTORY (which is not).
const oTmpfile = 0o20000000 | syscall.O_DIRECTORY

// writeUnnamed writes raw to a new file without a name in dir, syncs it,
// and links it in as the first free name for base. ok is false, with
// nothing written, where the kernel, the file system or a missing /proc
// does not allow it.
func writeUnnamed(dir string, raw []byte, base string) (name string, ok bool, err error) {
	f, err := os.OpenFile(dir, oTmpfile|os.O_WRONLY|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) && (errno == syscall.EOPNOTSUPP || errno == syscall.EISDIR || errno == syscall.EINVAL) {
			return "", false, nil
		}
		return "", true, fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	_, werr := f.Write(raw)
	serr := f.Sync()
	if err := errors.Join(werr, serr); err != nil {
		return "", true, fmt.Errorf("outbox: write %s: %w", base, err)
	}
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	for i := 1; i <= maxCollisions; i++ {
		name := fileName(base, i)
		err := linkFollow(proc, filepath.Join(dir, name))
		switch {
		case err == nil:
			return name, true, nil
		case errors.Is(err, syscall.EEXIST):
			continue
		case i == 1 && (errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSYS)):
			// No /proc, or linking it is refused: the caller writes
			// the message again under a temporary name.
			if _, serr := os.Stat(dir); serr == nil {
				return "", false, nil
			}
		}
		return "", true, fmt.Errorf("outbox: link %s: %w", name, err)
	}
	return "", true, fmt.Errorf("outbox: %d messages named %s", maxCollisions, base)
}

// linkFollow is linkat(2) with AT_SYMLINK_FOLLOW, which gives the file
// behind a /proc/self/fd link a name; it never replaces newpath.
func linkFollow(oldpath, newpath string) error {
	o, err := syscall.BytePtrFromString(oldpath)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(newpath)
	if err != nil {
		return err
	}
	const atFDCWD, atSymlinkFollow = -0x64, 0x400
	fdcwd := atFDCWD
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(fdcwd), uintptr(unsafe.Pointer(o)),
			uintptr(fdcwd), uintptr(unsafe.Pointer(n)), atSymlinkFollow, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}
