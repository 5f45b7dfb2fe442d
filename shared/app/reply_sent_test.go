package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
)

// TestReplyCopyingOurEmailWithoutMarkers: some clients paste the history
// below the answer with no ">" and no attribution the stripper knows.
// The use case knows the email answered, so the copy of it goes anyway.
func TestReplyCopyingOurEmailWithoutMarkers(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	entries, err := l.outbox.List(0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %d %v", len(entries), err)
	}
	sent := entries[0].Text
	if len(strings.Fields(sent)) < 20 {
		t.Fatalf("the sent email is too short to test with:\n%s", sent)
	}
	raw := []byte("From: Nikos <nikos@example.com>\r\nTo: " + l.addrs.For(id, "thanks-1") + "\r\nSubject: Re: thanks\r\n" +
		"Message-ID: <r9@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"The boat was an hour late.\r\n\r\nKlaus schrieb dazu am Abend etwas:\r\n\r\n" + sent)
	r, err := l.svc.Reply(context.Background(), raw, "inbound/9.eml")
	if err != nil || r.Outcome != app.ReplyRecorded {
		t.Fatalf("reply: %+v %v", r, err)
	}
	inc := l.incident(id)
	i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryReply && e.Ref == "inbound/9.eml" })
	if i < 0 {
		t.Fatalf("no reply entry: %+v", inc.Timeline)
	}
	if got, want := inc.Timeline[i].Detail, "The boat was an hour late.\n\nKlaus schrieb dazu am Abend etwas:"; got != want {
		t.Fatalf("reply entry = %q, want %q", got, want)
	}
}
