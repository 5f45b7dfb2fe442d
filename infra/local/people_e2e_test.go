package local_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/sesevents"
)

// One guest, two providers: a native booking and a Zendesk ticket of
// maria@example.com. One survey goes (the other incident's timeline says
// it was throttled); the email's List-Unsubscribe header is POSTed as
// Gmail does (RFC 8058), and nothing more is sent, not even the survey's
// reminder, whose timeline says why; a bounce posted as EventBridge
// delivers it is noted on the incident. Then she asks what is held about
// her, and to be deleted: nothing is left but a suppression entry under
// the keyed hash of her address.
func TestOnePersonAcrossProviders(t *testing.T) {
	srv := startWithProviders(t)
	now := time.Now().UTC()
	if code, reply := srv.post("msg_people_1", bookingCompleted(t, now.Add(-time.Hour))); code != http.StatusAccepted {
		t.Fatalf("booking: %d %v", code, reply)
	}
	ticket := providerFixture(t, "zendesk", "trigger-ticket-solved.json", func(m map[string]any) {
		m["ticket"].(map[string]any)["updated_at"] = now.Format("2006-01-02T15:04Z07:00")
	})
	if code, reply := srv.deliver(zendeskDelivery("e2e-zendesk-signing-secret", ticket)); code != http.StatusAccepted {
		t.Fatalf("ticket: %d %v", code, reply)
	}
	var incidents []apiIncident
	srv.getJSON("/dev/api/incidents", &incidents)
	if len(incidents) != 2 || incidents[0].CustomerEmail != incidents[1].CustomerEmail {
		t.Fatalf("want two incidents of one person: %+v", incidents)
	}

	for _, f := range srv.runDue(now.Add(72 * time.Hour)) {
		if f.Error != "" {
			t.Fatalf("fired %s: %s", f.Step, f.Error)
		}
	}
	emls, _ := filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml"))
	if len(emls) != 1 {
		t.Fatalf("%d emails to one person within the survey cooldown, want 1", len(emls))
	}
	srv.getJSON("/dev/api/incidents", &incidents)
	var surveyed, throttled string
	for _, inc := range incidents {
		for _, e := range inc.Timeline {
			switch {
			case e.Kind == "sent":
				surveyed = inc.ID
			case e.Kind == "not_sent" && strings.Contains(e.Detail, "throttled"):
				throttled = inc.ID
			}
		}
	}
	if surveyed == "" || throttled == "" || surveyed == throttled {
		t.Fatalf("surveyed %q, throttled %q: %+v", surveyed, throttled, incidents)
	}

	// The email's RFC 8058 headers, and the one-click POST a mailbox
	// provider makes: no cookie, nothing but the URL and the body.
	env := srv.onlyEmail()
	if env.GetHeader("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post = %q", env.GetHeader("List-Unsubscribe-Post"))
	}
	m := regexp.MustCompile(`<(https?://[^>]+/u/[^>]+)>`).FindStringSubmatch(env.GetHeader("List-Unsubscribe"))
	if m == nil {
		t.Fatalf("List-Unsubscribe = %q", env.GetHeader("List-Unsubscribe"))
	}
	if !strings.Contains(env.Text, m[1]) {
		t.Errorf("the footer does not carry the unsubscribe link")
	}
	req, _ := http.NewRequest(http.MethodPost, m[1], strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "resubscribe") {
		t.Fatalf("one-click POST: %d\n%s", resp.StatusCode, page)
	}

	// Nothing more: the survey's reminder is skipped, and says why.
	srv.runDue(now.Add(30 * 24 * time.Hour))
	emls, _ = filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml"))
	if len(emls) != 1 {
		t.Fatalf("%d emails after unsubscribing, want still 1", len(emls))
	}
	inc := srv.incident(surveyed)
	if !slices.ContainsFunc(inc.Timeline, func(e struct {
		Kind   string `json:"kind"`
		Step   string `json:"step"`
		Detail string `json:"detail"`
	}) bool {
		return e.Kind == "not_sent" && strings.HasSuffix(e.Step, "-r") && strings.Contains(e.Detail, "suppressed: unsubscribed")
	}) {
		t.Fatalf("the reminder's skip is not on the timeline: %+v", inc.Timeline)
	}

	// A bounce, as EventBridge delivers it, through the dev API.
	bounce, err := sesevents.Sample("bounce-permanent", surveyed, "thanks-1", "maria@example.com", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(srv.base+"/dev/api/ses-events", "application/json", bytes.NewReader(bounce))
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Outcome string }
	_ = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || res.Outcome != "suppressed" {
		t.Fatalf("ses-events: %d %+v", resp.StatusCode, res)
	}
	if kinds := kinds(srv.incident(surveyed)); !slices.Contains(kinds, "mail_event") || !slices.Contains(kinds, "consent") {
		t.Fatalf("timeline kinds %v", kinds)
	}
	// Not an SES event: a clear 400.
	resp, err = http.Post(srv.base+"/dev/api/ses-events", "application/json", strings.NewReader(`{"source":"aws.s3"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "aws.ses") {
		t.Fatalf("a bad event: %d %s", resp.StatusCode, body)
	}

	// She writes back; the raw message is kept in the data directory.
	replyTo := env.GetHeader("Reply-To")
	raw := "From: María Pérez <maria@example.com>\r\nTo: " + replyTo + "\r\nSubject: Re: gracias\r\nMessage-ID: <r1@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTodo bien, gracias.\r\n"
	resp, err = http.Post(srv.base+"/dev/api/inbound", "message/rfc822", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if kept, _ := filepath.Glob(filepath.Join(srv.dataDir, "inbound", "*.eml")); resp.StatusCode != http.StatusOK || len(kept) != 1 {
		t.Fatalf("reply: %d, %d kept", resp.StatusCode, len(kept))
	}

	// "What do you hold about me?"
	var exp struct {
		Contact struct {
			Email string `json:"email"`
		} `json:"contact"`
		Incidents []apiIncident `json:"incidents"`
		Messages  []string      `json:"messages"`
	}
	srv.getJSON("/dev/api/contacts/export?email=Maria@Example.com", &exp)
	if exp.Contact.Email != "maria@example.com" || len(exp.Incidents) != 2 || len(exp.Messages) != 1 {
		t.Fatalf("export: %+v", exp)
	}
	// "Delete me."
	resp, err = http.Post(srv.base+"/dev/api/contacts/erase", "application/json", strings.NewReader(`{"email": "maria@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	var erased struct{ Incidents, Messages, Sent int }
	_ = json.NewDecoder(resp.Body).Decode(&erased)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || erased.Incidents != 2 || erased.Messages != 1 || erased.Sent != 1 {
		t.Fatalf("erase: %d %+v", resp.StatusCode, erased)
	}
	// Nothing is left but the suppression entry under the keyed hash: not
	// in the store (read through the dev API), not in the data directory.
	srv.getJSON("/dev/api/incidents", &incidents)
	if len(incidents) != 0 {
		t.Fatalf("%d incidents after the erase", len(incidents))
	}
	for _, dir := range []string{"inbound", "outbox"} {
		if left, _ := filepath.Glob(filepath.Join(srv.dataDir, dir, "*")); len(left) != 0 {
			t.Errorf("%s still holds %v", dir, left)
		}
	}
	var c map[string]any
	srv.getJSON("/dev/api/contacts?email=maria@example.com", &c)
	if c["consent"].(map[string]any)["state"] != "suppressed" || c["email"] != "" || c["incidents"] != nil || !strings.HasPrefix(c["key"].(string), "con_") {
		t.Fatalf("contact after the erase: %v", c)
	}
	for _, bad := range []string{"/dev/api/contacts", "/dev/api/contacts/export?email=not-an-address"} {
		if resp, err := http.Get(srv.base + bad); err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %v %v", bad, resp.StatusCode, err)
		}
	}
	if resp, err := http.Get(srv.base + "/dev/api/contacts?email=nobody@example.com"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a stranger: %v %v", resp.StatusCode, err)
	}
}
