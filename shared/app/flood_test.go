package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
)

// alerts counts the team emails in the outbox and the webhook posts.
func (l *loop) alerts() (emails, hooks int) {
	l.t.Helper()
	for _, m := range l.mails() {
		if strings.HasPrefix(m, "alert-") {
			emails++
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return emails, len(l.hooks)
}

// runDue fires every schedule due by the harness clock.
func (l *loop) runDue() {
	l.t.Helper()
	rs, err := l.sched.RunDue(context.Background(), l.clock.Now())
	if err != nil {
		l.t.Fatal(err)
	}
	for _, r := range rs {
		if r.Err != nil {
			l.t.Fatalf("fire %s: %v", r.Schedule.Name, r.Err)
		}
	}
}

// Found from outside: flipping a score 5↔1 through the rating page 200
// times in 16 s produced 100 team emails and 100 webhook posts. The team
// hears once per attention episode, and every later change is folded into
// one follow-up alert an hour later that tells where things stand.
func TestScoreFlipsMakeTwoAlerts(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	ctx := context.Background()
	for i := range 200 {
		score := 1
		if i%2 == 1 {
			score = 5
		}
		comment := fmt.Sprintf("flip %d", i)
		if _, err := l.svc.Answer(ctx, l.rating(id, score), app.Feedback{Comment: &comment}); err != nil {
			t.Fatalf("flip %d: %v", i, err)
		}
		l.clock.Advance(80 * time.Millisecond)
	}
	if e, h := l.alerts(); e != 1 || h != 1 {
		t.Fatalf("during the flips: %d team emails, %d webhook posts; want the first alert only", e, h)
	}
	l.clock.Advance(time.Hour)
	l.runDue()
	emails, hooks := l.alerts()
	t.Logf("200 score flips: %d team emails, %d webhook posts", emails, hooks)
	if emails != 2 || hooks != 2 {
		t.Fatalf("after the hour: %d team emails, %d webhook posts; want 2 and 2", emails, hooks)
	}
	// One story: the last word was a 5, and the follow-up says so.
	inc := l.incident(id)
	if n := len(inc.Escalations); n != 2 || inc.Escalations[0].Cause != domain.CauseNegative || inc.Escalations[1].Cause != domain.CauseImproved || inc.Escalations[1].Score != 5 || inc.Escalations[1].Folded < 100 {
		t.Fatalf("escalations = %+v", inc.Escalations)
	}
	if a := inc.Answers["thanks-1"]; a.Score != 5 || a.Changes != 199 || a.Comment != "flip 199" {
		t.Fatalf("answer = %+v", a)
	}
	improved := 0
	for _, e := range inc.Timeline {
		if e.Kind == domain.EntryImproved {
			improved++
		}
	}
	if improved == 0 {
		t.Fatal("the timeline does not say the low score was raised")
	}
	l.mu.Lock()
	last := l.hooks[len(l.hooks)-1]
	l.mu.Unlock()
	if last["type"] != "aftercare.alert."+domain.CauseImproved {
		t.Errorf("follow-up webhook type = %v", last["type"])
	}
	// The same answer posted again writes nothing.
	before := inc.Version
	if _, err := l.svc.Answer(ctx, l.rating(id, 5), app.Feedback{}); err != nil {
		t.Fatal(err)
	}
	if after := l.incident(id).Version; after != before {
		t.Errorf("re-posting the same answer wrote the incident (version %d → %d)", before, after)
	}
}

// Found from outside: 99 edits of a 4,000-character comment pushed one
// incident past DynamoDB's 400 KB, after which it took no more writes.
// Through the real use cases (the store contract suite drives 1,000
// changes into both stores directly), 300 changes keep it under 64 KB.
func TestIncidentStaysSmallUnderManyChanges(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	ctx := context.Background()
	addr := l.addrs.For(id, "thanks-1")
	big := strings.Repeat("<", domain.MaxComment)
	const changes = 300
	for i := range changes {
		l.clock.Advance(37 * time.Second)
		switch i % 3 {
		case 0:
			if _, err := l.svc.Answer(ctx, l.rating(id, 1+4*(i/3%2)), app.Feedback{}); err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		case 1:
			c := fmt.Sprintf("%d %s", i, big)
			if _, err := l.svc.Answer(ctx, l.rating(id, 1), app.Feedback{Comment: &c, Reasons: []string{"waiting", "staff"}}); err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		case 2:
			raw := replyMessage(addr, fmt.Sprintf("%d %s", i, strings.Repeat("\"quote\" ", 500)))
			if r, err := l.svc.Reply(ctx, raw, fmt.Sprintf("inbound/%d.eml", i)); err != nil || r.Outcome == app.ReplyDropped {
				t.Fatalf("change %d: %+v %v", i, r, err)
			}
		}
	}
	size, err := l.store.StoredSize(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	inc := l.incident(id)
	t.Logf("after %d changes: %d bytes; %d timeline entries (%d let go), %d steps, %d escalations", changes, size, len(inc.Timeline), inc.TimelineDropped, len(inc.Steps), len(inc.Escalations))
	if size >= domain.MaxEncodedSize {
		t.Fatalf("incident is %d bytes, budget %d", size, domain.MaxEncodedSize)
	}
	emails, hooks := l.alerts()
	if hours := changes * 37 / 3600; emails > hours+2 || hooks > hours+2 {
		t.Fatalf("%d team emails and %d posts in %d hours of changes", emails, hooks, hours)
	}
}
