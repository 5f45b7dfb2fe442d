package render

import (
	"context"
	"strings"
	"testing"
)

// TestReviewInviteHonest checks the review invitation against the review
// sites' rules: no incentive of any kind, no survey question or rating
// links (asking for a score first is how gating starts), and the sites'
// names with one link to our own page.
func TestReviewInviteHonest(t *testing.T) {
	r := testRenderer(testBrand)
	for _, locale := range []string{"en", "el", "es"} {
		req := goldenRequest("review_invite", locale)
		out, err := r.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.ToLower(out.Subject + "\n" + out.HTML + "\n" + out.Text)
		for _, bad := range []string{"offer", "code", "discount", "coupon", "voucher", "reward", "% off", "free", "gift",
			"/r/tok", "happy", "satisf", "unhappy", "έκπτωση", "κουπόνι", "δώρο", "descuento", "cupón", "regalo", "código"} {
			if strings.Contains(all, bad) {
				t.Errorf("%s: the invitation says %q", locale, bad)
			}
		}
		for _, want := range []string{"https://care.example/v/tok-v?x=1&amp;y=2", "Google, Tripadvisor"} {
			if !strings.Contains(out.HTML, want) {
				t.Errorf("%s: HTML lacks %q", locale, want)
			}
		}
		if !strings.Contains(out.Text, "https://care.example/v/tok-v?x=1&y=2") {
			t.Errorf("%s: text lacks the review link:\n%s", locale, out.Text)
		}
	}
}

// TestReviewInviteBadLink: a review link that is not an http(s) URL is
// dropped, never put in the email.
func TestReviewInviteBadLink(t *testing.T) {
	req := goldenRequest("review_invite", "en")
	req.ReviewURL = "javascript:alert(1)"
	out, err := testRenderer(testBrand).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(out.HTML+out.Text), "javascript") {
		t.Error("a javascript: review link got through")
	}
}

func BenchmarkReviewInvite(b *testing.B) {
	r := testRenderer(testBrand)
	req := goldenRequest("review_invite", "el")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
