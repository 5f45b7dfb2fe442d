package notify_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/notify/notifytest"
)

func TestAlertValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*notify.Alert)
		errHas string // "" = valid
	}{
		{"complete", func(*notify.Alert) {}, ""},
		{"reply without survey", func(a *notify.Alert) {
			a.Kind, a.Survey, a.Score, a.Comment, a.Reply = notify.KindReply, "", 0, "", "hi"
		}, ""},
		{"new kind", func(a *notify.Alert) { a.Kind = "nps_detractor_2" }, ""},
		{"empty kind", func(a *notify.Alert) { a.Kind = "" }, "kind"},
		{"kind with dot", func(a *notify.Alert) { a.Kind = "a.b" }, "kind"},
		{"upper-case kind", func(a *notify.Alert) { a.Kind = "Reply" }, "kind"},
		{"no incident", func(a *notify.Alert) { a.IncidentID = "" }, "incident"},
		{"no time", func(a *notify.Alert) { a.At = time.Time{} }, "time"},
		{"unknown survey", func(a *notify.Alert) { a.Survey = "stars" }, "survey"},
		{"score out of range", func(a *notify.Alert) { a.Score = 0 }, "score"},
		{"comment without answer", func(a *notify.Alert) { a.Survey, a.Score = "", 0 }, "comment"},
		{"javascript timeline", func(a *notify.Alert) { a.TimelineURL = "javascript:alert(1)" }, "timeline"},
		{"relative timeline", func(a *notify.Alert) { a.TimelineURL = "/incidents/x" }, "timeline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			tt.change(&a)
			err := a.Validate()
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) || !errors.Is(err, notify.ErrPermanent) {
				t.Fatalf("Validate = %v, want a permanent error mentioning %q", err, tt.errHas)
			}
		})
	}
}

func TestAlertLogValueKeepsPersonalDataOut(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("alert", "alert", sample())
	out := buf.String()
	for _, s := range []string{"maria@example.com", "María", "boat was late"} {
		if strings.Contains(out, s) {
			t.Errorf("log line contains %q: %s", s, out)
		}
	}
	for _, s := range []string{`"incident":"inc_abc123"`, `"score":2`, `"kind":"negative_answer"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log line lacks %s: %s", s, out)
		}
	}
}

func TestNewAlert(t *testing.T) {
	inc := &domain.Incident{
		ID: "inc_x", Provider: "calcom", Ref: "42", Kind: domain.KindBooking, Status: domain.StatusCompleted,
		Title:    "Consultation",
		Customer: domain.Customer{Email: "kostas@example.com", Name: "Kostas"},
		Answers: map[string]domain.Answer{
			"thanks#1": {Survey: domain.SurveyNPS, Score: 3, Comment: "meh"},
		},
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got := notify.NewAlert(notify.KindNegativeAnswer, inc, "thanks#1", at)
	want := notify.Alert{
		Kind: notify.KindNegativeAnswer, IncidentID: "inc_x", Provider: "calcom", Ref: "42",
		IncidentKind: domain.KindBooking, Title: "Consultation", Status: domain.StatusCompleted,
		Step: "thanks#1", CustomerName: "Kostas", Survey: domain.SurveyNPS, Score: 3, Comment: "meh", At: at,
	}
	if got != want {
		t.Errorf("NewAlert =\n%+v\nwant\n%+v", got, want)
	}
	if got.CustomerEmail != "" {
		t.Error("NewAlert copied the customer's address")
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if a := notify.NewAlert(notify.KindReply, inc, "other", at); a.Survey != "" || a.Comment != "" {
		t.Errorf("an unanswered step carried an answer: %+v", a)
	}
}

func sample() notify.Alert { return notifytest.Alert() }
