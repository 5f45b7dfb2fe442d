package domain

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// reviewPolicy is the default policy with review invitations two days
// after completion at 11:00, to the brand's Google page and, for one
// location, its Tripadvisor page.
func reviewPolicy(t *testing.T, sample string) Policy {
	t.Helper()
	js := `{
	  "quiet_hours": {"start": "21:00", "end": "09:00"},
	  "rules": [{"kind": "booking", "status": ["completed"], "steps": [
	    {"id": "thanks", "template": "thank_you", "survey": "csat", "days": 1, "at": "10:00"}]}],
	  "review_sample": "` + sample + `",
	  "review_invite": {"days": 2, "at": "11:00",
	    "sites": [{"name": "Google", "url": "https://g.page/r/sea-breeze/review"}],
	    "locations": {"Old Port, Chania": [{"name": "Tripadvisor", "url": "https://www.tripadvisor.com/UserReviewEdit-d1"}]}}
	}`
	if sample == "" {
		js = strings.Replace(js, `"review_sample": "",`, "", 1)
	}
	p, err := ParsePolicy([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// completedBooking is a booking created and completed through Apply, with
// the review decision taken in the completion's write, as Ingest does.
func completedBooking(t *testing.T, p Policy, ref string) Incident {
	t.Helper()
	var inc Incident
	for _, e := range []Event{event(ref+"-c", BookingCreated, "2026-11-18T09:00:00Z"), event(ref+"-d", BookingCompleted, "2026-11-20T17:30:00Z")} {
		e.Ref = ref
		apply(t, &inc, e)
		inc.DecideReview(p, e.OccurredAt)
	}
	return inc
}

func reviewStepOf(plan []PlannedStep) (PlannedStep, bool) {
	for _, s := range plan {
		if IsReviewKey(s.Key) {
			return s, true
		}
	}
	return PlannedStep{}, false
}

// answered is inc after the thank-you went out and the customer rated it
// score (CSAT), judged as the answer use case judges it.
func answered(t *testing.T, inc Incident, p Policy, score int, at time.Time) Incident {
	t.Helper()
	inc.Steps = map[string]StepState{}
	if err := inc.Claim("thanks-1", time.Minute, at); err != nil {
		t.Fatal(err)
	}
	inc.MarkSent("thanks-1", "m1", at)
	if err := inc.RecordAnswer("thanks-1", SurveyCSAT, score, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	inc.Judge("thanks-1", Answer{}, false, p, at.Add(time.Hour))
	if err := inc.RecordComment("thanks-1", fmt.Sprintf("rated %d", score), at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return inc
}

// TestReviewDecisionIndependentOfAnswers is the no-gating rule: the
// invitation planned for a booking is the same before any answer, after a
// 1 (which raises the team's attention) and after a 5, and once the
// problem was handled and the "did we fix it?" survey answered.
func TestReviewDecisionIndependentOfAnswers(t *testing.T) {
	p := reviewPolicy(t, "")
	inc := completedBooking(t, p, "BK-7")
	if inc.Review == nil || !inc.Review.Invite || inc.Review.Cycle != 1 {
		t.Fatalf("decision at completion = %+v, want an invitation for cycle 1", inc.Review)
	}
	before := inc.Review
	now := mustTime(t, "2026-11-21T09:00:00Z")
	base, ok := reviewStepOf(Plan(inc, p, now))
	if !ok {
		t.Fatal("no review invitation planned")
	}
	// Two days after 17:30Z (18:30 Madrid) at 11:00 Madrid is 10:00Z.
	if base.Key != "review-1" || base.Kind != KindNote || base.Step.Template != ReviewTemplate || !base.Due.Equal(mustTime(t, "2026-11-22T10:00:00Z")) {
		t.Fatalf("planned %+v", base)
	}
	low := answered(t, inc, p, 1, now)
	if low.Attention == nil {
		t.Fatal("a 1 did not raise attention; the test would prove nothing")
	}
	high := answered(t, inc, p, 5, now)
	if high.Attention != nil {
		t.Fatal("a 5 raised attention")
	}
	// The team handles the 1 and the booking is completed again: the
	// recovery survey replaces the usual steps, not the decision of cycle 1.
	for name, got := range map[string]Incident{"rated 1": low, "rated 5": high} {
		if !reflect.DeepEqual(got.Review, before) {
			t.Errorf("%s: decision changed to %+v", name, got.Review)
		}
		if got.DecideReview(p, now.Add(time.Hour)) {
			t.Errorf("%s: decided again after an answer", name)
		}
		s, ok := reviewStepOf(Plan(got, p, now.Add(3*time.Hour)))
		if !ok || !reflect.DeepEqual(s, base) {
			t.Errorf("%s: planned %+v (%v), want %+v", name, s, ok, base)
		}
	}
	// No answer-derived field is an input: a recovery cycle with handled
	// attention plans the same invitation for cycle 1 too.
	low.Team = &Handling{Handled: []HandledEpisode{{Episode: low.Attention.Episode, At: now.Add(4 * time.Hour)}}}
	if s, ok := reviewStepOf(Plan(low, p, now.Add(5*time.Hour))); !ok || !reflect.DeepEqual(s, base) {
		t.Errorf("after handling: planned %+v (%v)", s, ok)
	}
}

// TestReviewDecisionRecordedOnce: the decision is on the timeline, taken
// once per completed cycle, and a booking completed again (rebooked and
// completed) gets its own decision and step key.
func TestReviewDecisionRecordedOnce(t *testing.T) {
	p := reviewPolicy(t, "")
	inc := completedBooking(t, p, "BK-8")
	var entries []Entry
	for _, e := range inc.Timeline {
		if e.Kind == EntryReview {
			entries = append(entries, e)
		}
	}
	if len(entries) != 1 || entries[0].Step != "review-1" || !strings.Contains(entries[0].Detail, "every completed booking") {
		t.Fatalf("timeline review entries = %+v", entries)
	}
	if inc.DecideReview(p, mustTime(t, "2026-11-21T09:00:00Z")) {
		t.Error("decided twice for one cycle")
	}
	for _, e := range []Event{event("r-c", BookingCreated, "2026-12-01T09:00:00Z"), event("r-d", BookingCompleted, "2026-12-05T17:30:00Z")} {
		e.Ref = "BK-8"
		apply(t, &inc, e)
		inc.DecideReview(p, e.OccurredAt)
	}
	if inc.Review == nil || inc.Review.Cycle != 2 {
		t.Fatalf("second completion: decision %+v", inc.Review)
	}
	if s, ok := reviewStepOf(Plan(inc, p, mustTime(t, "2026-12-05T18:00:00Z"))); !ok || s.Key != "review-2" {
		t.Errorf("second completion planned %+v (%v)", s, ok)
	}
}

// TestReviewNotPlanned: tickets, bookings not completed, policies without
// review sites, and bookings sampled out get no invitation; the sampled
// out ones say why on the timeline.
func TestReviewNotPlanned(t *testing.T) {
	now := mustTime(t, "2026-11-21T09:00:00Z")
	p := reviewPolicy(t, "")
	if inc := completedBooking(t, DefaultPolicy(), "BK-1"); inc.Review != nil {
		t.Errorf("default policy decided %+v", inc.Review)
	} else if _, ok := reviewStepOf(Plan(inc, DefaultPolicy(), now)); ok {
		t.Error("default policy planned an invitation")
	}
	ticket := resolvedIncident(KindTicket, StatusSolved, "UTC", "2026-11-20T11:00:00Z", t)
	if ticket.DecideReview(p, now) {
		t.Error("decided for a ticket")
	}
	if _, ok := reviewStepOf(Plan(ticket, p, now)); ok {
		t.Error("planned an invitation for a ticket")
	}
	var booked Incident
	apply(t, &booked, event("b1", BookingCreated, "2026-11-18T09:00:00Z"))
	if booked.DecideReview(p, now) {
		t.Error("decided for a booking not completed")
	}
	// A sampled-out booking: find one for a 1/2 sample.
	half := reviewPolicy(t, "1/2")
	for i := range 50 {
		inc := completedBooking(t, half, fmt.Sprintf("BK-%d", i))
		if inc.Review.Invite {
			continue
		}
		if !strings.Contains(inc.Timeline[len(inc.Timeline)-1].Detail, "sampled out of the review sample 1/2") {
			t.Errorf("sampled out without saying so: %+v", inc.Timeline[len(inc.Timeline)-1])
		}
		if _, ok := reviewStepOf(Plan(inc, half, now)); ok {
			t.Error("planned an invitation for a booking sampled out")
		}
		return
	}
	t.Fatal("no booking of 50 was sampled out of 1/2")
}

// TestReviewSample: the sample is a deterministic function of the
// booking's id, near its share, and independent of the survey sample.
func TestReviewSample(t *testing.T) {
	const n = 2000
	in, differ := 0, 0
	surveys := Policy{SurveySample: "1/2"}
	for i := range n {
		id := IncidentID("calcom", fmt.Sprintf("BK-%d", i))
		a := reviewSampled("1/2", id)
		if a != reviewSampled("1/2", id) {
			t.Fatalf("%s: not deterministic", id)
		}
		if a {
			in++
		}
		if a != surveys.Sampled(id) {
			differ++
		}
		if !reviewSampled("2/2", id) {
			t.Fatalf("%s: 2/2 left it out", id)
		}
	}
	if in < n*45/100 || in > n*55/100 {
		t.Errorf("1/2 sampled %d of %d", in, n)
	}
	// Independent samples disagree about half the time; the same hash
	// would never disagree.
	if differ < n*40/100 || differ > n*60/100 {
		t.Errorf("review and survey samples disagree on %d of %d", differ, n)
	}
}

// TestReviewCompletesAtEnd: a booking that completes at its end time has
// no write at that moment; Plan derives the same decision, and the
// explicit completion that may follow records it unchanged.
func TestReviewCompletesAtEnd(t *testing.T) {
	p := reviewPolicy(t, "")
	var inc Incident
	apply(t, &inc, endsAtEvent("c1", BookingCreated, "2026-11-18T09:00:00Z", "2026-11-20T17:30:00Z"))
	inc.DecideReview(p, inc.UpdatedAt)
	now := mustTime(t, "2026-11-21T09:00:00Z")
	implicit, ok := reviewStepOf(Plan(inc, p, now))
	if !ok || inc.Review != nil {
		t.Fatalf("implicit completion: planned %v, decision %+v", ok, inc.Review)
	}
	e := event("d1", BookingCompleted, "2026-11-20T17:30:00Z")
	apply(t, &inc, e)
	if !inc.DecideReview(p, e.OccurredAt) {
		t.Fatal("explicit completion recorded no decision")
	}
	explicit, ok := reviewStepOf(Plan(inc, p, now))
	if !ok || !reflect.DeepEqual(implicit, explicit) {
		t.Errorf("explicit %+v, implicit %+v", explicit, implicit)
	}
}

// TestReviewSites: a location's sites come first, then the brand's, each
// URL once; an unknown location gets the brand's.
func TestReviewSites(t *testing.T) {
	p := reviewPolicy(t, "")
	got := p.ReviewSites("  old port, CHANIA ")
	if len(got) != 2 || got[0].Name != "Tripadvisor" || got[1].Name != "Google" {
		t.Errorf("location sites = %+v", got)
	}
	if got := p.ReviewSites("Elsewhere"); len(got) != 1 || got[0].Name != "Google" {
		t.Errorf("other location = %+v", got)
	}
	if got := DefaultPolicy().ReviewSites("x"); got != nil {
		t.Errorf("default policy sites = %+v", got)
	}
}

// TestReviewPolicyValidation: what an operator may write in "review_invite",
// with the errors they get.
func TestReviewPolicyValidation(t *testing.T) {
	rules := `"rules": []`
	tests := []struct {
		name, reviews, wantErr string
	}{
		{"ok", `{"delay": "2d", "sites": [{"name": "Trustpilot", "url": "https://www.trustpilot.com/evaluate/example.com"}]}`, ""},
		{"only locations", `{"locations": {"Chania": [{"name": "Google", "url": "https://g.page/r/x/review"}]}}`, ""},
		{"http", `{"sites": [{"name": "Google", "url": "http://g.page/r/x"}]}`, "not an absolute https:// URL"},
		{"javascript", `{"sites": [{"name": "Google", "url": "javascript:alert(1)"}]}`, "not an absolute https:// URL"},
		{"relative", `{"sites": [{"name": "Google", "url": "/review"}]}`, "not an absolute https:// URL"},
		{"credentials", `{"sites": [{"name": "Google", "url": "https://u:p@g.page/r"}]}`, "not an absolute https:// URL"},
		{"no name", `{"sites": [{"name": "", "url": "https://g.page/r"}]}`, "review_invite.sites[0].name"},
		{"no sites", `{"delay": "1d"}`, "at least one site"},
		{"unknown field", `{"site": [{"name": "G", "url": "https://g.page/r"}]}`, "unknown field"},
		{"unknown site field", `{"sites": [{"name": "G", "link": "https://g.page/r"}]}`, "unknown field"},
		{"days without at", `{"days": 2, "sites": [{"name": "G", "url": "https://g.page/r"}]}`, "review_invite.days"},
		{"bad location list", `{"locations": {"Chania": [{"name": "G", "url": "ftp://g.page/r"}]}}`, `review_invite.locations["Chania"][0].url`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(`{` + rules + `, "review_invite": ` + tt.reviews + `}`))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := ParsePolicy([]byte(`{"rules": [], "review_sample": "3/2", "review_invite": {"sites": [{"name": "G", "url": "https://g.page/r"}]}}`)); !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), "review_sample") {
		t.Errorf("bad sample: error = %v, want one naming review_sample", err)
	}
	_, err := ParsePolicy([]byte(`{"rules": [{"kind": "booking", "status": ["completed"], "steps": [{"id": "review", "template": "thank_you"}]}],
		"review_invite": {"sites": [{"name": "G", "url": "https://g.page/r"}]}}`))
	if err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("a rule step named review: %v", err)
	}
	_, err = ParsePolicy([]byte(`{"rules": [{"kind": "booking", "status": ["completed"], "steps": [{"id": "ask", "template": "review_invite"}]}]}`))
	if err == nil || !strings.Contains(err.Error(), "never as a rule's step") {
		t.Errorf("a rule step with the review template: %v", err)
	}
}

// TestReviewMessageBudget: the invitation is a personal note, so it
// spends the person's message budget, shared with loyalty notes: one per
// message_cooldown (default 7 days) across incidents.
func TestReviewMessageBudget(t *testing.T) {
	p := reviewPolicy(t, "")
	s, ok := reviewStepOf(Plan(completedBooking(t, p, "BK-9"), p, mustTime(t, "2026-11-21T09:00:00Z")))
	if !ok || s.Kind != KindNote {
		t.Fatalf("invitation kind %q (%v), want %q: only notes spend the message budget", s.Kind, ok, KindNote)
	}
	if p.MessageBudget() != 7*24*time.Hour {
		t.Fatalf("default message budget %v", p.MessageBudget())
	}
	var c Contact
	at := mustTime(t, "2026-11-22T10:00:00Z")
	if err := c.ClaimMessage("inc_a", s.Key, p.MessageBudget(), at); err != nil {
		t.Fatal(err)
	}
	if err := c.ClaimMessage("inc_a", s.Key, p.MessageBudget(), at.Add(time.Hour)); err != nil {
		t.Errorf("the same invitation claimed again: %v", err)
	}
	if err := c.ClaimMessage("inc_b", "loyalty-1", p.MessageBudget(), at.Add(6*24*time.Hour)); !errors.Is(err, ErrThrottled) {
		t.Errorf("a loyalty note 6 days after an invitation: %v, want throttled", err)
	}
	if err := c.ClaimMessage("inc_c", "review-1", p.MessageBudget(), at.Add(7*24*time.Hour)); err != nil {
		t.Errorf("an invitation 7 days later: %v", err)
	}
}

// TestFollowReview: a followed site is recorded once, per site.
func TestFollowReview(t *testing.T) {
	p := reviewPolicy(t, "")
	inc := completedBooking(t, p, "BK-10")
	now := mustTime(t, "2026-11-23T10:00:00Z")
	g, tr := p.ReviewSites("Old Port, Chania")[1], p.ReviewSites("Old Port, Chania")[0]
	keep := inc.Review
	if !inc.FollowReview("review-1", g, now) || inc.FollowReview("review-1", g, now.Add(time.Minute)) {
		t.Error("Google: want recorded once")
	}
	if !inc.FollowReview("review-1", tr, now) {
		t.Error("Tripadvisor not recorded")
	}
	if len(keep.Followed) != 0 {
		t.Error("FollowReview changed a decision shared with another copy")
	}
	n := 0
	for _, e := range inc.Timeline {
		if e.Kind == EntryReview && strings.HasPrefix(e.Detail, "review site followed") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d followed entries, want 2", n)
	}
}

// TestReviewNoSiteForLocation: with sites for one location only, a
// booking elsewhere is decided "not invited" at completion, with why.
func TestReviewNoSiteForLocation(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"rules": [], "review_invite": {"locations": {"Chania": [{"name": "Google", "url": "https://g.page/r/x/review"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := completedBooking(t, p, "BK-E")
	if d := elsewhere.Review; d == nil || d.Invite || !strings.Contains(d.Reason, "no review site") {
		t.Errorf("elsewhere: %+v", d)
	}
	if _, ok := reviewStepOf(Plan(elsewhere, p, mustTime(t, "2026-11-21T09:00:00Z"))); ok {
		t.Error("planned an invitation with no site to go to")
	}
	var there Incident
	for _, e := range []Event{event("h-c", BookingCreated, "2026-11-18T09:00:00Z"), event("h-d", BookingCompleted, "2026-11-20T17:30:00Z")} {
		e.Location = "chania"
		apply(t, &there, e)
		there.DecideReview(p, e.OccurredAt)
	}
	if d := there.Review; d == nil || !d.Invite {
		t.Errorf("Chania: %+v", d)
	}
}

func BenchmarkPlanWithReview(b *testing.B) {
	p, err := ParsePolicy([]byte(`{"rules": [{"kind": "booking", "status": ["completed"], "steps": [
	  {"id": "thanks", "template": "thank_you", "survey": "csat", "days": 1, "at": "10:00"}]}],
	  "review_sample": "1/2", "review_invite": {"days": 2, "at": "11:00", "sites": [{"name": "Google", "url": "https://g.page/r/x/review"}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	var inc Incident
	for _, e := range []Event{event("c", BookingCreated, "2026-11-18T09:00:00Z"), event("d", BookingCompleted, "2026-11-20T17:30:00Z")} {
		if _, err := inc.Apply(e, e.OccurredAt); err != nil {
			b.Fatal(err)
		}
		inc.DecideReview(p, e.OccurredAt)
	}
	now := inc.ResolvedAt.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		Plan(inc, p, now)
	}
}
