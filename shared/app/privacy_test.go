package app_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// deletedMessages is a MessageStore that notes what it was asked to delete
// (the local inbox and S3 are tested in infra/local and the admin command).
type deletedMessages struct {
	mu   sync.Mutex
	refs []string
}

func (d *deletedMessages) DeleteMessage(_ context.Context, ref string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refs = append(d.refs, ref)
	return nil
}

func (d *deletedMessages) ForgetSent(context.Context, string) (int, error) { return 1, nil }

// Export then erase: the export holds the person's record, incidents and
// reply references; the erase leaves nothing but the suppression entry
// under the keyed hash, cancels the pending wake-up calls, and the person
// is not mailed again.
func TestExportThenErase(t *testing.T) {
	msgs := &deletedMessages{}
	l := newLoop(t, func(c *app.Config) { c.ContactKey = contactKey; c.Messages = msgs })
	ctx := context.Background()
	id := l.sent()
	addr := l.addrs.For(id, "thanks-1")
	if r, err := l.svc.Reply(ctx, message(addr, "Nikos <nikos@example.com>", "", "Re: thanks", "The guide was late."), "inbound/m1.eml"); err != nil || r.Outcome != app.ReplyRecorded {
		t.Fatalf("reply: %+v %v", r, err)
	}
	if len(l.schedules()) == 0 {
		t.Fatal("want pending wake-up calls (the alert, the acknowledgement) before the erase")
	}

	exp, err := l.svc.Export(ctx, "NIKOS@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if exp.Contact.Email != "nikos@example.com" || len(exp.Incidents) != 1 || exp.Incidents[0].ID != id || !slices.Equal(exp.Messages, []string{"inbound/m1.eml"}) {
		t.Fatalf("export: %+v", exp)
	}

	res, err := l.svc.Erase(ctx, "nikos@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res.Incidents != 1 || res.Messages != 1 || res.Schedules == 0 || !slices.Equal(msgs.refs, []string{"inbound/m1.eml"}) {
		t.Fatalf("erase: %+v, deleted %v", res, msgs.refs)
	}
	if _, err := l.store.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the incident survived: %v", err)
	}
	if list, _ := l.store.List(ctx, 10); len(list) != 0 {
		t.Fatalf("%d incidents listed after the erase", len(list))
	}
	for _, s := range l.schedules() {
		if s.IncidentID == id {
			t.Errorf("wake-up call %s survived", s.Name)
		}
	}
	key := domain.ContactKey(contactKey, "nikos@example.com")
	c, err := l.store.GetContact(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.Contact{Key: key, Consent: c.Consent, Version: c.Version}); !equalContact(c, want) || c.Consent.State != domain.ConsentSuppressed {
		t.Fatalf("more than the suppression entry is kept: %+v", c)
	}
	if _, err := l.svc.Export(ctx, "someone@else.example"); !errors.Is(err, app.ErrNoPerson) {
		t.Fatalf("export of a stranger: %v", err)
	}
	// Rerunning the erase is harmless.
	if res, err := l.svc.Erase(ctx, "nikos@example.com"); err != nil || res.Incidents != 0 {
		t.Fatalf("erase again: %+v %v", res, err)
	}

	// They book again: the booking is kept, but no follow-up goes.
	sent := l.sends.Load()
	id2, f := l.booking("BK-9", l.clock.Now())
	if r, err := l.svc.Dispatch(ctx, f); err != nil || r.Sent || r.Skipped != app.SkipNotMailable {
		t.Fatalf("after the erase: %+v %v", r, err)
	}
	if l.sends.Load() != sent || id2 == id {
		t.Fatalf("mail went to an erased person")
	}
}

func equalContact(a, b domain.Contact) bool {
	return a.Key == b.Key && a.Email == "" && a.Name == "" && len(a.Incidents) == 0 && a.LastSurvey == nil &&
		a.FirstSeen.IsZero() && len(a.TransientBounces) == 0 && len(a.MailEvents) == 0
}
