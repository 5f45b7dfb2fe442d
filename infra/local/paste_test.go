package local_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestConsolePasteBoxReadsUTF8: the console's paste box posts UTF-8
// (accept-charset), and the reply pasted there, which has no MIME
// charset, reaches the timeline as typed, not as "SÃ, ya las recogÃ".
func TestConsolePasteBoxReadsUTF8(t *testing.T) {
	srv, _ := withSchedule(t)
	if _, page := srv.send(devRequest{method: "GET", path: "/"}); !strings.Contains(page, `action="/dev/inbound" accept-charset="utf-8"`) {
		t.Fatal(`the paste box's form does not declare accept-charset="utf-8"`)
	}
	srv.runDue(time.Now().Add(72 * time.Hour))
	env := srv.onlyEmail()
	const said = "Sí, ya las recogí. ¡Gracias, señora Núñez!"
	msg := "From: " + env.GetHeader("To") + "\r\nTo: " + env.GetHeader("Reply-To") + "\r\nSubject: Re: " + env.GetHeader("Subject") +
		"\r\n\r\n" + said + "\r\n"
	resp, body := srv.send(devRequest{method: "POST", path: "/dev/inbound", ctype: "application/x-www-form-urlencoded",
		body: "message=" + url.QueryEscape(msg), header: map[string]string{"Origin": srv.base, "Sec-Fetch-Site": "same-origin"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /dev/inbound: %s %q", resp.Status, body)
	}
	var all []apiIncident
	srv.getJSON("/dev/api/incidents", &all)
	for _, inc := range all {
		for _, e := range inc.Timeline {
			if e.Kind == "reply" || e.Kind == "reply_other_sender" {
				if e.Detail != said {
					t.Fatalf("reply on the timeline = %q, want %q", e.Detail, said)
				}
				return
			}
		}
	}
	t.Fatalf("no reply on any timeline (redirected to %s)", resp.Header.Get("Location"))
}
