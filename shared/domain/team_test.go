package domain

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// negativeTicket is a solved ticket whose csat-1 was answered 1 at answered,
// which raised attention with one escalation.
func negativeTicket(t *testing.T, answered time.Time) (Incident, Policy) {
	t.Helper()
	p := DefaultPolicy()
	p.Alerts = Alerts{Email: true}
	inc := solvedTicket(t, answered.Add(-time.Hour))
	if err := inc.RecordAnswer("csat-1", SurveyCSAT, 1, answered); err != nil {
		t.Fatal(err)
	}
	if !inc.Judge("csat-1", Answer{}, false, p, answered) || !inc.NeedsTeam() {
		t.Fatalf("a 1 must raise attention: %+v", inc.Attention)
	}
	return inc, p
}

func TestTeamActionsAreOnTheTimelineWithWho(t *testing.T) {
	at := mustTime(t, "2026-11-21T12:00:00Z")
	inc, _ := negativeTicket(t, at)
	if !inc.Take("ana@hotel.example", at.Add(time.Minute)) {
		t.Fatal("Take reported no change")
	}
	if inc.Take("ana@hotel.example", at.Add(2*time.Minute)) {
		t.Fatal("taking what one holds must change nothing")
	}
	inc.Take("bo@hotel.example", at.Add(3*time.Minute))
	if inc.Team.Owner != "bo@hotel.example" {
		t.Fatalf("owner = %q", inc.Team.Owner)
	}
	if err := inc.Note(EntryNote, "bo@hotel.example", "called the guest", at.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := inc.Note(EntrySolution, "bo@hotel.example", "refunded one night", at.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := inc.Note(EntryNote, "bo@hotel.example", "  \n ", at); err == nil {
		t.Fatal("an empty note must be refused")
	}
	if err := inc.Note(EntryAnswer, "bo@hotel.example", "x", at); err == nil {
		t.Fatal("a note of another kind must be refused")
	}
	var got []string
	for _, e := range inc.Timeline {
		if e.By != "" {
			got = append(got, e.Kind+" "+e.By+" "+e.Detail)
		}
	}
	want := []string{
		"taken ana@hotel.example ana@hotel.example is on it",
		"taken bo@hotel.example bo@hotel.example is on it (was ana@hotel.example)",
		"note bo@hotel.example called the guest",
		"solution bo@hotel.example refunded one night",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("team entries:\n%q\nwant\n%q", got, want)
	}
}

func TestHandledLeavesTheQueueAndSendsTheRecoverySurvey(t *testing.T) {
	at := mustTime(t, "2026-11-21T12:00:00Z")
	inc, p := negativeTicket(t, at)
	if _, ok := Find(Plan(inc, p, at), "recovery-1"); ok {
		t.Fatal("no recovery survey before the team handled it")
	}
	handled := at.Add(90 * time.Minute)
	ok, err := inc.Handle("ana@hotel.example", handled)
	if err != nil || !ok {
		t.Fatalf("Handle = %v, %v", ok, err)
	}
	if inc.NeedsTeam() {
		t.Fatal("a handled incident must leave the queue")
	}
	if again, err := inc.Handle("ana@hotel.example", handled.Add(time.Minute)); err != nil || again {
		t.Fatalf("handling twice = %v, %v; want false, nil", again, err)
	}
	h := inc.Team.Handled
	if len(h) != 1 || h[0].Episode != 1 || !h[0].AlertedAt.Equal(at) || !h[0].At.Equal(handled) || h[0].By != "ana@hotel.example" {
		t.Fatalf("handled = %+v", h)
	}
	r := find(t, Plan(inc, p, handled), "recovery-1")
	if r.Kind != KindRecovery || r.Due.Before(handled.Add(24*time.Hour)) {
		t.Fatalf("recovery = %+v, want due a day after it was handled (quiet hours may push it later)", r)
	}
	// A good recovery answer clears the attention for good.
	inc.Steps["recovery-1"] = StepState{Status: StepSent, SentAt: r.Due, Survey: SurveyCSAT}
	if err := inc.RecordAnswer("recovery-1", SurveyCSAT, 5, r.Due.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	inc.Judge("recovery-1", Answer{}, false, p, r.Due.Add(time.Hour))
	if inc.Attention != nil || inc.Recovered == nil || !*inc.Recovered {
		t.Fatalf("attention %+v, recovered %v", inc.Attention, inc.Recovered)
	}
}

func TestAnswerAfterHandledOpensANewEpisode(t *testing.T) {
	at := mustTime(t, "2026-11-21T12:00:00Z")
	inc, p := negativeTicket(t, at)
	if _, err := inc.Handle("ana@hotel.example", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	prev := inc.Answers["csat-1"]
	if err := inc.RecordComment("csat-1", "still cold in the room", at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !inc.Judge("csat-1", prev, true, p, at.Add(2*time.Hour)) {
		t.Fatal("a change to a negative answer must escalate")
	}
	if !inc.NeedsTeam() || inc.Attention.Episode != 2 || inc.Episodes != 2 {
		t.Fatalf("attention = %+v (episodes %d), want a new episode in the queue", inc.Attention, inc.Episodes)
	}
}

func TestHandleWithoutAttention(t *testing.T) {
	inc := solvedTicket(t, mustTime(t, "2026-11-21T12:00:00Z"))
	if _, err := inc.Handle("ana@hotel.example", time.Now()); !errors.Is(err, ErrNoAttention) {
		t.Fatalf("err = %v, want ErrNoAttention", err)
	}
}

func TestPlanSaysWhenQuietHoursMovedAStep(t *testing.T) {
	p := DefaultPolicy() // quiet 21:00–09:00
	// Solved at 22:30 Madrid time: the survey, due a day later, lands in
	// quiet hours and moves to 09:00 the morning after.
	inc := resolvedIncident(KindTicket, StatusSolved, "Europe/Madrid", "2026-11-20T21:30:00Z", t)
	moved := 0
	for _, ps := range Plan(inc, p, mustTime(t, "2026-11-20T21:30:00Z")) {
		local := ps.Due.In(inc.Customer.Location())
		if ps.Quieted {
			moved++
			if local.Hour() != 9 {
				t.Errorf("%s moved to %s, want 09:00", ps.Key, local)
			}
		}
	}
	if moved == 0 {
		t.Fatal("no step reported as moved out of quiet hours")
	}
	day := resolvedIncident(KindTicket, StatusSolved, "Europe/Madrid", "2026-11-20T09:30:00Z", t)
	for _, ps := range Plan(day, p, mustTime(t, "2026-11-20T09:30:00Z")) {
		if ps.Quieted {
			t.Errorf("%s due %s in the afternoon says it was moved", ps.Key, ps.Due)
		}
	}
}

// TestTeamMessageKeysNeverRepeat: a team message's key names its
// Message-ID and reply address, so it must not come back once the step
// records that held the earlier ones are compacted away.
func TestTeamMessageKeysNeverRepeat(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	inc := solvedTicket(t, now)
	// Stored before the count existed: the steps still hold msg-1..msg-3.
	inc.Steps["msg-1"] = StepState{Status: StepSent}
	inc.Steps["msg-3"] = StepState{Status: StepSent}
	if k := inc.NextTeamMessage(); k != "msg-4" {
		t.Fatalf("after msg-3: %q, want msg-4", k)
	}
	inc.Steps["msg-4"] = StepState{Status: StepSent}
	for k := range inc.Steps {
		if len(k) > 4 && k[:4] == "msg-" {
			delete(inc.Steps, k) // what compaction may do to every one of them
		}
	}
	if k := inc.NextTeamMessage(); k != "msg-5" {
		t.Fatalf("with no msg step left: %q, want msg-5 (msg-1 would reuse a Message-ID)", k)
	}
	inc.Steps["msg-5"] = StepState{Status: StepSent}

	// Compaction may drop earlier messages' records but keeps the latest.
	for i := 1; i <= 4; i++ {
		inc.Steps[fmt.Sprintf("msg-%d", i)] = StepState{Status: StepSent}
	}
	for i := range maxSteps {
		inc.Steps[fmt.Sprintf("old%d-0", i)] = StepState{Status: StepSent}
	}
	inc.compactSteps()
	if _, ok := inc.Steps["msg-5"]; !ok {
		t.Error("compaction dropped the latest team message")
	}
	if len(inc.Steps) > maxSteps {
		t.Errorf("%d steps kept, budget %d", len(inc.Steps), maxSteps)
	}
	if k := inc.NextTeamMessage(); k != "msg-6" {
		t.Errorf("after compaction: %q, want msg-6", k)
	}
}
