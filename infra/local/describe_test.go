package local

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// TestStepWords: the console names steps as the dashboard does
// (domain.NameStep, tested there), in a sentence's words.
func TestStepWords(t *testing.T) {
	p := domain.DefaultPolicy()
	tests := []struct{ key, what, to string }{
		{"thanks-1", "the thank-you", "the customer"},
		{"thanks-1-r", "the reminder of the thank-you", "the customer"},
		{"hook-2", "the team alert", "the alert webhook"},
		{"msg-1", "the message from the team", "the customer"},
	}
	for _, tt := range tests {
		if what, to := stepWords(p, tt.key); what != tt.what || to != tt.to {
			t.Errorf("stepWords(%q) = %q, %q; want %q, %q", tt.key, what, to, tt.what, tt.to)
		}
	}
}

func TestRunOutcome(t *testing.T) {
	p := domain.DefaultPolicy()
	since := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	noted := domain.Incident{Timeline: []domain.Entry{{Kind: domain.EntryNotSent, Step: "csat-1", Detail: "too late"}}}
	tests := []struct {
		name  string
		after domain.StepState
		inc   domain.Incident
		key   string
		err   error
		want  string
	}{
		{"sent", domain.StepState{Status: domain.StepSent, SentAt: since}, domain.Incident{}, "thanks-1", nil, "Sent the thank-you (step thanks-1) to the customer."},
		{"alert", domain.StepState{Status: domain.StepSent, SentAt: since}, domain.Incident{}, "alert-1", nil, "Sent the team alert (step alert-1) to the team."},
		{"hook", domain.StepState{Status: domain.StepSent, SentAt: since}, domain.Incident{}, "hook-1", nil, "Posted the team alert (step hook-1) to the alert webhook."},
		{"sent before", domain.StepState{Status: domain.StepSent, SentAt: since.Add(-time.Hour)}, domain.Incident{}, "thanks-1", nil, "Nothing to do: the thank-you (step thanks-1) was already sent, 2026-12-03 08:00Z."},
		{"skipped", domain.StepState{Status: domain.StepSkipped, Error: "unsubscribed on 2026-11-30"}, domain.Incident{}, "csat-1", nil, "Did not send the satisfaction survey (step csat-1): unsubscribed on 2026-11-30."},
		{"failed", domain.StepState{Status: domain.StepFailed, Attempts: 2, Error: "smtp: 451"}, domain.Incident{}, "ack-1", nil, "Sending the acknowledgement (step ack-1) failed (attempt 2); it will be retried: smtp: 451."},
		{"rejected", domain.StepState{Status: domain.StepRejected, Error: "address rejected"}, domain.Incident{}, "thanks-1", nil, "Gave up sending the thank-you (step thanks-1): address rejected."},
		{"noted on the timeline", domain.StepState{}, noted, "csat-1", nil, "Did not send the satisfaction survey (step csat-1): too late."},
		{"no longer wanted", domain.StepState{}, domain.Incident{}, "thanks-1", nil, "Nothing to send: the thank-you (step thanks-1) is no longer wanted"},
		{"error", domain.StepState{}, domain.Incident{}, "thanks-1", errors.New("store closed"), "Could not run the thank-you (step thanks-1): store closed. It will be retried."},
	}
	for _, tt := range tests {
		got := runOutcome(p, since, tt.after, tt.inc, tt.key, tt.err)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		if strings.Contains(got, "inc_") {
			t.Errorf("%s: %q shows a raw id", tt.name, got)
		}
	}
}

func TestZoned(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct{ zone, want string }{
		{"Europe/Madrid", "2026-12-03 10:00 Europe/Madrid"},
		{"America/New_York", "2026-12-03 04:00 America/New_York"},
		{"UTC", ""},
		{"", ""},
		{"Mars/Olympus", ""},
	}
	for _, tt := range tests {
		if got := zoned(at, tt.zone); got != tt.want {
			t.Errorf("zoned(%s) = %q, want %q", tt.zone, got, tt.want)
		}
	}
	if got := zoned(time.Time{}, "Europe/Madrid"); got != "" {
		t.Errorf("zero time = %q", got)
	}
}

func TestEntryWords(t *testing.T) {
	p := domain.DefaultPolicy()
	tests := []struct {
		e    domain.Entry
		want string
	}{
		{domain.Entry{Kind: domain.EntrySent, Step: "thanks-1"}, "sent the thank-you"},
		{domain.Entry{Kind: domain.EntryNotSent, Step: "csat-1-r"}, "did not send the reminder of the satisfaction survey"},
		{domain.Entry{Kind: domain.EntryAnswer, Step: "thanks-1"}, "answered the thank-you"},
		{domain.Entry{Kind: domain.EntryEvent}, "webhook received"},
		{domain.Entry{Kind: "brand_new_kind"}, "brand new kind"},
	}
	for _, tt := range tests {
		if got := entryWords(p, tt.e); got != tt.want {
			t.Errorf("entryWords(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}
