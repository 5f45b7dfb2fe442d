package render

import (
	"strconv"
	"strings"

	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/shared/i18n"
)

// loyaltyNote thanks a loyal customer as a person: it names their history
// ("4 times since March 2025"), says thank you, and, when the operator
// makes an offer, gives their personal code and what it is worth. It asks
// for nothing: no rating, no review (that would be an incentive).
func loyaltyNote(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		subject:  l.T("loyalty.subject"),
		outros:   []string{l.T("loyalty.outro")},
	}
	if in.CustomerName != "" {
		c.subject = l.T("loyalty.subject.name", truncate(in.CustomerName, maxSubjectPart))
	}
	history := l.T("loyalty.history.plain", in.LoyaltyCount)
	if !in.LoyaltySince.IsZero() {
		since := l.T("loyalty.month."+strconv.Itoa(int(in.LoyaltySince.Month())), strconv.Itoa(in.LoyaltySince.Year()))
		history = l.T("loyalty.history", in.LoyaltyCount, since)
	}
	c.intros = []string{history, l.T("loyalty.thanks")}
	c.preheader = history
	if in.OfferCode != "" && in.OfferText != "" {
		c.intros = append(c.intros, l.T("loyalty.offer", in.OfferText))
		// Non-breaking hyphens keep the code on one line on a phone; the
		// code accepts them back as hyphens (domain.NormaliseOfferCode).
		c.details = []hermes.Entry{{Key: l.T("loyalty.code"), Value: strings.ReplaceAll(in.OfferCode, "-", "\u2011")}}
		c.outros = append([]string{l.T("loyalty.code.how")}, c.outros...)
	}
	return c
}

// missedYou writes to a customer who did not come: no blame, a hope that
// all is well, and the operator's booking page to come another time.
func missedYou(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		subject:  l.T("missed_you.subject"),
		outros:   []string{l.T("missed_you.outro")},
	}
	intro := l.T("missed_you.intro")
	if in.Title != "" {
		c.subject = l.T("missed_you.subject.title", truncate(in.Title, maxSubjectPart))
		intro = l.T("missed_you.intro.title", in.Title)
	}
	c.intros = []string{intro, l.T("missed_you.again")}
	c.preheader = intro
	if in.BookingLink != "" {
		c.button = &button{Text: l.T("missed_you.button"), URL: in.BookingLink}
	}
	return c
}
