package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aftercare/aftercare/shared/mail/outbox"
)

// localMessages is the local runtime's app.MessageStore: the raw replies
// kept under <data>/inbound, referenced as "inbound/<name>", and the
// outbox's copies of what was sent.
type localMessages struct {
	dir    string
	outbox *outbox.Outbox
}

// ForgetSent removes the outbox's messages about an incident.
func (m localMessages) ForgetSent(_ context.Context, incidentID string) (int, error) {
	return m.outbox.Forget(incidentID)
}

// DeleteMessage removes one kept reply. Only names the runtime writes are
// accepted, and the file is removed through an os.Root, so a reference
// cannot reach outside the directory.
func (m localMessages) DeleteMessage(_ context.Context, ref string) error {
	name, ok := strings.CutPrefix(ref, "inbound/")
	if !ok || !inboundName.MatchString(name) {
		return fmt.Errorf("local messages: %q is not a local reply reference", ref)
	}
	root, err := os.OpenRoot(m.dir)
	if err != nil {
		return fmt.Errorf("local messages: %w", err)
	}
	defer root.Close()
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local messages: %w", err)
	}
	return nil
}
