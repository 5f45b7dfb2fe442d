package replies

import (
	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
)

// Inbound parses a raw email for the Reply use case (app.ReplyParser): the
// parsing, the stripping and the verdicts of Parse, in the shape the use
// case reads.
func Inbound(raw []byte) (app.Inbound, error) {
	r, err := Parse(raw)
	if err != nil {
		return app.Inbound{}, err
	}
	in := app.Inbound{
		Text: r.Text, From: r.From, Recipients: r.Recipients,
		Score: func(k domain.SurveyKind) (int, bool) { return Score(r.Text, k) },
	}
	if r.Automatic {
		in.Automatic = r.AutomaticReason
		if in.Automatic == "" {
			in.Automatic = "automatic"
		}
	}
	if reason, bad := r.Untrusted(); bad {
		in.Untrusted = reason
	}
	return in, nil
}

var _ app.ReplyParser = Inbound
