package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
)

// unsubscribeToken is the token of the unsubscribe link of an email about
// an incident.
func (h *harness) unsubscribeToken(incidentID string) string {
	h.t.Helper()
	u := h.svc.UnsubscribeURL(incidentID, h.clock.Now())
	tok, ok := strings.CutPrefix(u, "https://care.example.com/u/")
	if !ok || tok == "" {
		h.t.Fatalf("unsubscribe URL %q", u)
	}
	return tok
}

// A person who unsubscribes from one incident's email gets no follow-up
// from any incident after that; each skipped step says why on its
// timeline; a scanner's GET (Peek) records nothing; resubscribing brings
// the follow-ups back.
func TestUnsubscribeStopsEveryFollowUp(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	first, f1 := h.booking("BK-1", t0)
	tok := h.unsubscribeToken(first)

	v, err := h.svc.ConsentPeek(ctx, tok)
	if err != nil || v.Unsubscribed || v.Locale != "el-GR" {
		t.Fatalf("peek: %+v %v", v, err)
	}
	c, err := h.store.GetContact(ctx, domain.ContactKey(contactKey, "nikos@example.com"))
	if err != nil || c.Consent.State != "" {
		t.Fatalf("a GET changed consent: %+v %v", c.Consent, err)
	}

	h.clock.Advance(time.Minute)
	if v, err := h.svc.Unsubscribe(ctx, tok); err != nil || !v.Unsubscribed {
		t.Fatalf("unsubscribe: %+v %v", v, err)
	}
	// Twice is the same as once (mailbox providers retry).
	if v, err := h.svc.Unsubscribe(ctx, tok); err != nil || !v.Unsubscribed {
		t.Fatalf("unsubscribe again: %+v %v", v, err)
	}
	inc := h.incident(first)
	if n := countEntries(inc, domain.EntryConsent); n != 1 {
		t.Fatalf("%d consent entries on the timeline, want 1: %+v", n, inc.Timeline)
	}

	r, err := h.svc.Dispatch(ctx, f1)
	if err != nil || r.Sent || r.Skipped != app.SkipNotMailable {
		t.Fatalf("survey after unsubscribing: %+v %v", r, err)
	}
	h.clock.Set(t0.Add(40 * 24 * time.Hour))
	second, f2 := h.booking("BK-2", h.clock.Now())
	if r, err := h.svc.Dispatch(ctx, f2); err != nil || r.Sent || r.Skipped != app.SkipNotMailable {
		t.Fatalf("another incident's survey after unsubscribing: %+v %v", r, err)
	}
	if n := h.sends.Load(); n != 0 {
		t.Fatalf("%d emails went to a person who unsubscribed", n)
	}
	for _, id := range []string{first, second} {
		inc := h.incident(id)
		i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryNotSent })
		if i < 0 || !strings.Contains(inc.Timeline[i].Detail, "suppressed: unsubscribed on 2026-11-20") {
			t.Fatalf("%s: timeline does not say why: %+v", id, inc.Timeline)
		}
	}

	if v, err := h.svc.Resubscribe(ctx, tok); err != nil || v.Unsubscribed {
		t.Fatalf("resubscribe: %+v %v", v, err)
	}
	_, f3 := h.booking("BK-3", h.clock.Now())
	if r, err := h.svc.Dispatch(ctx, f3); err != nil || !r.Sent {
		t.Fatalf("survey after resubscribing: %+v %v", r, err)
	}
}

// A survey sent before the person unsubscribed has a reminder; it does not
// go either.
func TestUnsubscribeStopsReminders(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	id, f := h.booking("BK-1", t0)
	if r, err := h.svc.Dispatch(ctx, f); err != nil || !r.Sent {
		t.Fatalf("survey: %+v %v", r, err)
	}
	if _, err := h.svc.Unsubscribe(ctx, h.unsubscribeToken(id)); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(h.schedules(), func(e localsched.Entry) bool { return e.Step == "thanks-1-r" })
	if i < 0 {
		t.Fatal("no reminder planned")
	}
	rem := h.schedules()[i]
	h.clock.Set(rem.FiresAt())
	r, err := h.svc.Dispatch(ctx, rem.Fire())
	if err != nil || r.Sent || r.Skipped != app.SkipNotMailable {
		t.Fatalf("reminder after unsubscribing: %+v %v", r, err)
	}
	if n := h.sends.Load(); n != 1 {
		t.Fatalf("%d emails, want the survey only", n)
	}
}

// Any email to the person, not only a survey, is their last message.
func TestLastSentCountsEveryEmail(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	_, f := h.booking("BK-1", t0)
	if r, err := h.svc.Dispatch(ctx, f); err != nil || !r.Sent {
		t.Fatalf("survey: %+v %v", r, err)
	}
	i := slices.IndexFunc(h.schedules(), func(e localsched.Entry) bool { return e.Step == "thanks-1-r" })
	rem := h.schedules()[i]
	h.clock.Set(rem.FiresAt())
	if r, err := h.svc.Dispatch(ctx, rem.Fire()); err != nil || !r.Sent {
		t.Fatalf("reminder: %+v %v", r, err)
	}
	c, err := h.store.GetContact(ctx, domain.ContactKey(contactKey, "nikos@example.com"))
	if err != nil || c.LastSent == nil || c.LastSent.Step != "thanks-1-r" || !c.LastSent.At.Equal(rem.FiresAt()) || c.LastSurvey.Step != "thanks-1" {
		t.Fatalf("contact %+v %v", c, err)
	}
}

// A suppressed person (bounce, complaint) is not undone by the person's
// link; an unsubscribe link answers no survey; a rating link is no
// unsubscribe link; a forged token is refused.
func TestConsentLinks(t *testing.T) {
	h := fatigued(t)
	ctx := context.Background()
	id, _ := h.booking("BK-1", t0)
	key := domain.ContactKey(contactKey, "nikos@example.com")
	if _, err := h.store.UpdateContact(ctx, key, func(c *domain.Contact) error {
		c.Suppress("permanent bounce", t0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tok := h.unsubscribeToken(id)
	if v, err := h.svc.Resubscribe(ctx, tok); err != nil || !v.Suppressed {
		t.Fatalf("resubscribe of a suppressed person: %+v %v", v, err)
	}
	if _, err := h.svc.Peek(ctx, tok); !errors.Is(err, app.ErrBadLink) {
		t.Fatalf("an unsubscribe link opened a survey: %v", err)
	}
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	rating := signer.Sign(links.Claims{Incident: id, Step: "thanks-1", Score: 5, Expires: t0.Add(time.Hour)})
	if _, err := h.svc.Unsubscribe(ctx, rating); !errors.Is(err, app.ErrBadLink) {
		t.Fatalf("a rating link unsubscribed: %v", err)
	}
	if _, err := h.svc.Unsubscribe(ctx, tok[:len(tok)-2]+"xx"); !errors.Is(err, app.ErrBadLink) {
		t.Fatalf("a forged link: %v", err)
	}
	// Without people's records the use case says so.
	plain := newHarness(t)
	pid := plain.ingest(plain.event("e-1", domain.BookingCompleted, t0)).IncidentID
	if _, err := plain.svc.Unsubscribe(ctx, plain.unsubscribeToken(pid)); !errors.Is(err, app.ErrNoContacts) {
		t.Fatalf("no contact key: %v", err)
	}
}

func countEntries(inc domain.Incident, kind string) int {
	n := 0
	for _, e := range inc.Timeline {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// Every email to the customer carries RFC 8058's headers, with the
// mailto: form when replies are received, and the footer's link, as the
// .eml in the outbox reads; the team's alert carries none. A message from
// the customer to the mailto: address unsubscribes them; from anyone
// else, it does nothing.
func TestUnsubscribeHeaders(t *testing.T) {
	l := newLoop(t, func(c *app.Config) { c.ContactKey = contactKey })
	id := l.sent()
	ctx := context.Background()
	entries, err := l.outbox.List(0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %d %v", len(entries), err)
	}
	m := entries[0]
	mailto, err := l.addrs.Address(id, "unsubscribe")
	if err != nil {
		t.Fatal(err)
	}
	want := "<" + l.svc.UnsubscribeURL(id, t0) + ">, <mailto:" + mailto + "?subject=unsubscribe>"
	if m.Unsubscribe != want || m.UnsubscribePost != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe = %q, -Post = %q; want %q", m.Unsubscribe, m.UnsubscribePost, want)
	}
	if !strings.Contains(m.Text, "https://care.example.com/u/") || !strings.Contains(m.HTML, `href="https://care.example.com/u/`) {
		t.Fatalf("no unsubscribe link in the footer:\n%s", m.Text)
	}

	// A bad answer: the team's alert has no unsubscribe header or link.
	if _, err := l.svc.Answer(ctx, l.rating(id, 1), app.Feedback{}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.sched.RunDue(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	entries, _ = l.outbox.List(0)
	seen := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Step, "alert-") {
			seen++
			if e.Unsubscribe != "" || e.UnsubscribePost != "" || strings.Contains(e.Text, "/u/") {
				t.Errorf("the team alert carries an unsubscribe: %q", e.Unsubscribe)
			}
		} else if e.Unsubscribe == "" {
			t.Errorf("%s to the customer has no List-Unsubscribe", e.Step)
		}
	}
	if seen != 1 {
		t.Fatalf("%d alerts", seen)
	}

	// The mailto: form: somebody else's message unsubscribes nobody.
	r, err := l.svc.Reply(ctx, message(mailto, "Mallory <mallory@evil.example>", "", "unsubscribe", ""), "inbound/u1.eml")
	if err != nil || r.Outcome != app.ReplyDropped {
		t.Fatalf("another sender: %+v %v", r, err)
	}
	key := domain.ContactKey(contactKey, "nikos@example.com")
	if c, err := l.store.GetContact(ctx, key); err != nil || c.Consent.State != "" {
		t.Fatalf("consent %+v %v", c.Consent, err)
	}
	r, err = l.svc.Reply(ctx, message(mailto, "Nikos <Nikos@Example.com>", "", "unsubscribe", ""), "inbound/u2.eml")
	if err != nil || r.Outcome != app.ReplyUnsubscribed {
		t.Fatalf("the customer's unsubscribe mail: %+v %v", r, err)
	}
	if c, err := l.store.GetContact(ctx, key); err != nil || c.Consent.State != domain.ConsentUnsubscribed {
		t.Fatalf("consent %+v %v", c.Consent, err)
	}
}
