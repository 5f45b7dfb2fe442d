package domain

import (
	"slices"
	"testing"
)

// The table says what the switches used to: these are the values before it.
func TestSurveyTable(t *testing.T) {
	for _, tc := range []struct {
		k             SurveyKind
		lo, hi        int
		negative      int
		dir           Direction
		tlo, thi      int
		ask, scale    string
		valid, listed bool
	}{
		{SurveyCSAT, 1, 5, 2, AtMost, 0, 5, "", "", true, true},
		{SurveyNPS, 0, 10, 6, AtMost, 0, 10, "ask.nps", "scale.nps", true, true},
		{SurveyCES, 1, 7, 5, AtLeast, 1, 8, "ask.ces", "scale.ces", true, true},
		{SurveyNone, 0, -1, 0, 0, 0, 0, "", "", true, false},
		{"bogus", 0, -1, 0, 0, 0, 0, "", "", false, false},
	} {
		if lo, hi := tc.k.Range(); lo != tc.lo || hi != tc.hi {
			t.Errorf("%q Range = %d, %d", tc.k, lo, hi)
		}
		if tc.k.Valid() != tc.valid {
			t.Errorf("%q Valid = %v", tc.k, tc.k.Valid())
		}
		var want []int
		for i := tc.lo; i <= tc.hi; i++ {
			want = append(want, i)
		}
		if got := tc.k.Scores(); !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("%q Scores = %v, want %v", tc.k, got, want)
		}
		for s := tc.lo - 1; s <= tc.hi+1; s++ {
			if ok := tc.k.Check(s) == nil; ok != (s >= tc.lo && s <= tc.hi) {
				t.Errorf("%q Check(%d) = %v", tc.k, s, tc.k.Check(s))
			}
		}
		s, ok := tc.k.Spec()
		if ok != tc.listed {
			t.Fatalf("%q Spec ok = %v", tc.k, ok)
		}
		if !ok {
			continue
		}
		if tlo, thi := s.ThresholdRange(); s.Negative != tc.negative || s.Direction != tc.dir || tlo != tc.tlo || thi != tc.thi {
			t.Errorf("%q negative %d %v range %d–%d", tc.k, s.Negative, s.Direction, tlo, thi)
		}
		if s.Ask != tc.ask || s.Scale != tc.scale || s.Labels != "score."+string(tc.k)+"." {
			t.Errorf("%q keys %q %q %q", tc.k, s.Ask, s.Scale, s.Labels)
		}
	}
	if defaultNegative != (Negative{CSATAtMost: 2, NPSAtMost: 6, CESAtLeast: 5}) {
		t.Errorf("defaultNegative = %+v", defaultNegative)
	}
	if thresholdRanges != "csat 0–5, nps 0–10, ces 1–8" {
		t.Errorf("thresholdRanges = %q", thresholdRanges)
	}
}

// Every threshold a policy may set is accepted and applied; one past
// either end of its range is refused.
func TestNegativeThresholdBounds(t *testing.T) {
	for _, s := range SurveySpecs() {
		lo, hi := s.ThresholdRange()
		for v := lo - 1; v <= hi+1; v++ {
			n := defaultNegative
			*s.threshold(&n) = v
			p := Policy{Negative: &n}
			err := p.Validate()
			if (err == nil) != (v >= lo && v <= hi) {
				t.Errorf("%s threshold %d: Validate = %v", s.Kind, v, err)
			}
			if err != nil {
				continue
			}
			for score := s.Lo; score <= s.Hi; score++ {
				want := score <= v
				if s.Direction == AtLeast {
					want = score >= v
				}
				if got := p.IsNegative(s.Kind, score); got != want {
					t.Errorf("%s ≤/≥ %d: IsNegative(%d) = %v", s.Kind, v, score, got)
				}
			}
		}
	}
	if (Policy{}).IsNegative(SurveyNone, 0) || (Policy{}).IsNegative("bogus", 0) {
		t.Error("a score without a known survey is negative")
	}
}
