package ses_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/emulators"

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

// TestSendAttachmentThroughEmulator sends a .ics through aws-ses-v2-local,
// which validates the Simple content's Attachments against the API's shape
// and stores what it would send.
func TestSendAttachmentThroughEmulator(t *testing.T) {
	endpoint := emulators.SES(t)
	s := ses.New(newClient(endpoint), ses.Config{})
	m := greek()
	m.To.Address = fmt.Sprintf("ics-%d@guest.example", time.Now().UnixNano())
	ics := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
	m.Attachments = []mail.Attachment{{Name: "booking.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ics}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := s.Send(ctx, m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	for _, e := range emulators.SESMessages(t, endpoint) {
		if e.MessageID != id {
			continue
		}
		if len(e.Attachments) != 1 {
			t.Fatalf("%d attachments stored, want 1", len(e.Attachments))
		}
		a := e.Attachments[0]
		raw, err := base64.StdEncoding.DecodeString(a.Content)
		if a.Filename != "booking.ics" || !strings.HasPrefix(a.ContentType, "text/calendar") || err != nil || !bytes.Equal(raw, ics) {
			t.Errorf("stored attachment %q %q %q (%v)", a.Filename, a.ContentType, raw, err)
		}
		return
	}
	t.Fatalf("emulator has no message with id %q", id)
}
