// Package zendesk accepts Zendesk webhooks, served at POST
// /webhooks/zendesk.
//
// Zendesk signs the signature timestamp followed by the raw body:
// X-Zendesk-Webhook-Signature is base64 HMAC-SHA256(secret, timestamp +
// body) and X-Zendesk-Webhook-Signature-Timestamp the ISO 8601 timestamp.
// A timestamp more than Tolerance from our clock is refused (replay).
//
// Ticket activity arrives in one of two shapes:
//
//   - From a webhook connected to a trigger, with the JSON body Aftercare
//     ships (TriggerBody; docs/providers.md says where to paste it). Its
//     fields are named after the Zendesk placeholders that fill them, and
//     errors use those names ("ticket.requester.email: …").
//   - From a webhook subscribed to Zendesk events
//     (zen:event-type:ticket.*). These carry the requester's id but never an
//     email address, so Aftercare cannot follow them up: ticket creations
//     and status changes are answered 400 naming detail.requester_id and
//     saying to use a trigger instead; other events are 202 "ignored".
//
// Status mapping ({{ticket.status}} in a trigger body, event.current in an
// event; case-insensitive):
//
//	new, open           ticket.opened (open after solved reopens it)
//	pending, hold       ticket.updated (still open)
//	solved              ticket.solved
//	closed              ticket.closed
//	reopened            ticket.reopened (for bodies that say so)
//	anything else       202 "ignored", naming the status
//
// Identity: the incident is (zendesk, ticket id). A trigger body has no
// delivery id, so the event id is derived from (ticket id, status,
// updated_at): a redelivery has the same id, a later change another.
// Event-subscription events use Zendesk's event id.
package zendesk
