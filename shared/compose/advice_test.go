package compose_test

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/advice"
	"github.com/aftercare/aftercare/shared/compose"
)

func TestParseAdvice(t *testing.T) {
	m := valid()
	s, err := compose.Parse(getter(m), compose.All)
	if err != nil || s.Advice != nil {
		t.Fatalf("no advice set: %v, %v", s.Advice, err)
	}
	m[compose.AdviceJSON] = `{"entries":[{"match":{"title":"kayak"},"text":{"en":"Bring a swimsuit."}}]}`
	if s, err = compose.Parse(getter(m), compose.All); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Advice.For(advice.Booking{Title: "Kayak tour"}, "en"); got != "Bring a swimsuit." {
		t.Errorf("advice = %q", got)
	}
	m[compose.AdviceJSON] = `{"entries":[{"match":{"titel":"kayak"},"text":{"en":"x"}}]}`
	_, err = compose.Parse(getter(m), compose.All)
	if err == nil || !strings.Contains(err.Error(), compose.AdviceJSON) || !strings.Contains(err.Error(), "titel") {
		t.Errorf("err = %v, want it to name %s and the unknown field", err, compose.AdviceJSON)
	}
}
