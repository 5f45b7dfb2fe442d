// Package native is Aftercare's own webhook format, served at
// POST /webhooks/aftercare. It is the format to use when the booking system
// or helpdesk can be scripted: one small JSON document per event, signed with
// Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature; see
// package stdwebhooks), so any Standard Webhooks library can send it.
//
// A booking event:
//
//	{
//	  "type": "booking.completed",
//	  "occurred_at": "2026-11-20T17:30:00Z",
//	  "customer": {"email": "maria@example.com", "name": "María Pérez", "locale": "es-ES", "time_zone": "Europe/Madrid"},
//	  "booking": {"ref": "BK-1042", "title": "Sunset sailing", "starts_at": "2026-11-20T15:00:00Z",
//	              "ends_at": "2026-11-20T17:30:00Z", "location": "Old Venetian Harbour, Chania", "agent": "Eleni"}
//	}
//
// A ticket event carries "ticket" instead of "booking":
//
//	"ticket": {"ref": "T-88", "subject": "Change of pick-up point", "agent": "Nikos"}
//
// Fields:
//   - type: booking.created, booking.updated, booking.cancelled,
//     booking.no_show (the customer did not come),
//     booking.completed, ticket.opened, ticket.updated, ticket.solved,
//     ticket.reopened or ticket.closed. Any other type is acknowledged with
//     202 "ignored", so a sender may subscribe us to more than we act on.
//   - occurred_at: RFC 3339 time of the event (required). Retries keep it.
//   - customer.email (required), customer.name, customer.locale (BCP 47, e.g.
//     "el-GR"), customer.time_zone (IANA, e.g. "Europe/Athens"; follow-ups
//     are timed in it).
//   - booking.offer_code: an offer code the customer gave when booking (a
//     loyalty note's); the booking redeems it, once.
//   - booking.ref or ticket.ref (required): the sender's reference; with the
//     provider it identifies the incident, so later events update it.
//   - booking.title, booking.starts_at, booking.ends_at (RFC 3339),
//     booking.location, booking.agent; ticket.subject, ticket.agent.
//   - booking.tags: a list of labels ("family", "vip") the operator's
//     pre-arrival advice file can match on (package advice).
//
// Exactly one of booking and ticket is present, matching the type. Strings
// are trimmed. Unknown fields are ignored, so senders can add their own and
// the format can grow without breaking them. The webhook-id header is the
// event's id: a retried delivery reuses it and is applied once.
//
// Errors name the field as written in this format (for example
// "booking.ends_at: is before starts_at"), so the sender's 400 says what to
// fix.
package native
