package sesevents

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/app"
)

// The samples, shaped as AWS documents SES's event records ("Examples of
// event data that Amazon SES publishes") inside EventBridge's envelope,
// read into what the use case needs.
func TestParseSamples(t *testing.T) {
	for _, tc := range []struct {
		name, typ, bounce, sub string
	}{
		{"bounce-permanent", app.MailBounce, "Permanent", "General"},
		{"bounce-transient", app.MailBounce, "Transient", "MailboxFull"},
		{"complaint", app.MailComplaint, "", "abuse"},
		{"delivery-delay", app.MailDelay, "", "TransientCommunicationFailure"},
	} {
		raw, err := Sample(tc.name, "inc_abc", "thanks-1", "maria@example.com", "1")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ev.Type != tc.typ || ev.BounceType != tc.bounce || ev.SubType != tc.sub || ev.Incident != "inc_abc" || ev.Step != "thanks-1" ||
			!slices.Equal(ev.Recipients, []string{"maria@example.com"}) || ev.ID == "" || ev.At.IsZero() {
			t.Errorf("%s: %+v", tc.name, ev)
		}
		again, _ := Sample(tc.name, "inc_abc", "thanks-1", "maria@example.com", "2")
		if ev2, _ := Parse(again); ev2.ID == ev.ID {
			t.Errorf("%s: two simulated events share the id %s", tc.name, ev.ID)
		}
	}
	// A hostile incident tag stays a string.
	raw, err := Sample("complaint", `inc_"x\`, "s", "a@b.example", "1")
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := Parse(raw); err != nil || ev.Incident != `inc_"x\` {
		t.Fatalf("%+v %v", ev, err)
	}
}

func TestParseRefuses(t *testing.T) {
	for name, raw := range map[string]string{
		"not json":      `{"source":`,
		"not ses":       `{"source":"aws.s3","detail":{"eventType":"Bounce"}}`,
		"no detail":     `{"source":"aws.ses"}`,
		"no event type": `{"source":"aws.ses","detail":{}}`,
		"no bounce":     `{"source":"aws.ses","detail":{"eventType":"Bounce","mail":{}}}`,
		"too large":     `{"source":"aws.ses","detail":{"eventType":"Bounce","x":"` + strings.Repeat("a", MaxEvent) + `"}}`,
	} {
		if _, err := Parse([]byte(raw)); !errors.Is(err, ErrNotAnEvent) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Other event types are read (the use case drops them).
	ev, err := Parse([]byte(`{"id":"e1","source":"aws.ses","detail":{"eventType":"Open","mail":{"destination":["a@b.example"]}}}`))
	if err != nil || ev.Type != "Open" || len(ev.Recipients) != 1 {
		t.Fatalf("%+v %v", ev, err)
	}
	if _, err := Sample("nope", "", "", "", ""); err == nil {
		t.Error("an unknown sample")
	}
}
