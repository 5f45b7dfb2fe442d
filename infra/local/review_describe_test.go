package local

import (
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

// TestReviewWords: the console names review invitations and their
// timeline entries in words.
func TestReviewWords(t *testing.T) {
	p := domain.DefaultPolicy()
	if what, to := stepWords(p, "review-2"); what != "the review invitation" || to != "the customer" {
		t.Errorf("stepWords(review-2) = %q, %q", what, to)
	}
	if got := entryWords(p, domain.Entry{Kind: domain.EntryReview, Step: "review-1"}); got != "about the review invitation" {
		t.Errorf("entryWords = %q", got)
	}
	if got := entryWords(p, domain.Entry{Kind: domain.EntrySent, Step: "review-1"}); got != "sent the review invitation" {
		t.Errorf("entryWords = %q", got)
	}
}
