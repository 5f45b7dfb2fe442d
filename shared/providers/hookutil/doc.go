// Package hookutil holds what the third-party webhook providers (calcom,
// calendly, zendesk, freshdesk) share: checking HMAC signatures and tokens
// against one or two active secrets in constant time, decoding JSON with
// errors the sender can act on, renaming domain validation errors to the
// sender's own field names, lenient time parsing and stable event ids.
//
// It exists so that each provider package is only its payload mapping: the
// security-sensitive comparisons and the error classes the web layer maps to
// status codes (providers.ErrUnauthorized, providers.ErrMalformed,
// domain.ErrInvalidEvent) are written and tested once.
package hookutil
