package render

import (
	"github.com/aftercare/aftercare/shared/i18n"
)

// teamSignIn carries a team member's single-use sign-in link to the
// dashboard (req.TimelineURL). It names how long the link works and that
// nobody else can use it, and says what to do if they did not ask.
func teamSignIn(l *i18n.Lang, in Request) content {
	c := content{
		team:     true,
		greeting: l.T("team_signin.title"),
		intros:   []string{l.T("team_signin.intro")},
		outros:   []string{l.T("team_signin.outro")},
		subject:  l.T("team_signin.subject"),
		footer:   "team_signin.footer",
	}
	c.preheader = c.intros[0]
	if in.TimelineURL != "" {
		c.button = &button{Text: l.T("team_signin.button"), URL: in.TimelineURL}
	}
	return c
}

// teamMessage is a team member writing to the customer from the
// dashboard: their words (req.Message, kept as paragraphs, never markup),
// branded and signed like every email, in the customer's language, with
// a reply address that brings the answer back to the incident.
func teamMessage(l *i18n.Lang, in Request) content {
	c := content{
		greeting: greeting(l, in.CustomerName),
		intros:   paragraphLines(in.Message),
		outros:   []string{l.T("team_message.outro")},
		subject:  l.T("team_message.subject"),
	}
	if in.Title != "" {
		c.subject = l.T("team_message.subject.title", truncate(in.Title, maxSubjectPart))
	}
	if len(c.intros) > 0 {
		c.preheader = c.intros[0]
	}
	return c
}

// paragraphLines is text as paragraphs, each one line (hermes writes each
// intro as a paragraph and escapes it).
func paragraphLines(s string) []string {
	var out []string
	for _, p := range paragraphs(s) {
		line := ""
		for i, l := range p {
			if i > 0 {
				line += " "
			}
			line += l
		}
		out = append(out, line)
	}
	return out
}
