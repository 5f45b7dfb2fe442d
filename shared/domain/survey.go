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

// ErrBadScore is returned for a score outside a survey's range.
var ErrBadScore = errors.New("score out of range")

// Range is the lowest and highest score of the survey.
func (k SurveyKind) Range() (lo, hi int) {
	switch k {
	case SurveyCSAT:
		return 1, 5
	case SurveyNPS:
		return 0, 10
	case SurveyCES:
		return 1, 7
	}
	return 0, -1
}

// Scores lists every valid score, lowest first, for rendering one link each.
func (k SurveyKind) Scores() []int {
	lo, hi := k.Range()
	var s []int
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
	switch k {
	case SurveyNone, SurveyCSAT, SurveyNPS, SurveyCES:
		return true
	}
	return false
}
