package app_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
)

const reviewSiteURL = "https://g.page/r/sea-breeze/review"

// recorder keeps every message sent, besides the outbox.
type recorder struct {
	mu   sync.Mutex
	msgs []mail.Message
	next mail.Sender
}

func (r *recorder) Send(ctx context.Context, m mail.Message) (string, error) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return r.next.Send(ctx, m)
}

func (r *recorder) last(step string) (mail.Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].Tags["step"] == step && r.msgs[i].Tags["incident"] != "" {
			return r.msgs[i], true
		}
	}
	return mail.Message{}, false
}

// reviewing is the harness with people's records, the default policy plus
// review invitations to one Google page two days after completion, and
// every sent message recorded.
func reviewing(t *testing.T) (*harness, *recorder) {
	p := domain.DefaultPolicy()
	p.Reviews = &domain.Reviews{Delay: domain.Duration(48 * time.Hour), Sites: []domain.ReviewSite{{Name: "Google", URL: reviewSiteURL}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	h := newHarness(t, func(c *app.Config) {
		c.ContactKey, c.Policy = contactKey, p
		rec.next = c.Mailer
		c.Mailer = rec
	})
	return h, rec
}

// guest books and completes under ref as name <email>.
func (h *harness) guest(ref, name, email string, at time.Time) string {
	h.t.Helper()
	var id string
	for _, typ := range []domain.EventType{domain.BookingCreated, domain.BookingCompleted} {
		e := h.event(ref+"-"+string(typ), typ, at)
		e.Ref, e.Customer.Name, e.Customer.Email = ref, name, email
		id = h.ingest(e).IncidentID
	}
	return id
}

// fire dispatches the scheduled step of an incident.
func (h *harness) fire(id, step string) app.DispatchResult {
	h.t.Helper()
	for _, s := range h.schedules() {
		if s.IncidentID == id && s.Step == step {
			r, err := h.svc.Dispatch(context.Background(), s.Fire())
			if err != nil {
				h.t.Fatalf("dispatch %s %s: %v", id, step, err)
			}
			return r
		}
	}
	h.t.Fatalf("%s: no %s scheduled", id, step)
	return app.DispatchResult{}
}

// rate answers the incident's thank-you with score, through its link.
func (h *harness) rate(id string, score int) {
	h.t.Helper()
	u := h.svc.RatingURL(links.Claims{Incident: id, Step: "thanks-1", Survey: domain.SurveyCSAT, Score: score, Expires: h.clock.Now().Add(time.Hour)})
	tok := strings.TrimPrefix(u, "https://care.example.com/r/")
	if _, err := h.svc.Answer(context.Background(), tok, app.Feedback{}); err != nil {
		h.t.Fatalf("answer %d: %v", score, err)
	}
}

var signedToken = regexp.MustCompile(`/(r|u|v)/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// TestReviewSameInvitationForOneAndFive is the no-gating rule end to end
// through the use cases: the decision is on the timeline in the write that
// stored the completion; a guest who rated 1 (and is being looked after by
// the team) and one who rated 5 each get the invitation, byte for byte the
// same apart from names and signed tokens, with no rating link and no
// offer code.
func TestReviewSameInvitationForOneAndFive(t *testing.T) {
	h, rec := reviewing(t)
	low := h.guest("BK-LOW", "Nikos", "nikos@example.com", t0)
	high := h.guest("BK-HIGH", "Eleni", "eleni@example.com", t0)
	for _, id := range []string{low, high} {
		inc := h.incident(id)
		if inc.Review == nil || !inc.Review.Invite || countEntries(inc, domain.EntryReview) != 1 {
			t.Fatalf("%s: no decision stored with the completion: %+v", id, inc.Review)
		}
		if r := h.fire(id, "thanks-1"); !r.Sent {
			t.Fatalf("%s: thank-you %+v", id, r)
		}
	}
	h.clock.Advance(3 * time.Hour)
	h.rate(low, 1)
	h.rate(high, 5)
	if h.incident(low).Attention == nil || h.incident(high).Attention != nil {
		t.Fatal("the 1 did not raise attention, or the 5 did: the test would prove nothing")
	}
	h.clock.Advance(48 * time.Hour)
	var bodies [2]string
	for i, g := range []struct{ id, name, email string }{{low, "Nikos", "nikos@example.com"}, {high, "Eleni", "eleni@example.com"}} {
		if r := h.fire(g.id, "review-1"); !r.Sent {
			t.Fatalf("%s: invitation %+v", g.name, r)
		}
		m, ok := rec.last("review-1")
		if !ok || m.To.Address != g.email {
			t.Fatalf("%s: no invitation recorded", g.name)
		}
		all := m.Subject + "\n" + m.HTML + "\n" + m.Text
		if strings.Contains(all, "/r/") || !strings.Contains(all, "https://care.example.com/v/") {
			t.Errorf("%s: wants one review link and no rating link:\n%s", g.name, m.Text)
		}
		for _, bad := range []string{"offer", "code", "discount", "κωδικ", "έκπτωση", "δώρο"} {
			if strings.Contains(strings.ToLower(all), bad) {
				t.Errorf("%s: invitation says %q", g.name, bad)
			}
		}
		bodies[i] = strings.ReplaceAll(signedToken.ReplaceAllString(all, "/$1/TOKEN"), g.name, "NAME")
	}
	if bodies[0] != bodies[1] {
		t.Errorf("invitations differ:\n--- rated 1\n%s\n--- rated 5\n%s", bodies[0], bodies[1])
	}
}

// reviewToken is the token of the review link of an incident's email.
func (h *harness) reviewToken(id string) string {
	h.t.Helper()
	return strings.TrimPrefix(h.svc.ReviewURL(id, "review-1", h.clock.Now()), "https://care.example.com/v/")
}

// TestReviewFollow: fetching the review page records nothing; choosing a
// site records it once and yields only the configured URL; an index,
// token or link of another kind gets a bad-link error and no redirect.
func TestReviewFollow(t *testing.T) {
	h, _ := reviewing(t)
	ctx := context.Background()
	id := h.guest("BK-F", "Nikos", "nikos@example.com", t0)
	h.clock.Advance(49 * time.Hour)
	h.fire(id, "review-1")
	tok := h.reviewToken(id)
	before := h.incident(id)
	v, err := h.svc.ReviewPeek(ctx, tok)
	if err != nil || len(v.Sites) != 1 || v.Sites[0].URL != reviewSiteURL {
		t.Fatalf("peek %+v %v", v, err)
	}
	if after := h.incident(id); after.Version != before.Version {
		t.Error("a GET of the review page wrote the incident")
	}
	for range 2 {
		u, err := h.svc.ReviewFollow(ctx, tok, 0)
		if err != nil || u != reviewSiteURL {
			t.Fatalf("follow = %q, %v", u, err)
		}
	}
	inc := h.incident(id)
	n := 0
	for _, e := range inc.Timeline {
		if e.Kind == domain.EntryReview && e.Detail == "review site followed: Google" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d followed entries, want 1", n)
	}
	for name, try := range map[string]func() (string, error){
		"index out of range": func() (string, error) { return h.svc.ReviewFollow(ctx, tok, 1) },
		"negative index":     func() (string, error) { return h.svc.ReviewFollow(ctx, tok, -1) },
		"tampered token":     func() (string, error) { return h.svc.ReviewFollow(ctx, tok[:len(tok)-2]+"AA", 0) },
		"rating token": func() (string, error) {
			u := h.svc.RatingURL(links.Claims{Incident: id, Step: "thanks-1", Survey: domain.SurveyCSAT, Score: 5, Expires: h.clock.Now().Add(time.Hour)})
			return h.svc.ReviewFollow(ctx, strings.TrimPrefix(u, "https://care.example.com/r/"), 0)
		},
		"unsubscribe token": func() (string, error) { return h.svc.ReviewFollow(ctx, h.unsubscribeToken(id), 0) },
		"invitation never sent": func() (string, error) {
			u := h.svc.ReviewURL(id, "review-2", h.clock.Now())
			return h.svc.ReviewFollow(ctx, strings.TrimPrefix(u, "https://care.example.com/v/"), 0)
		},
	} {
		if u, err := try(); !errors.Is(err, app.ErrBadLink) || u != "" {
			t.Errorf("%s: %q, %v; want a bad link and no URL", name, u, err)
		}
	}
	// A review link can never answer a survey.
	if _, err := h.svc.Answer(ctx, tok, app.Feedback{}); !errors.Is(err, app.ErrBadLink) {
		t.Errorf("review token answered a survey: %v", err)
	}
}

// TestReviewBudgetAndConsent: the invitation spends the person's message
// budget (a second invitation within message_cooldown is skipped, with
// why) and goes to nobody who unsubscribed.
func TestReviewBudgetAndConsent(t *testing.T) {
	h, _ := reviewing(t)
	ctx := context.Background()
	first := h.guest("BK-1", "Nikos", "nikos@example.com", t0)
	h.clock.Advance(24 * time.Hour)
	second := h.guest("BK-2", "Nikos", "nikos@example.com", h.clock.Now())
	h.clock.Advance(49 * time.Hour)
	if r := h.fire(first, "review-1"); !r.Sent {
		t.Fatalf("first invitation %+v", r)
	}
	if r := h.fire(second, "review-1"); r.Sent || r.Skipped != app.SkipThrottled {
		t.Fatalf("second invitation within 7 days: %+v", r)
	}
	if st := h.incident(second).Steps["review-1"]; st.Status != domain.StepSkipped || !strings.Contains(st.Error, "throttled: a personal note went out") {
		t.Errorf("skip not explained: %+v", st)
	}

	other := h.guest("BK-3", "Eleni", "eleni@example.com", h.clock.Now())
	if _, err := h.svc.Unsubscribe(ctx, h.unsubscribeToken(other)); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(49 * time.Hour)
	if r := h.fire(other, "review-1"); r.Sent || r.Skipped != app.SkipNotMailable {
		t.Fatalf("invitation to an unsubscribed person: %+v", r)
	}
}
