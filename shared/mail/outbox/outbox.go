// Package outbox is the local runtime's mailer: instead of sending, it
// writes each message as an .eml file that any mail client opens and the
// dev console lists. The bytes are those the SMTP sender would transmit,
// so what a developer sees is what a customer would get.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/mime"
)

// Outbox writes messages into one directory.
type Outbox struct {
	dir string
	// sent maps a message's step and incident (the part of its file name
	// after the time) to the file written for it, so that sending the same
	// step again, after a crash between writing it and recording it, finds
	// the message already there instead of writing a second one. Built
	// from the directory at New, so it survives restarts.
	mu   sync.Mutex
	sent map[string]string
	// named is set once writing without a name (O_TMPFILE) turned out
	// not to work here, so messages go through temporary names.
	named atomic.Bool
}

var _ mail.Sender = (*Outbox)(nil)

// New returns an outbox writing to dir, creating it if needed. The
// directory is private to the user: messages hold customers' addresses.
func New(dir string) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("outbox: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &Outbox{dir: dir, sent: map[string]string{}}
	for _, de := range des {
		if name := de.Name(); de.Type().IsRegular() && nameRE.MatchString(name) {
			if k := keyOfName(name); k != "" {
				o.sent[k] = name
			}
		}
	}
	return o, nil
}

// keyOf is what identifies a message across retries: its step and
// incident tags, as they appear in its file name; "" for an untagged one.
func keyOf(m mail.Message) string {
	step, inc := safe(m.Tags["step"]), safe(m.Tags["incident"])
	if step == "" || inc == "" {
		return ""
	}
	return step + "-" + inc
}

// keyOfName is keyOf read back from a file name Send wrote.
func keyOfName(name string) string {
	k := strings.TrimSuffix(name, ".eml")
	if len(k) <= len(stampLayout)+1 {
		return ""
	}
	k = k[len(stampLayout)+1:]
	if k == "message" {
		return ""
	}
	return collisionRE.ReplaceAllString(k, "")
}

var collisionRE = regexp.MustCompile(`-[0-9]+$`)

// Sent returns the file of a message already written for m's step and
// incident, if there is one.
func (o *Outbox) Sent(m mail.Message) (string, bool) {
	k := keyOf(m)
	if k == "" {
		return "", false
	}
	o.mu.Lock()
	name, ok := o.sent[k]
	o.mu.Unlock()
	if !ok {
		return "", false
	}
	if _, err := os.Lstat(filepath.Join(o.dir, name)); err != nil {
		return "", false
	}
	return name, true
}

// stampLayout names files by send time, so that names sort oldest first.
const stampLayout = "20060102T150405.000Z"

// maxCollisions bounds the "-2", "-3"… suffixes tried when two messages
// would get the same name.
const maxCollisions = 1000

// Send writes m as <UTC time>-<step>-<incident>.eml and returns that file
// name as the message id. The file appears complete or not at all: it is
// written under a temporary name and then linked into place. A message
// for a step and incident already in the outbox is not written again: its
// file's name is returned, as a retry after a crash needs. A message that
// cannot be built is a permanent failure; a disk error is not.
func (o *Outbox) Send(ctx context.Context, m mail.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	if name, ok := o.Sent(m); ok {
		return name, nil
	}
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	raw, err := mime.Build(m)
	if err != nil {
		if errors.Is(err, mime.ErrInvalid) {
			return "", fmt.Errorf("outbox: %w: %w", mail.ErrPermanent, err)
		}
		return "", fmt.Errorf("outbox: %w", err)
	}
	name, err := o.write(raw, baseName(m))
	if err == nil {
		if k := keyOf(m); k != "" {
			o.mu.Lock()
			o.sent[k] = name
			o.mu.Unlock()
		}
	}
	return name, err
}

// write stores raw, synced, under the first free name for base. Where the
// system allows, the file is written without a name (O_TMPFILE) and linked
// into place once synced: one directory change instead of three (create a
// temporary name, link, unlink), and nothing left behind by a crash.
// Elsewhere it is written under a temporary name and linked from there.
func (o *Outbox) write(raw []byte, base string) (string, error) {
	if !o.named.Load() {
		name, ok, err := writeUnnamed(o.dir, raw, base)
		if ok {
			return name, err
		}
		o.named.Store(true) // not supported here; never try again
	}
	tmp, err := o.writeTemp(raw)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	return o.publish(tmp, base)
}

// fileName is the i-th name tried for base (from 1): base.eml, then
// base-2.eml, base-3.eml…
func fileName(base string, i int) string {
	if i > 1 {
		return base + "-" + strconv.Itoa(i) + ".eml"
	}
	return base + ".eml"
}

func (o *Outbox) writeTemp(raw []byte) (string, error) {
	f, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	_, werr := f.Write(raw)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("outbox: write %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// publish gives the finished temp file its final name. A hard link fails
// rather than replace an existing file, so two messages sent in the same
// millisecond both survive; where links are unsupported it falls back to a
// rename after checking the name is free.
func (o *Outbox) publish(tmp, base string) (string, error) {
	for i := 1; i <= maxCollisions; i++ {
		name := fileName(base, i)
		final := filepath.Join(o.dir, name)
		err := os.Link(tmp, final)
		switch {
		case err == nil:
			return name, nil
		case errors.Is(err, fs.ErrExist):
			continue
		}
		if _, serr := os.Lstat(final); serr == nil {
			continue
		}
		if rerr := os.Rename(tmp, final); rerr != nil {
			return "", fmt.Errorf("outbox: %w", errors.Join(err, rerr))
		}
		return name, nil
	}
	return "", fmt.Errorf("outbox: %d messages named %s", maxCollisions, base)
}

// baseName is the file name without extension: the send time, then the
// step and incident tags made safe for any file system.
func baseName(m mail.Message) string {
	parts := []string{m.Date.UTC().Format(stampLayout)}
	for _, tag := range []string{"step", "incident"} {
		if s := safe(m.Tags[tag]); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 1 {
		parts = append(parts, "message")
	}
	return strings.Join(parts, "-")
}

var unsafeRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safe keeps letters, digits, dot, dash and underscore, so a tag can never
// name a directory or a hidden file.
func safe(s string) string {
	s = strings.Trim(unsafeRE.ReplaceAllString(s, "_"), "._-")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// Forget removes every message written for an incident (erasing a
// person: the outbox holds their address and what was sent to them). It
// returns how many files it removed.
func (o *Outbox) Forget(incidentID string) (int, error) {
	inc := safe(incidentID)
	if inc == "" {
		return 0, errors.New("outbox: forget: no incident id")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	des, err := os.ReadDir(o.dir)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	n := 0
	for _, de := range des {
		name := de.Name()
		k := keyOfName(name)
		if !de.Type().IsRegular() || !nameRE.MatchString(name) || !strings.HasSuffix(k, "-"+inc) {
			continue
		}
		if err := os.Remove(filepath.Join(o.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("outbox: forget: %w", err)
		}
		delete(o.sent, k)
		n++
	}
	return n, nil
}
