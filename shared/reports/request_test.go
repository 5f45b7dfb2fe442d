package reports

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC) // a Wednesday, W2026-49

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseRequestDefaults(t *testing.T) {
	r, err := ParseRequest(url.Values{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.From.Equal(date("2026-09-14")) || !r.To.Equal(date("2026-12-07")) || r.Group != GroupWeek || r.Breakdown != DimNone {
		t.Fatalf("defaults = %+v, want the 12 weeks ending with this one, weekly, no breakdown", r)
	}
	ps := r.Periods()
	if len(ps) != 12 || ps[0].Key != "W2026-38" || ps[11].Key != "W2026-49" {
		t.Fatalf("periods = %v", ps)
	}
}

func TestParseRequest(t *testing.T) {
	q := url.Values{"from": {"2026-01-15"}, "to": {"2026-03-01"}, "group": {"month"}, "by": {"agent"}}
	r, err := ParseRequest(q, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.From.Equal(date("2026-01-01")) || !r.To.Equal(date("2026-04-01")) || r.Breakdown != DimAgent {
		t.Fatalf("request = %+v, want January to March whole, by agent", r)
	}
	want := []string{"M2026-01/all", "M2026-01/agent", "M2026-02/all", "M2026-02/agent", "M2026-03/all", "M2026-03/agent"}
	if got := r.Buckets(); !slices.Equal(got, want) {
		t.Fatalf("Buckets = %v, want %v", got, want)
	}
	if l := r.Periods()[1].Label(); l != "2026-02" {
		t.Errorf("label = %q", l)
	}

	q = url.Values{"from": {"2026-11-25"}, "to": {"2026-11-30"}}
	r, err = ParseRequest(q, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Buckets(); !slices.Equal(got, []string{"W2026-48/all", "W2026-49/all"}) {
		t.Fatalf("a Wednesday to the next Monday = %v, want two whole weeks", got)
	}
	if l := r.Periods()[0].Label(); l != "2026-W48" {
		t.Errorf("label = %q", l)
	}
}

func TestParseRequestErrors(t *testing.T) {
	for _, c := range []struct {
		q     url.Values
		field string
	}{
		{url.Values{"group": {"day"}}, "group"},
		{url.Values{"by": {"customer"}}, "by"},
		{url.Values{"by": {"all"}}, "by"},
		{url.Values{"from": {"30/11/2026"}}, "from"},
		{url.Values{"to": {"yesterday"}}, "to"},
		{url.Values{"from": {"2026-11-30"}, "to": {"2026-11-01"}}, "to"},
		{url.Values{"from": {"2022-01-01"}, "to": {"2026-01-01"}}, "to"},
	} {
		_, err := ParseRequest(c.q, now)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrBadRequest) {
			t.Errorf("%v: err = %v, want a FieldError on %s", c.q, err, c.field)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.field+": ") || fe.Problem == "" {
			t.Errorf("%v: message %q does not name the field", c.q, msg)
		}
	}
}

func TestThreeYearsAllowed(t *testing.T) {
	for _, g := range []string{"week", "month"} {
		r, err := ParseRequest(url.Values{"from": {"2023-12-06"}, "to": {"2026-12-05"}, "group": {g}, "by": {"reason"}}, now)
		if err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		n := len(r.Buckets())
		if n == 0 || n > 2*160 {
			t.Fatalf("%s: %d buckets for three years", g, n)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Request{From: date("2026-01-05"), To: date("2027-01-04"), Group: GroupWeek, Breakdown: DimProvider}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(ok.Buckets()); n != 104 {
		t.Errorf("a year by week with a breakdown reads %d buckets, want 104", n)
	}
	bad := ok
	bad.Group = ""
	if bad.Validate() == nil || bad.Buckets() != nil {
		t.Error("a request without grouping was accepted")
	}
	bad = ok
	bad.From = time.Time{}
	if err := bad.Validate(); err == nil || err.(*FieldError).Field != "from" {
		t.Errorf("zero from: %v", err)
	}
}
