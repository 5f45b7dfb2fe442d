package outbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteBothWays sends through the unnamed-file path (where the system
// has it) and through temporary names: the same files, collisions named
// alike, and no temporary file left behind.
func TestWriteBothWays(t *testing.T) {
	for _, named := range []bool{false, true} {
		o, dir := newOutbox(t)
		o.named.Store(named)
		var ids []string
		for range 3 {
			m := message()
			m.Tags = nil // untagged: the same name thrice, so it collides
			id, err := o.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if !strings.HasSuffix(ids[1], "-2.eml") || !strings.HasSuffix(ids[2], "-3.eml") {
			t.Errorf("named=%v: ids %q, want -2 and -3 suffixes", named, ids)
		}
		des, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(des) != 3 {
			t.Errorf("named=%v: %d files in the outbox, want 3", named, len(des))
		}
		for _, id := range ids {
			info, err := os.Stat(filepath.Join(dir, id))
			if err != nil || info.Size() == 0 || info.Mode().Perm() != 0o600 {
				t.Errorf("named=%v: %s: %v, %v", named, id, info, err)
			}
			if e, err := o.Read(id); err != nil || e.Subject != message().Subject {
				t.Errorf("named=%v: Read(%s) = %+v, %v", named, id, e, err)
			}
		}
	}
}
