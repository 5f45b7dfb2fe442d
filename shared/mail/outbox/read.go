package outbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

// Entry is one message in the outbox, decoded for display: headers as
// readable text (no RFC 2047 words) and both bodies in UTF-8.
type Entry struct {
	Name     string
	Date     time.Time
	From     string
	To       string
	Subject  string
	ReplyTo  string
	Incident string
	Step     string
	// Unsubscribe and UnsubscribePost are the List-Unsubscribe and
	// List-Unsubscribe-Post headers (RFC 8058), as a mailbox reads them.
	Unsubscribe, UnsubscribePost string
	HTML                         string
	Text                         string
	// Attachments are the files sent with the message (a booking's .ics).
	Attachments []mail.Attachment
}

// ErrBadName is returned by Read for a name that is not an outbox file
// name; it wraps fs.ErrNotExist so that callers can answer 404 either way.
var ErrBadName = fmt.Errorf("not an outbox message name: %w", fs.ErrNotExist)

// nameRE matches the names Send writes and nothing with a path in it.
var nameRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[A-Za-z0-9._-]+\.eml$`)

// List returns up to limit messages, newest first; limit <= 0 means all.
// A file that cannot be parsed is still listed, with a subject saying so,
// so one bad file does not hide the rest.
func (o *Outbox) List(limit int) ([]Entry, error) {
	des, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var names []string
	for _, de := range des {
		if de.Type().IsRegular() && nameRE.MatchString(de.Name()) {
			names = append(names, de.Name())
		}
	}
	// Names start with the UTC send time, so reverse name order is newest
	// first.
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(b, a) })
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	out := make([]Entry, 0, len(names))
	for _, name := range names {
		e, err := o.Read(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // removed since ReadDir
		case err != nil:
			e = Entry{Name: name, Date: stampOf(name), Subject: "(unreadable: " + err.Error() + ")"}
		}
		out = append(out, e)
	}
	return out, nil
}

// Read parses one message. The name must be a bare outbox file name:
// anything with a path, or not written by Send, is refused before the
// file system is touched, and the file is opened through an os.Root so a
// symlink cannot lead out of the directory either.
func (o *Outbox) Read(name string) (Entry, error) {
	if !nameRE.MatchString(name) {
		return Entry{}, fmt.Errorf("outbox: %q: %w", name, ErrBadName)
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return Entry{}, fmt.Errorf("outbox: %w", err)
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return Entry{}, fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	env, err := enmime.ReadEnvelope(f)
	if err != nil {
		return Entry{}, fmt.Errorf("outbox: parse %s: %w", name, err)
	}
	e := Entry{
		Name:            name,
		From:            addresses(env, "From"),
		To:              addresses(env, "To"),
		ReplyTo:         addresses(env, "Reply-To"),
		Subject:         env.GetHeader("Subject"),
		Incident:        env.GetHeader("X-Aftercare-Incident"),
		Step:            env.GetHeader("X-Aftercare-Step"),
		Unsubscribe:     env.GetHeader("List-Unsubscribe"),
		UnsubscribePost: env.GetHeader("List-Unsubscribe-Post"),
		HTML:            env.HTML,
		Text:            env.Text,
	}
	for _, a := range env.Attachments {
		e.Attachments = append(e.Attachments, mail.Attachment{Name: a.FileName, ContentType: a.ContentType, Data: a.Content})
	}
	if e.Date, err = env.Date(); err != nil {
		e.Date = stampOf(name)
	}
	return e, nil
}

// addresses formats an address header for people: `Name <addr>`, without
// the quoting and encoding the wire format needs.
func addresses(env *enmime.Envelope, header string) string {
	list, err := env.AddressList(header)
	if err != nil {
		return env.GetHeader(header)
	}
	parts := make([]string, 0, len(list))
	for _, a := range list {
		if a.Name == "" {
			parts = append(parts, a.Address)
		} else {
			parts = append(parts, a.Name+" <"+a.Address+">")
		}
	}
	return strings.Join(parts, ", ")
}

// stampOf reads the send time back from a file name.
func stampOf(name string) time.Time {
	t, _ := time.Parse(stampLayout, name[:len(stampLayout)])
	return t
}
