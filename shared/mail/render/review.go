package render

import (
	"strings"

	"github.com/aftercare/aftercare/shared/i18n"
)

// reviewInvite invites a customer to review the business on the sites the
// operator configured. Review sites forbid "review gating", so its wording
// is neutral and the same for every customer, whatever they answered to a
// survey: it never mentions a score, never steers anybody anywhere, and
// offers nothing in return (no offer code, no incentive). Its one button
// leads to Aftercare's own page listing the sites, which records the
// choice before it redirects.
func reviewInvite(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		subject:  l.T("review.subject"),
		outros:   []string{l.T("review.outro")},
	}
	intro := l.T("review.intro")
	if in.Title != "" {
		c.subject = l.T("review.subject.title", truncate(in.Title, maxSubjectPart))
		intro = l.T("review.intro.title", in.Title)
	}
	c.intros = []string{intro, l.T("review.ask")}
	c.preheader = intro
	var names []string
	for _, n := range in.ReviewSites {
		if n = clean(n, maxLabel); n != "" {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		c.intros = append(c.intros, l.T("review.sites", strings.Join(names, ", ")))
	}
	if u := safeLink(in.ReviewURL); u != "" {
		c.button = &button{Text: l.T("review.button"), URL: u}
	}
	return c
}
