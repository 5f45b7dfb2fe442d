package app_test

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/calendar/ical"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/outbox"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/store/bolt"
)

// harness is the service on the real local adapters: a bbolt store, the
// persistent local scheduler and the .eml outbox. Failures are injected
// only where a test needs one, by wrapping a real adapter.
type harness struct {
	t      *testing.T
	svc    *app.Service
	store  *bolt.Store
	sched  *localsched.Scheduler
	outbox *outbox.Outbox
	clock  *clock.Settable
	sends  atomic.Int32
	// failSend, when set, fails sends before they reach the outbox.
	failSend atomic.Pointer[error]
	// failCreate fails the next n schedule creations.
	failCreate atomic.Int32
}

var t0 = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, opts ...func(*app.Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, clock: clock.NewFrozen(t0)}
	var err error
	if h.store, err = bolt.Open(filepath.Join(dir, "aftercare.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	if h.outbox, err = outbox.New(filepath.Join(dir, "outbox")); err != nil {
		t.Fatal(err)
	}
	target := func(ctx context.Context, f schedule.Fire) error { _, err := h.svc.Dispatch(ctx, f); return err }
	if h.sched, err = localsched.Open(filepath.Join(dir, "schedules.db"), h.clock, target, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.sched.Close() })
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	cfg := app.Config{
		Store: h.store, Scheduler: flakyScheduler{h}, Mailer: countingSender{h},
		Renderer: render.New(render.Brand{Name: "Sea Breeze Tours"}), Links: signer, Clock: h.clock,
		Policy: domain.DefaultPolicy(), PublicURL: "https://care.example.com", Calendar: ical.Write,
		From: netmail.Address{Name: "Sea Breeze", Address: "care@seabreeze.example"},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.svc, err = app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type countingSender struct{ h *harness }

func (s countingSender) Send(ctx context.Context, m mail.Message) (string, error) {
	if err := s.h.failSend.Load(); err != nil {
		return "", *err
	}
	s.h.sends.Add(1)
	return s.h.outbox.Send(ctx, m)
}

type flakyScheduler struct{ h *harness }

func (s flakyScheduler) Create(ctx context.Context, sc schedule.Schedule) error {
	if s.h.failCreate.Add(-1) >= 0 {
		return errors.New("scheduler unavailable")
	}
	return s.h.sched.Create(ctx, sc)
}

func (s flakyScheduler) Delete(ctx context.Context, name string) error {
	return s.h.sched.Delete(ctx, name)
}

func (h *harness) event(id string, typ domain.EventType, at time.Time) domain.Event {
	return domain.Event{
		ID: id, Provider: "aftercare", Type: typ, OccurredAt: at, Ref: "BK-7",
		Customer: domain.Customer{Email: "nikos@example.com", Name: "Νίκος", Locale: "el-GR", TimeZone: "Europe/Athens"},
		Title:    "Samaria Gorge hike",
	}
}

func (h *harness) ingest(e domain.Event) app.IngestResult {
	h.t.Helper()
	res, err := h.svc.Ingest(context.Background(), e)
	if err != nil {
		h.t.Fatalf("ingest %s: %v", e.ID, err)
	}
	return res
}

func (h *harness) schedules() []localsched.Entry {
	h.t.Helper()
	l, err := h.sched.List()
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

func (h *harness) incident(id string) domain.Incident {
	h.t.Helper()
	inc, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return inc
}

func fireOf(e localsched.Entry) schedule.Fire { return e.Fire() }

func TestCancellationRemovesPendingSchedules(t *testing.T) {
	h := newHarness(t)
	res := h.ingest(h.event("e1", domain.BookingCompleted, t0))
	s := h.schedules()
	if len(s) != 1 {
		t.Fatalf("want 1 schedule, got %d", len(s))
	}
	h.ingest(h.event("e2", domain.BookingCancelled, t0.Add(time.Minute)))
	if s := h.schedules(); len(s) != 0 {
		t.Fatalf("cancellation left %d schedules", len(s))
	}
	_ = res
	// The old wake-up call, had it fired anyway, sends nothing.
	r, err := h.svc.Dispatch(context.Background(), fireOf(s[0]))
	if err != nil || r.Sent || r.Skipped != app.SkipNotWanted {
		t.Fatalf("dispatch after cancel: %+v %v", r, err)
	}
	if h.sends.Load() != 0 {
		t.Fatal("sent after cancellation")
	}
}

func TestFiredTwiceSendsOnce(t *testing.T) {
	h := newHarness(t)
	h.ingest(h.event("e1", domain.BookingCompleted, t0))
	f := fireOf(h.schedules()[0])
	var wg sync.WaitGroup
	var sent atomic.Int32
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := h.svc.Dispatch(context.Background(), f)
			if err != nil {
				t.Error(err)
			}
			if r.Sent {
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	if sent.Load() != 1 || h.sends.Load() != 1 {
		t.Fatalf("sent %d times (mailer saw %d), want once", sent.Load(), h.sends.Load())
	}
	inc := h.incident(f.IncidentID)
	if st := inc.Steps[f.Step]; st.Status != domain.StepSent || st.MessageID == "" {
		t.Fatalf("step state %+v", st)
	}
	for _, sc := range h.schedules() {
		if sc.Step == f.Step {
			t.Fatalf("a sent step must leave no wake-up call: %s", sc.Name)
		}
	}
}

func TestSupersededScheduleSkips(t *testing.T) {
	h := newHarness(t)
	h.ingest(h.event("e1", domain.BookingCompleted, t0))
	old := fireOf(h.schedules()[0])
	// The customer's zone changes: the due time, and so the schedule, moves.
	e := h.event("e2", domain.BookingUpdated, t0.Add(time.Minute))
	e.Customer.TimeZone = "America/New_York"
	h.ingest(e)
	s := h.schedules()
	if len(s) != 1 || s[0].Name == old.Schedule {
		t.Fatalf("want one new schedule, got %+v", s)
	}
	for range 2 { // a redelivered call notes nothing twice
		if r, _ := h.svc.Dispatch(context.Background(), old); r.Skipped != app.SkipSuperseded {
			t.Fatalf("old schedule: %+v", r)
		}
	}
	inc := h.incident(old.IncidentID)
	var notes []string
	for _, e := range inc.Timeline {
		if e.Kind == domain.EntryNotSent {
			notes = append(notes, e.Detail)
		}
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "superseded: ") {
		t.Fatalf("timeline notes %q, want one superseded", notes)
	}
	if r, err := h.svc.Dispatch(context.Background(), fireOf(s[0])); err != nil || !r.Sent {
		t.Fatalf("new schedule: %+v %v", r, err)
	}
}

// A wake-up call that comes more than max_lateness (7 days) after the
// step was due sends nothing; the timeline says it was too late.
func TestTooLate(t *testing.T) {
	h := newHarness(t)
	h.ingest(h.event("e1", domain.BookingCompleted, t0))
	sc := h.schedules()[0]
	h.clock.Set(sc.Due.Add(8 * 24 * time.Hour))
	r, err := h.svc.Dispatch(context.Background(), sc.Fire())
	if err != nil || r.Sent || r.Skipped != app.SkipTooLate {
		t.Fatalf("%+v %v", r, err)
	}
	inc := h.incident(sc.IncidentID)
	if st := inc.Steps[sc.Step]; st.Status != domain.StepSkipped || !strings.HasPrefix(st.Error, "too late: it was due ") {
		t.Fatalf("step %+v", st)
	}
	if h.sends.Load() != 0 {
		t.Fatal("a late step was sent")
	}
}

func TestRetryableFailureIsRescheduled(t *testing.T) {
	h := newHarness(t)
	h.ingest(h.event("e1", domain.BookingCompleted, t0))
	first := h.schedules()[0]
	h.clock.Set(first.Due)
	transient := errors.New("connection reset")
	h.failSend.Store(&transient)
	r, err := h.svc.Dispatch(context.Background(), first.Fire())
	if err != nil || r.Sent {
		t.Fatalf("failed send: %+v %v", r, err)
	}
	s := h.schedules()
	var retry *localsched.Entry
	for i := range s {
		if s[i].Name != first.Name {
			retry = &s[i]
		}
	}
	if retry == nil || retry.Step != first.Step || retry.Due.Sub(first.Due) < domain.RetryDelay(1) {
		t.Fatalf("want a retry schedule ≥ %s later, got %+v", domain.RetryDelay(1), s)
	}
	inc := h.incident(first.IncidentID)
	if st := inc.Steps[first.Step]; st.Status != domain.StepFailed || st.Attempts != 1 {
		t.Fatalf("step %+v", st)
	}
	h.failSend.Store(nil)
	if r, err := h.svc.Dispatch(context.Background(), retry.Fire()); err != nil || !r.Sent {
		t.Fatalf("retry: %+v %v", r, err)
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	h := newHarness(t)
	h.ingest(h.event("e1", domain.BookingCompleted, t0))
	first := h.schedules()[0]
	rejected := fmt.Errorf("address does not exist: %w", mail.ErrPermanent)
	h.failSend.Store(&rejected)
	r, err := h.svc.Dispatch(context.Background(), first.Fire())
	if err != nil || r.Sent || !strings.Contains(r.Skipped, "given up") {
		t.Fatalf("rejected send: %+v %v", r, err)
	}
	for _, s := range h.schedules() {
		if s.Name != first.Name {
			t.Fatalf("a rejected step must not be rescheduled: %+v", s)
		}
	}
	if st := h.incident(first.IncidentID).Steps[first.Step]; st.Status != domain.StepRejected {
		t.Fatalf("step %+v", st)
	}
}

// TestNothingLostBetweenStoreAndSchedule: the incident is stored but the
// scheduler fails; the sender's retry of the same delivery (a duplicate)
// still gets the follow-up scheduled.
func TestNothingLostBetweenStoreAndSchedule(t *testing.T) {
	h := newHarness(t)
	h.failCreate.Store(1)
	e := h.event("e1", domain.BookingCompleted, t0)
	if _, err := h.svc.Ingest(context.Background(), e); err == nil {
		t.Fatal("want the scheduler's failure reported, so the sender retries")
	}
	if len(h.schedules()) != 0 {
		t.Fatal("nothing should be scheduled yet")
	}
	res := h.ingest(e)
	if res.Outcome != domain.Duplicate {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if len(h.schedules()) != 1 {
		t.Fatal("the retry must schedule the follow-up")
	}
	// And the stream planner's path, ReconcileID, is a no-op once in sync.
	if err := h.svc.ReconcileID(context.Background(), res.IncidentID); err != nil {
		t.Fatal(err)
	}
	if len(h.schedules()) != 1 {
		t.Fatal("reconciling again must not add schedules")
	}
}

func TestAnswerFlow(t *testing.T) {
	h := newHarness(t)
	h.ingest(h.event("e1", domain.BookingCompleted, t0))
	f := fireOf(h.schedules()[0])
	if _, err := h.svc.Dispatch(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	tok := func(score int, exp time.Time) string {
		return signer.Sign(links.Claims{Incident: f.IncidentID, Step: f.Step, Survey: domain.SurveyCSAT, Score: score, Expires: exp})
	}
	ctx := context.Background()
	v, err := h.svc.Answer(ctx, tok(2, t0.Add(time.Hour)), app.Feedback{})
	if err != nil || v.Answer.Score != 2 || len(v.Choices) != 5 || !v.Choices[1].Current {
		t.Fatalf("answer: %+v %v", v, err)
	}
	comment := "Too crowded"
	if _, err := h.svc.Answer(ctx, tok(2, t0.Add(time.Hour)), app.Feedback{Comment: &comment}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Answer(ctx, tok(3, t0.Add(-time.Second)), app.Feedback{}); !errors.Is(err, app.ErrBadLink) || !errors.Is(err, links.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	other, _ := links.NewSigner([]byte(strings.Repeat("x", 32)))
	forged := other.Sign(links.Claims{Incident: f.IncidentID, Step: f.Step, Survey: domain.SurveyCSAT, Score: 5, Expires: t0.Add(time.Hour)})
	if _, err := h.svc.Answer(ctx, forged, app.Feedback{}); !errors.Is(err, app.ErrBadLink) {
		t.Fatalf("forged: %v", err)
	}
	unsent := signer.Sign(links.Claims{Incident: f.IncidentID, Step: "thanks-9", Survey: domain.SurveyCSAT, Score: 5, Expires: t0.Add(time.Hour)})
	if _, err := h.svc.Answer(ctx, unsent, app.Feedback{}); !errors.Is(err, app.ErrBadLink) {
		t.Fatalf("unsent step: %v", err)
	}
	if _, err := h.svc.Peek(ctx, tok(5, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	a := h.incident(f.IncidentID).Answers[f.Step]
	if a.Score != 2 || a.Comment != "Too crowded" {
		t.Fatalf("answer after expired/forged/peek attempts: %+v", a)
	}
}

func TestNewRejectsUnknownTemplate(t *testing.T) {
	p, err := domain.ParsePolicy([]byte(`{"rules":[{"kind":"ticket","status":["solved"],"steps":[{"id":"a","template":"nope","delay":"1h"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	signer, _ := links.NewSigner([]byte(strings.Repeat("k", 32)))
	_, err = app.New(app.Config{
		Store: h.store, Scheduler: h.sched, Mailer: h.outbox, Renderer: render.New(render.Brand{}),
		Links: signer, Clock: h.clock, Policy: p, PublicURL: "https://x.example",
		From: netmail.Address{Address: "a@x.example"},
	})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("err = %v", err)
	}
}
