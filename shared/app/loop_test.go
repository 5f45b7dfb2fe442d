package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/notify/webhook"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// loop is the harness with every team channel configured: a team
// address, a real outbound webhook (an HTTP server that verifies the
// signature) and signed reply addresses.
type loop struct {
	*harness
	addrs *replies.Addresses
	mu    sync.Mutex
	hooks []map[string]any
}

var replyKey = []byte(strings.Repeat("r", 32))

func newLoop(t *testing.T, opts ...func(*app.Config)) *loop {
	t.Helper()
	l := &loop{}
	v, err := stdwebhooks.NewVerifier(stdwebhooks.DevSecret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(r.Header, body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		l.mu.Lock()
		l.hooks = append(l.hooks, m)
		l.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	hook, err := webhook.New(srv.URL, stdwebhooks.DevSecret, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if l.addrs, err = replies.NewAddresses("care@seabreeze.example", replyKey); err != nil {
		t.Fatal(err)
	}
	l.harness = newHarness(t, func(c *app.Config) {
		c.Team = netmail.Address{Name: "Front desk", Address: "desk@seabreeze.example"}
		c.TeamLocale = "en"
		c.Notifier = hook
		c.ReplyAddresses = l.addrs
		c.ParseReply = replies.Inbound
		for _, o := range opts {
			o(c)
		}
	})
	return l
}

// sent sends the booking's thank-you and returns its fire.
func (l *loop) sent() string {
	l.t.Helper()
	l.ingest(l.event("e1", domain.BookingCompleted, t0))
	// Fire it through the scheduler, which deletes what it fired.
	s := l.schedules()[0]
	if r, err := l.sched.RunNow(context.Background(), s.Name); err != nil || r.Err != nil {
		l.t.Fatalf("run: %+v %v", r, err)
	}
	return s.IncidentID
}

func (l *loop) rating(id string, score int) string {
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	return signer.Sign(links.Claims{Incident: id, Step: "thanks-1", Survey: domain.SurveyCSAT, Score: score, Expires: t0.Add(24 * time.Hour)})
}

func (l *loop) mails() []string {
	l.t.Helper()
	entries, err := l.outbox.List(100)
	if err != nil {
		l.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Step+" → "+e.To)
	}
	slices.Sort(out)
	return out
}

func TestSentSurveyPlansAReminderAndAnAnswerCancelsIt(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	var reminder bool
	for _, s := range l.schedules() {
		reminder = reminder || s.Step == "thanks-1-r"
	}
	if !reminder {
		t.Fatalf("a sent survey must schedule its reminder: %+v", l.schedules())
	}
	if _, err := l.svc.Answer(context.Background(), l.rating(id, 5), app.Feedback{}); err != nil {
		t.Fatal(err)
	}
	if s := l.schedules(); len(s) != 0 {
		t.Fatalf("an answer must cancel the reminder: %+v", s)
	}
}

func TestNegativeAnswerReachesTheTeamAtOnce(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	comment := "We waited 40 minutes <b>nobody</b> came"
	v, err := l.svc.Answer(context.Background(), l.rating(id, 1), app.Feedback{Comment: &comment, Reasons: []string{"waiting", "nonsense"}})
	if err != nil || !v.Negative {
		t.Fatalf("answer: %+v %v", v, err)
	}
	// Before Answer returned: the team email, the webhook and the customer's
	// acknowledgement, each once.
	want := []string{"ack-1 → ", "alert-1 → ", "thanks-1 → "}
	got := l.mails()
	if len(got) != 3 || !strings.HasPrefix(got[0], want[0]) || !strings.Contains(got[1], "desk@seabreeze.example") || !strings.HasPrefix(got[2], want[2]) {
		t.Fatalf("outbox = %v", got)
	}
	l.mu.Lock()
	hooks := l.hooks
	l.mu.Unlock()
	if len(hooks) != 1 || hooks[0]["type"] != "aftercare.alert.negative_answer" || !strings.Contains(fmt.Sprint(hooks[0]["text"]), "CSAT 1/5") {
		t.Fatalf("webhook calls = %v", hooks)
	}
	inc := l.incident(id)
	if inc.Attention == nil || len(inc.Escalations) != 1 || !slices.Equal(inc.Answers["thanks-1"].Reasons, []string{"waiting"}) {
		t.Fatalf("incident: attention %+v escalations %+v answer %+v", inc.Attention, inc.Escalations, inc.Answers["thanks-1"])
	}
	// Changing 1 to 2 is still negative: no second alert.
	if _, err := l.svc.Answer(context.Background(), l.rating(id, 2), app.Feedback{}); err != nil {
		t.Fatal(err)
	}
	if got := l.mails(); len(got) != 3 {
		t.Fatalf("a changed low score must not alert again: %v", got)
	}
	// The team's link opens the timeline; it answers nothing.
	tok := strings.TrimPrefix(l.svc.TeamURL(id, l.clock.Now()), "https://care.example.com/t/")
	if inc, err := l.svc.TeamView(context.Background(), tok); err != nil || inc.ID != id {
		t.Fatalf("team view: %v", err)
	}
	if _, err := l.svc.Answer(context.Background(), tok, app.Feedback{}); err == nil {
		t.Fatal("a team link must not answer a survey")
	}
	if _, err := l.svc.TeamView(context.Background(), l.rating(id, 5)); err == nil {
		t.Fatal("a rating link must not open the team view")
	}
}

func replyMessage(to, text string) []byte {
	return []byte("From: Nikos <nikos@example.com>\r\nTo: " + to + "\r\nSubject: Re: thanks\r\n" +
		"Message-ID: <r1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		text + "\r\n\r\nOn Sat, 21 Nov 2026 at 10:00, Sea Breeze <care@seabreeze.example> wrote:\r\n> How was it?\r\n")
}

func TestReplies(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	ctx := context.Background()
	addr := l.addrs.For(id, "thanks-1")

	// A number answers the survey; a 5 is not negative.
	r, err := l.svc.Reply(ctx, replyMessage(addr, "5"), "inbound/1.eml")
	if err != nil || r.Outcome != app.ReplyAnswered || r.IncidentID != id {
		t.Fatalf("number reply: %+v %v", r, err)
	}
	if a := l.incident(id).Answers["thanks-1"]; a.Score != 5 {
		t.Fatalf("answer = %+v", a)
	}

	// Words go on the timeline, stripped, and escalate.
	r, err = l.svc.Reply(ctx, replyMessage(addr, "Η βάρκα άργησε μία ώρα."), "inbound/2.eml")
	if err != nil || r.Outcome != app.ReplyRecorded {
		t.Fatalf("text reply: %+v %v", r, err)
	}
	inc := l.incident(id)
	i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryReply && e.Ref == "inbound/2.eml" })
	if i < 0 || inc.Timeline[i].Detail != "Η βάρκα άργησε μία ώρα." {
		t.Fatalf("reply entry: %+v", inc.Timeline)
	}
	if inc.Attention == nil || inc.Escalations[len(inc.Escalations)-1].Cause != domain.CauseReply {
		t.Fatalf("reply must escalate: %+v", inc.Escalations)
	}
	// The same stored message delivered again (S3 notifications are at
	// least once) is not filed or escalated twice.
	escalations := len(inc.Escalations)
	if r, err := l.svc.Reply(ctx, replyMessage(addr, "Η βάρκα άργησε μία ώρα."), "inbound/2.eml"); err != nil || r.Outcome != app.ReplyDuplicate {
		t.Fatalf("redelivery: %+v %v", r, err)
	}
	if n := len(l.incident(id).Escalations); n != escalations {
		t.Fatalf("redelivery escalated again: %d → %d", escalations, n)
	}

	// Forged and foreign addresses are dropped, never attached.
	forged := strings.Replace(addr, "thanks-1", "thanks-2", 1)
	for name, to := range map[string]string{"forged": forged, "foreign": "someone@else.example"} {
		before := len(l.incident(id).Timeline)
		r, err := l.svc.Reply(ctx, replyMessage(to, "hello"), "inbound/x.eml")
		if err != nil || r.Outcome != app.ReplyDropped || r.IncidentID != "" {
			t.Errorf("%s: %+v %v", name, r, err)
		}
		if after := len(l.incident(id).Timeline); after != before {
			t.Errorf("%s reply changed the incident", name)
		}
	}
}

func TestRecoverySurveyAfterResolvingAgain(t *testing.T) {
	l := newLoop(t)
	ctx := context.Background()
	ticket := func(id string, typ domain.EventType, at time.Time) domain.Event {
		e := l.event(id, typ, at)
		e.Ref = "T-5"
		return e
	}
	res := l.ingest(ticket("t1", domain.TicketSolved, t0))
	f := fireOf(l.schedules()[0])
	if _, err := l.svc.Dispatch(ctx, f); err != nil {
		t.Fatal(err)
	}
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	bad := signer.Sign(links.Claims{Incident: res.IncidentID, Step: "csat-1", Survey: domain.SurveyCSAT, Score: 1, Expires: t0.Add(48 * time.Hour)})
	if _, err := l.svc.Answer(ctx, bad, app.Feedback{}); err != nil {
		t.Fatal(err)
	}
	l.clock.Advance(2 * time.Hour)
	l.ingest(ticket("t2", domain.TicketReopened, t0.Add(time.Hour)))
	l.ingest(ticket("t3", domain.TicketSolved, t0.Add(2*time.Hour)))
	var rec *schedule.Fire
	for _, s := range l.schedules() {
		if s.Step == "recovery-2" {
			f := s.Fire()
			rec = &f
		}
		if s.Step == "csat-2" {
			t.Fatal("the recovery survey replaces the usual one")
		}
	}
	if rec == nil {
		t.Fatalf("no recovery survey scheduled: %+v", l.schedules())
	}
	if r, err := l.svc.Dispatch(ctx, *rec); err != nil || !r.Sent {
		t.Fatalf("recovery: %+v %v", r, err)
	}
	good := signer.Sign(links.Claims{Incident: res.IncidentID, Step: "recovery-2", Survey: domain.SurveyCSAT, Score: 5, Expires: t0.Add(48 * time.Hour)})
	if _, err := l.svc.Answer(ctx, good, app.Feedback{}); err != nil {
		t.Fatal(err)
	}
	inc := l.incident(res.IncidentID)
	if inc.Recovered == nil || !*inc.Recovered || inc.Attention != nil {
		t.Fatalf("recovered %v attention %+v", inc.Recovered, inc.Attention)
	}
	if !slices.ContainsFunc(inc.Timeline, func(e domain.Entry) bool { return e.Kind == domain.EntryRecovered }) {
		t.Fatalf("timeline lacks recovered: %+v", inc.Timeline)
	}
}
