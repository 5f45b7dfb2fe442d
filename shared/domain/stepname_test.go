package domain

import "testing"

func TestNameStep(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct{ key, str, phrase, to string }{
		{"thanks-1", "thank-you #1", "the thank-you", "the customer"},
		{"thanks-2-r", "reminder of the thank-you #2", "the reminder of the thank-you", "the customer"},
		{"csat-2", "satisfaction survey #2", "the satisfaction survey", "the customer"},
		{"recovery-3", "“is it fixed?” survey #3", "the “is it fixed?” survey", "the customer"},
		{"advice-s", "pre-arrival advice", "the pre-arrival advice", "the customer"},
		{"ack-1", "acknowledgement #1", "the acknowledgement", "the customer"},
		{"alert-12", "team alert #12", "the team alert", "the team"},
		{"hook-2", "team alert #2 (webhook)", "the team alert", "the alert webhook"},
		{"msg-3", "message from the team #3", "the message from the team", "the customer"},
		{"loyalty-3", "loyalty thanks #3", "the loyalty thanks", "the customer"},
		{"missed-1", "“we missed you” note #1", "the “we missed you” note", "the customer"},
		{"review-1", "review invitation #1", "the review invitation", "the customer"},
		{"custom-1", "follow-up #1", "the follow-up", "the customer"},
		{"mystery", "follow-up", "the follow-up", "the customer"},
	}
	for _, tt := range tests {
		n := NameStep(p, tt.key)
		if n.String() != tt.str || n.Phrase() != tt.phrase || n.To != tt.to {
			t.Errorf("NameStep(%q) = %q, %q, to %q; want %q, %q, to %q", tt.key, n.String(), n.Phrase(), n.To, tt.str, tt.phrase, tt.to)
		}
	}
	// A policy's own step is named by its template, else by its survey.
	custom, err := ParsePolicy([]byte(`{"rules":[{"kind":"booking","status":["completed"],"steps":[` +
		`{"id":"nps","template":"thank_you","survey":"nps","days":1,"at":"10:00"},` +
		`{"id":"pulse","template":"own_template","survey":"ces","days":2,"at":"10:00"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := NameStep(custom, "nps-1").String(); got != "thank-you #1" {
		t.Errorf("nps-1 with a thank_you template: %q", got)
	}
	if got := NameStep(custom, "pulse-1").String(); got != "effort survey #1" {
		t.Errorf("pulse-1, a CES survey: %q", got)
	}
}
