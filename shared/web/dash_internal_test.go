package web

import "testing"

func TestStepWords(t *testing.T) {
	for key, want := range map[string]string{
		"thanks-1": "thank-you #1", "thanks-2-r": "reminder of the thank-you #2", "advice-s": "pre-arrival advice",
		"loyalty-3": "loyalty thanks #3", "missed-0": "“we missed you” note #0", "review-1": "review invitation #1",
		"alert-4": "team alert #4", "custom-1": "custom #1",
	} {
		if got := stepWords(key); got != want {
			t.Errorf("stepWords(%q) = %q, want %q", key, got, want)
		}
	}
}
