package outbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/mail"
)

var sent = time.Date(2026, 11, 21, 10, 0, 0, 123_000_000, time.UTC)

func message() mail.Message {
	return mail.Message{
		From:      netmail.Address{Name: "Sea Breeze Tours", Address: "care@seabreeze.example"},
		To:        netmail.Address{Name: "Μαρία Παπαδοπούλου", Address: "maria@example.gr"},
		ReplyTo:   "desk@seabreeze.example",
		Subject:   "Σας ευχαριστούμε, Μαρία! Πώς σας φάνηκε;",
		Text:      "Γεια σας,\n1 – Πολύ κακή: https://care.example/r/1\n",
		HTML:      "<p>Γεια σας,</p>",
		MessageID: "<thanks-1.inc_abc@seabreeze.example>",
		Date:      sent,
		Tags:      map[string]string{"incident": "inc_abc", "step": "thanks-1"},
	}
}

func newOutbox(t *testing.T) (*Outbox, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return o, dir
}

func TestSendRead(t *testing.T) {
	o, dir := newOutbox(t)
	id, err := o.Send(context.Background(), message())
	if err != nil {
		t.Fatal(err)
	}
	if want := "20261121T100000.123Z-thanks-1-inc_abc.eml"; id != want {
		t.Errorf("id = %q, want %q", id, want)
	}
	info, err := os.Stat(filepath.Join(dir, id))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("file mode %v is readable by others", perm)
	}
	e, err := o.Read(id)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{
		Name:     id,
		Date:     sent.Truncate(time.Second),
		From:     "Sea Breeze Tours <care@seabreeze.example>",
		To:       "Μαρία Παπαδοπούλου <maria@example.gr>",
		Subject:  "Σας ευχαριστούμε, Μαρία! Πώς σας φάνηκε;",
		ReplyTo:  "desk@seabreeze.example",
		Incident: "inc_abc",
		Step:     "thanks-1",
		HTML:     "<p>Γεια σας,</p>",
		Text:     "Γεια σας,\n1 – Πολύ κακή: https://care.example/r/1\n",
	}
	normalise := cmp.Transformer("crlf", func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") })
	if diff := cmp.Diff(want, e, normalise, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 1 {
		t.Errorf("outbox holds %d files, want 1 (temp files left behind?)", len(des))
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want string
	}{
		{"no tags", nil, "20261121T100000.123Z-message.eml"},
		{"step only", map[string]string{"step": "csat"}, "20261121T100000.123Z-csat.eml"},
		{"unsafe tags", map[string]string{"step": "../../etc/passwd", "incident": "a/b\\c d"}, "20261121T100000.123Z-etc_passwd-a_b_c_d.eml"},
		{"hidden file attempt", map[string]string{"step": "..."}, "20261121T100000.123Z-message.eml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := newOutbox(t)
			m := message()
			m.Tags = tc.tags
			id, err := o.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.want {
				t.Errorf("id = %q, want %q", id, tc.want)
			}
			if _, err := o.Read(id); err != nil {
				t.Errorf("Read(%q): %v", id, err)
			}
		})
	}
}

func TestZeroDateUsesNow(t *testing.T) {
	o, _ := newOutbox(t)
	m := message()
	m.Date = time.Time{}
	id, err := o.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if stamp := stampOf(id); time.Since(stamp) > time.Minute || time.Since(stamp) < 0 {
		t.Errorf("file stamped %v, want about now", stamp)
	}
}

// TestSameNameConcurrently sends untagged messages stamped alike at once:
// each must get its own file, none overwritten. (Tagged ones are one per
// step; see TestSendIsIdempotentPerStep.)
func TestSameNameConcurrently(t *testing.T) {
	o, _ := newOutbox(t)
	const n = 10
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			m := message()
			m.Tags = nil
			id, err := o.Send(context.Background(), m)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("id %q returned twice", id)
		}
		seen[id] = true
	}
	entries, err := o.List(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Errorf("List has %d entries, want %d", len(entries), n)
	}
}

func TestList(t *testing.T) {
	o, dir := newOutbox(t)
	var ids []string
	for i := range 4 {
		m := message()
		m.Date = sent.Add(time.Duration(i) * time.Minute)
		m.Subject = "message " + string(rune('A'+i))
		m.Tags = map[string]string{"incident": "inc_abc", "step": fmt.Sprintf("thanks-%d", i+1)}
		id, err := o.Send(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Files that are not messages are ignored; a broken message is listed.
	for name, body := range map[string]string{
		".tmp-123.eml": "partial", "notes.txt": "x",
		"20261121T110000.000Z-broken.eml": "\x00\x01 not a message",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "20261121T120000.000Z-dir.eml"), 0o700); err != nil {
		t.Fatal(err)
	}

	all, err := o.List(0)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, e := range all {
		subjects = append(subjects, e.Subject)
	}
	if len(all) != 5 || all[1].Subject != "message D" || all[4].Subject != "message A" {
		t.Errorf("List(0) subjects = %q, want the broken one then D, C, B, A", subjects)
	}
	if all[0].Name != "20261121T110000.000Z-broken.eml" {
		t.Errorf("newest entry = %q, want the broken message", all[0].Name)
	}

	two, err := o.List(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(two) != 2 || two[1].Name != ids[3] {
		t.Errorf("List(2) = %d entries, second %q; want 2, %q", len(two), two[1].Name, ids[3])
	}
}

func TestReadRejectsPaths(t *testing.T) {
	o, dir := newOutbox(t)
	outside := filepath.Join(filepath.Dir(dir), "secret.eml")
	if err := os.WriteFile(outside, []byte("Subject: secret\r\n\r\nsecret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symlink with a valid-looking name must not lead out of the outbox.
	link := "20261121T100000.000Z-link.eml"
	if err := os.Symlink(outside, filepath.Join(dir, link)); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	for _, name := range []string{
		"../secret.eml", "..", ".", "", "/etc/passwd", "a/b.eml", `..\secret.eml`,
		"20261121T100000.000Z-x.eml/../../secret.eml", ".tmp-1.eml", "secret.eml",
		"20261121T100000.000Z-x.eml\x00", link,
	} {
		if e, err := o.Read(name); err == nil {
			t.Errorf("Read(%q) = %+v, want an error", name, e)
		}
	}
	if _, err := o.Read("../secret.eml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(traversal) error %v does not wrap fs.ErrNotExist", err)
	}
	if _, err := o.Read("20261121T100000.000Z-missing.eml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestSendErrors(t *testing.T) {
	o, dir := newOutbox(t)
	bad := message()
	bad.To.Address = "not an address"
	if _, err := o.Send(context.Background(), bad); !errors.Is(err, mail.ErrPermanent) {
		t.Errorf("invalid message: error %v, want mail.ErrPermanent", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Send(ctx, message()); err == nil || errors.Is(err, mail.ErrPermanent) {
		t.Errorf("cancelled context: error %v, want a retryable error", err)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 0 {
		t.Errorf("failed sends left %d files", len(des))
	}
}

func TestNew(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Error("New(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(filepath.Join(file, "sub")); err == nil {
		t.Error("New under a file succeeded")
	}
}

// A step sent again after a crash between writing its message and
// recording the send finds the message already written, in this process or
// after a restart: one file, the same id.
func TestSendIsIdempotentPerStep(t *testing.T) {
	dir := t.TempDir()
	o, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := message()
	first, err := o.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	m.Date = m.Date.Add(15 * time.Minute) // the retry composes anew
	again, err := o.Send(context.Background(), m)
	if err != nil || again != first {
		t.Fatalf("second send = %q, %v; want %q", again, err, first)
	}
	restarted, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := restarted.Send(context.Background(), m); err != nil || id != first {
		t.Fatalf("send after a restart = %q, %v; want %q", id, err, first)
	}
	other := message()
	other.Tags = map[string]string{"incident": "inc_abc", "step": "thanks-1-r"}
	if id, err := restarted.Send(context.Background(), other); err != nil || id == first {
		t.Fatalf("another step = %q, %v", id, err)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 2 {
		t.Fatalf("outbox holds %d files, want 2", len(des))
	}
}

// Forget removes an incident's messages and no other's; a message for
// the same step sent afterwards is written afresh.
func TestForget(t *testing.T) {
	o, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msg := func(step, inc string) mail.Message {
		return mail.Message{
			From: netmail.Address{Address: "care@seabreeze.example"}, To: netmail.Address{Address: "maria@example.com"},
			Subject: "s", Text: "t", Date: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
			Tags: map[string]string{"incident": inc, "step": step},
		}
	}
	for _, m := range []mail.Message{msg("thanks-1", "inc_a"), msg("thanks-1-r", "inc_a"), msg("thanks-1", "inc_b"), msg("alert-1", "inc_aa")} {
		if _, err := o.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.Forget("inc_a")
	if err != nil || n != 2 {
		t.Fatalf("forget: %d %v", n, err)
	}
	left, _ := o.List(0)
	if len(left) != 2 {
		t.Fatalf("%d messages left, want inc_b's and inc_aa's", len(left))
	}
	if _, ok := o.Sent(msg("thanks-1", "inc_a")); ok {
		t.Error("a forgotten message is still known as sent")
	}
	if _, err := o.Forget(""); err == nil {
		t.Error("forgetting no incident")
	}
}
