package replies

import (
	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
)

// Inbound parses a raw email for the Reply use case (app.ReplyParser): the
// parsing, the stripping and the verdicts of Parse, in the shape the use
// case reads. Its WithSent parses again with the text of the email
// answered (Options.Sent), once the use case knows which one it is.
func Inbound(raw []byte) (app.Inbound, error) {
	return inbound(raw, Options{})
}

func inbound(raw []byte, opt Options) (app.Inbound, error) {
	r, err := ParseWith(raw, opt)
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
	if opt.Sent == "" {
		in.WithSent = func(sent string) app.Inbound {
			again, err := inbound(raw, Options{Sent: sent})
			if err != nil {
				return in // it parsed once; it parses the same way again
			}
			return again
		}
	}
	return in, nil
}

var _ app.ReplyParser = Inbound
