package mime

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/mail"
)

// TestAttachment checks that an attachment survives the MIME message (the
// outbox and SMTP send these bytes) next to both bodies.
func TestAttachment(t *testing.T) {
	m := message()
	ics := []byte("BEGIN:VCALENDAR\r\nSUMMARY:Kayak\\, Chania\r\nEND:VCALENDAR\r\n")
	m.Attachments = []mail.Attachment{{Name: "booking.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ics}}
	env, err := enmime.ReadEnvelope(bytes.NewReader(build(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(env.Text, "ευχαριστούμε") || !strings.Contains(env.HTML, "ευχαριστούμε") {
		t.Errorf("bodies lost: text %q html %q", env.Text, env.HTML)
	}
	if len(env.Attachments) != 1 {
		t.Fatalf("%d attachments, want 1", len(env.Attachments))
	}
	a := env.Attachments[0]
	if a.FileName != "booking.ics" || !strings.HasPrefix(a.ContentType, "text/calendar") || !bytes.Equal(a.Content, ics) {
		t.Errorf("attachment = %q %q %q, want booking.ics text/calendar %q", a.FileName, a.ContentType, a.Content, ics)
	}
}

func TestAttachmentInvalid(t *testing.T) {
	for name, a := range map[string]mail.Attachment{
		"path in name":    {Name: "../x.ics", ContentType: "text/calendar", Data: []byte("x")},
		"newline in name": {Name: "a\r\nBcc: x.ics", ContentType: "text/calendar", Data: []byte("x")},
		"bad type":        {Name: "a.ics", ContentType: "text/calendar;;\r\nX: y", Data: []byte("x")},
		"empty":           {Name: "a.ics", ContentType: "text/calendar"},
		"too large":       {Name: "a.ics", ContentType: "text/calendar", Data: make([]byte, mail.MaxAttachment+1)},
	} {
		t.Run(name, func(t *testing.T) {
			m := message()
			m.Attachments = []mail.Attachment{a}
			if _, err := Build(m); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
