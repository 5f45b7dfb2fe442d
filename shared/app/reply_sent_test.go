package app_test

import (
	"context"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
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

// TestReplyCopyingOurEmailWithoutMailer: on AWS the replies function sends
// nothing (it has no mailer) but renders through dispatch, so that it too
// knows the email a reply answers. A use case composed like it, with a
// renderer and no mailer, strips the unmarked copy as the one above does.
func TestReplyCopyingOurEmailWithoutMailer(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	entries, err := l.outbox.List(0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %d %v", len(entries), err)
	}
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	repliesFn, err := app.New(app.Config{
		Store: l.store, Scheduler: schedule.None{}, Renderer: render.New(render.Brand{Name: "Sea Breeze Tours"}),
		Links: signer, Clock: l.clock, Policy: domain.DefaultPolicy(), PublicURL: "https://care.example.com",
		From:           netmail.Address{Name: "Sea Breeze", Address: "care@seabreeze.example"},
		ReplyAddresses: l.addrs, ParseReply: replies.Inbound,
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: Nikos <nikos@example.com>\r\nTo: " + l.addrs.For(id, "thanks-1") + "\r\nSubject: Re: thanks\r\n" +
		"Message-ID: <r10@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"The boat was an hour late.\r\n\r\n" + entries[0].Text)
	if r, err := repliesFn.Reply(context.Background(), raw, "inbound/10.eml"); err != nil || r.Outcome != app.ReplyRecorded {
		t.Fatalf("reply: %+v %v", r, err)
	}
	inc := l.incident(id)
	i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryReply && e.Ref == "inbound/10.eml" })
	if i < 0 || inc.Timeline[i].Detail != "The boat was an hour late." {
		t.Fatalf("reply entry: %+v", inc.Timeline)
	}
	if n := len(l.mails()); n != 1 {
		t.Errorf("%d emails; a use case without a mailer sends none", n)
	}
}
