package domain

import (
	"errors"
	"fmt"
)

// SurveyKind is a satisfaction measure; each has its own score range.
type SurveyKind string

// The survey kinds. CSAT asks how satisfied (1–5), NPS how likely to
// recommend (0–10), CES how easy it was (1–7).
const (
	SurveyNone SurveyKind = ""
	SurveyCSAT SurveyKind = "csat"
	SurveyNPS  SurveyKind = "nps"
	SurveyCES  SurveyKind = "ces"
)

// Direction says which side of a threshold a negative score lies on.
type Direction int

// The directions of a negative-answer threshold.
const (
	// AtMost: scores up to and including the threshold are negative (CSAT,
	// NPS: low is bad).
	AtMost Direction = iota + 1
	// AtLeast: scores from the threshold up are negative (CES: high effort
	// is bad).
	AtLeast
)

// Holds reports whether score lies on the negative side of threshold.
func (d Direction) Holds(score, threshold int) bool {
	switch d {
	case AtMost:
		return score <= threshold
	case AtLeast:
		return score >= threshold
	}
	return false
}

// SurveySpec is everything Aftercare knows about one survey kind. Range,
// Scores, Check, Valid, Policy.IsNegative, the policy's threshold
// validation and the emails and pages read it from surveySpecs, the one
// place a kind is described.
type SurveySpec struct {
	Kind SurveyKind
	// Lo and Hi are the lowest and highest score.
	Lo, Hi int
	// Negative is the default threshold of a negative answer and Direction
	// the side of it that is negative: CSAT ≤ 2, NPS ≤ 6, CES ≥ 5.
	Negative  int
	Direction Direction
	// Ask is the catalog key of the question an email's rating row asks
	// instead of the template's own, and Scale the key of the hint that
	// says what the bare numbers mean. Both are empty for CSAT, whose
	// template asks its own question and whose five buttons carry words.
	Ask, Scale string
	// Labels is the catalog key prefix of score names: Labels+"1" names
	// score 1 ("score.csat.1" is "Very unhappy") where the catalog has it.
	Labels string
	// threshold is the policy file's field for this kind's threshold
	// (negative.csat_at_most and so on).
	threshold func(*Negative) *int
}

// surveySpecs describes every survey kind; SurveyNone has no entry. The
// default thresholds match common practice: CSAT 1–2 are the unhappy
// answers, NPS 0–6 are detractors, CES 5–7 mean the customer struggled.
var surveySpecs = [...]SurveySpec{
	{Kind: SurveyCSAT, Lo: 1, Hi: 5, Negative: 2, Direction: AtMost,
		Labels: "score.csat.", threshold: func(n *Negative) *int { return &n.CSATAtMost }},
	{Kind: SurveyNPS, Lo: 0, Hi: 10, Negative: 6, Direction: AtMost,
		Ask: "ask.nps", Scale: "scale.nps", Labels: "score.nps.", threshold: func(n *Negative) *int { return &n.NPSAtMost }},
	{Kind: SurveyCES, Lo: 1, Hi: 7, Negative: 5, Direction: AtLeast,
		Ask: "ask.ces", Scale: "scale.ces", Labels: "score.ces.", threshold: func(n *Negative) *int { return &n.CESAtLeast }},
}

// SurveySpecs lists every survey kind's description, CSAT, NPS, CES.
func SurveySpecs() []SurveySpec { return append([]SurveySpec(nil), surveySpecs[:]...) }

// Spec describes the survey kind; ok is false for SurveyNone and for a
// kind Aftercare does not know.
func (k SurveyKind) Spec() (s SurveySpec, ok bool) {
	for i := range surveySpecs {
		if surveySpecs[i].Kind == k {
			return surveySpecs[i], true
		}
	}
	return SurveySpec{}, false
}

// ThresholdRange is the lowest and highest threshold a policy may set:
// the scale, plus the score just past its good end, which makes no answer
// negative (CSAT at most 0, CES at least 8), but never below zero.
func (s SurveySpec) ThresholdRange() (lo, hi int) {
	if s.Direction == AtLeast {
		return s.Lo, s.Hi + 1
	}
	return max(s.Lo-1, 0), s.Hi
}

// defaultNegative holds every kind's default threshold, as a policy file
// would spell them.
var defaultNegative = func() Negative {
	var n Negative
	for i := range surveySpecs {
		*surveySpecs[i].threshold(&n) = surveySpecs[i].Negative
	}
	return n
}()

// ErrBadScore is returned for a score outside a survey's range.
var ErrBadScore = errors.New("score out of range")

// Range is the lowest and highest score of the survey; an empty range
// (0, -1) for SurveyNone and unknown kinds.
func (k SurveyKind) Range() (lo, hi int) {
	if s, ok := k.Spec(); ok {
		return s.Lo, s.Hi
	}
	return 0, -1
}

// Scores lists every valid score, lowest first, for rendering one link each.
func (k SurveyKind) Scores() []int {
	lo, hi := k.Range()
	if lo > hi {
		return nil
	}
	s := make([]int, 0, hi-lo+1)
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// Check validates a score for the survey.
func (k SurveyKind) Check(score int) error {
	lo, hi := k.Range()
	if score < lo || score > hi {
		return fmt.Errorf("%w: %s takes %d–%d, got %d", ErrBadScore, k, lo, hi, score)
	}
	return nil
}

// Valid reports whether k names a survey (or none).
func (k SurveyKind) Valid() bool {
	_, ok := k.Spec()
	return ok || k == SurveyNone
}
