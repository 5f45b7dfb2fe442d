package local_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// loopServer is the local runtime with every team channel configured.
type loopServer struct{ *devServer }

func startLoop(t *testing.T, extra map[string]string) *loopServer {
	t.Helper()
	return &loopServer{startDev(t, t.TempDir(), extra)}
}

func (s *loopServer) webhook(id string, body map[string]any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	sig, err := stdwebhooks.Sign(s.secret, id, time.Now(), b)
	if err != nil {
		s.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/aftercare", bytes.NewReader(b))
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", fmt.Sprint(time.Now().Unix()))
	req.Header.Set("webhook-signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		s.t.Fatalf("webhook %s: %s", id, resp.Status)
	}
}

// mail is one message in the outbox, parsed.
type mail struct {
	step, to, replyTo, subject, text string
}

func (s *loopServer) outbox() []mail {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.dataDir, "outbox", "*.eml"))
	var out []mail
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			s.t.Fatal(err)
		}
		env, err := enmime.ReadEnvelope(r)
		r.Close()
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, mail{
			step: env.GetHeader("X-Aftercare-Step"), to: env.GetHeader("To"), replyTo: env.GetHeader("Reply-To"),
			subject: env.GetHeader("Subject"), text: env.Text,
		})
	}
	return out
}

func (s *loopServer) mailFor(step string) mail {
	s.t.Helper()
	for _, m := range s.outbox() {
		if m.step == step {
			return m
		}
	}
	s.t.Fatalf("no %s email in the outbox", step)
	return mail{}
}

func (s *loopServer) hasMail(step string) bool {
	s.t.Helper()
	for _, m := range s.outbox() {
		if m.step == step {
			return true
		}
	}
	return false
}

type loopIncident struct {
	ID        string          `json:"id"`
	Attention json.RawMessage `json:"attention"`
	Recovered *bool           `json:"recovered"`
	Answers   map[string]struct {
		Score   int      `json:"score"`
		Comment string   `json:"comment"`
		Reasons []string `json:"reasons"`
	} `json:"answers"`
	Timeline []struct {
		Kind   string `json:"kind"`
		Step   string `json:"step"`
		Detail string `json:"detail"`
		Ref    string `json:"ref"`
	} `json:"timeline"`
}

func (s *loopServer) incident() loopIncident {
	s.t.Helper()
	resp, err := http.Get(s.base + "/dev/api/incidents")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []loopIncident
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil || len(all) != 1 {
		s.t.Fatalf("incidents: %d %v", len(all), err)
	}
	return all[0]
}

// TestClosingTheLoop is the promise in one run: a ticket is
// solved, the survey goes out, the customer rates it 1 with a comment, the
// team is emailed and the outbound webhook called, the customer is
// acknowledged, replies by email (posted raw to the inbound endpoint) and
// sees the reply stripped on the timeline; the ticket is reopened and
// solved again, and the recovery survey goes out and is answered.
func TestClosingTheLoop(t *testing.T) {
	var mu sync.Mutex
	var hooks []map[string]any
	verifier, _ := stdwebhooks.NewVerifier(stdwebhooks.DevSecret)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(r.Header, body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		hooks = append(hooks, m)
		mu.Unlock()
	}))
	defer hook.Close()
	srv := startLoop(t, map[string]string{
		"AFTERCARE_TEAM_EMAIL":           "desk@seabreeze.example",
		"AFTERCARE_ALERT_WEBHOOK_URL":    hook.URL,
		"AFTERCARE_ALERT_WEBHOOK_SECRET": stdwebhooks.DevSecret,
		"AFTERCARE_REPLY_ADDRESS":        "care@seabreeze.example",
	})

	solved := time.Now().Add(-25 * time.Hour).UTC()
	ticket := func(typ string, at time.Time) map[string]any {
		return map[string]any{
			"type": typ, "occurred_at": at.Format(time.RFC3339),
			"customer": map[string]any{"email": "maria@example.com", "name": "María Pérez", "locale": "es-ES", "time_zone": "UTC"},
			"ticket":   map[string]any{"ref": "T-88", "subject": "Gafas olvidadas en el barco", "agent": "Nikos"},
		}
	}
	srv.webhook("msg_solved", ticket("ticket.solved", solved))
	srv.runDue(time.Now().Add(24 * time.Hour)) // quiet hours may move it to 09:00
	survey := srv.mailFor("csat-1")
	if !strings.Contains(survey.to, "maria@example.com") || !strings.Contains(survey.replyTo, "care+") {
		t.Fatalf("survey to %q reply-to %q", survey.to, survey.replyTo)
	}
	links := regexp.MustCompile(regexp.QuoteMeta(srv.base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(survey.text, -1)
	if len(links) != 5 {
		t.Fatalf("want 5 rating links, got %d", len(links))
	}

	// The customer rates it 1 and says why.
	resp, err := http.PostForm(links[0], url.Values{"confirm": {"1"}, "comment": {"Nadie me contestó en tres días."}, "reasons": {"waiting", "communication"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rating: %s", resp.Status)
	}
	alert := srv.mailFor("alert-1")
	if !strings.Contains(alert.to, "desk@seabreeze.example") || !strings.Contains(alert.text, "Nadie me contestó") {
		t.Fatalf("team alert to %q:\n%s", alert.to, alert.text)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/t/[A-Za-z0-9_\-.]+`).MatchString(alert.text) {
		t.Fatalf("the team alert needs the timeline link:\n%s", alert.text)
	}
	if ack := srv.mailFor("ack-1"); !strings.Contains(ack.to, "maria@example.com") || strings.Contains(ack.text, "Nadie me contestó") {
		t.Fatalf("acknowledgement to %q must not quote the customer:\n%s", ack.to, ack.text)
	}
	mu.Lock()
	if len(hooks) != 1 || hooks[0]["type"] != "aftercare.alert.negative_answer" {
		t.Fatalf("webhook calls: %v", hooks)
	}
	mu.Unlock()
	inc := srv.incident()
	if a := inc.Answers["csat-1"]; a.Score != 1 || !slices.Equal(a.Reasons, []string{"waiting", "communication"}) || len(inc.Attention) == 0 || string(inc.Attention) == "null" {
		t.Fatalf("answer %+v attention %s", a, inc.Attention)
	}

	// The customer replies to the survey email; the quoted history goes.
	reply := "From: =?utf-8?q?Mar=C3=ADa_P=C3=A9rez?= <maria@example.com>\r\n" +
		"To: " + survey.replyTo + "\r\nSubject: Re: " + survey.subject + "\r\nMessage-ID: <reply-1@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Sigo sin mis gafas. ¿Alguien las encontró?\r\n\r\n" +
		"El sáb, 21 nov 2026 a las 10:00, Sea Breeze Tours <care@seabreeze.example> escribió:\r\n" +
		"> ¿Qué tal lo hicimos?\r\n"
	resp, err = http.Post(srv.base+"/dev/api/inbound", "message/rfc822", strings.NewReader(reply))
	if err != nil {
		t.Fatal(err)
	}
	var rr struct {
		Outcome string `json:"outcome"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&rr)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || rr.Outcome != "recorded" {
		t.Fatalf("inbound: %s %+v", resp.Status, rr)
	}
	inc = srv.incident()
	i := slices.IndexFunc(inc.Timeline, func(e struct {
		Kind   string `json:"kind"`
		Step   string `json:"step"`
		Detail string `json:"detail"`
		Ref    string `json:"ref"`
	}) bool {
		return e.Kind == "reply"
	})
	if i < 0 || inc.Timeline[i].Detail != "Sigo sin mis gafas. ¿Alguien las encontró?" || inc.Timeline[i].Ref == "" {
		t.Fatalf("reply on the timeline: %+v", inc.Timeline)
	}
	// In the same attention episode, the reply is the follow-up alert,
	// an hour after the first, not a second alert at once.
	if srv.hasMail("alert-2") {
		t.Fatal("the reply alerted the team at once, within the hour of the first alert")
	}
	srv.runDue(time.Now().Add(2 * time.Hour))
	if follow := srv.mailFor("alert-2"); !strings.Contains(follow.text, "Sigo sin mis gafas") {
		t.Fatalf("the follow-up alert must carry the reply:\n%s", follow.text)
	}

	// The team reopens and solves it again: the recovery survey goes out.
	srv.webhook("msg_reopened", ticket("ticket.reopened", solved.Add(24*time.Hour)))
	srv.webhook("msg_solved_again", ticket("ticket.solved", solved.Add(24*time.Hour+time.Minute)))
	srv.runDue(time.Now().Add(48 * time.Hour))
	recovery := srv.mailFor("recovery-2")
	for _, m := range srv.outbox() {
		if m.step == "csat-2" {
			t.Fatal("the recovery survey replaces the usual survey")
		}
	}
	rlinks := regexp.MustCompile(regexp.QuoteMeta(srv.base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(recovery.text, -1)
	if len(rlinks) != 5 {
		t.Fatalf("recovery links: %d", len(rlinks))
	}
	resp, err = http.PostForm(rlinks[4], url.Values{"confirm": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	inc = srv.incident()
	if inc.Recovered == nil || !*inc.Recovered || string(inc.Attention) != "" && string(inc.Attention) != "null" {
		t.Fatalf("recovered %v attention %s", inc.Recovered, inc.Attention)
	}
	var kinds []string
	for _, e := range inc.Timeline {
		kinds = append(kinds, e.Kind)
		if e.Kind == "send_failed" {
			t.Errorf("a send failed: %+v", e)
		}
	}
	for _, want := range []string{"event", "sent", "answer", "reasons", "comment", "escalated", "reply", "recovered"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("timeline lacks %q: %v", want, kinds)
		}
	}
}
