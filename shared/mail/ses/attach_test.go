package ses_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/ses"
)

// TestSendAttachment checks that an attachment (a booking's .ics) rides in
// the Simple content, base64 as the API wants, with its name and type.
func TestSendAttachment(t *testing.T) {
	f := newFakeSES(t, ok)
	s := ses.New(newClient(f.srv.URL), fast(ses.Config{}))
	m := greek()
	ics := []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
	m.Attachments = []mail.Attachment{{Name: "booking.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ics}}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	simple := f.body(0)["Content"].(map[string]any)["Simple"].(map[string]any)
	list, _ := simple["Attachments"].([]any)
	if len(list) != 1 {
		t.Fatalf("attachments = %v, want one", simple["Attachments"])
	}
	a := list[0].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(a["RawContent"].(string))
	if err != nil || string(raw) != string(ics) {
		t.Errorf("RawContent decodes to %q, %v; want the .ics", raw, err)
	}
	for k, want := range map[string]string{
		"FileName": "booking.ics", "ContentType": "text/calendar; charset=utf-8; method=PUBLISH",
		"ContentDisposition": "ATTACHMENT", "ContentTransferEncoding": "BASE64",
	} {
		if a[k] != want {
			t.Errorf("%s = %v, want %q", k, a[k], want)
		}
	}

	// A bad attachment is refused before any request, as permanent.
	m.Attachments[0].Name = "../etc/passwd"
	if _, err := s.Send(context.Background(), m); !errors.Is(err, mail.ErrPermanent) {
		t.Errorf("bad name: err = %v, want ErrPermanent", err)
	}
	if len(f.bodies) != 1 {
		t.Errorf("%d requests, want the bad message refused locally", len(f.bodies))
	}
}
