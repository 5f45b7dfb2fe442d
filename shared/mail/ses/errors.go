package ses

import (
	"errors"

	smithy "github.com/aws/smithy-go"

	"github.com/aftercare/aftercare/shared/mail"
)

// permanentCodes are SendEmail errors that the same request will meet again:
// the message or a recipient was refused (MessageRejected, which includes
// "address not verified" in the sandbox), the sender cannot send
// (MailFromDomainNotVerifiedException, AccountSuspendedException,
// SendingPausedException: each needs an operator, not a retry), or the
// request itself is wrong (BadRequestException, NotFoundException for an
// unknown configuration set). Everything else, notably
// TooManyRequestsException, LimitExceededException (sending quota) and 5xx,
// is transient: the SDK retries it and then the caller may.
//
// AccessDeniedException is deliberately not permanent: a missing IAM grant
// is fixed by a deploy, after which a retry succeeds.
var permanentCodes = map[string]bool{
	"MessageRejected":                    true,
	"MailFromDomainNotVerifiedException": true,
	"AccountSuspendedException":          true,
	"SendingPausedException":             true,
	"BadRequestException":                true,
	"NotFoundException":                  true,
}

func isPermanent(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return permanentCodes[apiErr.ErrorCode()]
	}
	// The SDK's own validation of required fields: the request will not
	// change by itself.
	var invalid smithy.InvalidParamsError
	return errors.As(err, &invalid)
}

// sendError is what Send returns. It keeps the SDK error for errors.As
// (smithy.APIError, the concrete types.* exceptions) and adds
// mail.ErrPermanent when a retry cannot help.
type sendError struct {
	permanent bool
	err       error
}

func (e *sendError) Error() string {
	prefix := "ses: send email: "
	if e.permanent {
		prefix += mail.ErrPermanent.Error() + ": "
	}
	// SES names the refused identities in MessageRejected, and callers log
	// and store error texts, so addresses are cut out.
	return prefix + mail.Redact(e.err.Error())
}

func (e *sendError) Unwrap() []error {
	if e.permanent {
		return []error{mail.ErrPermanent, e.err}
	}
	return []error{e.err}
}
