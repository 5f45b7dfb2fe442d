// Package calendly accepts Calendly webhook subscriptions (API v2), served
// at POST /webhooks/calendly.
//
// Calendly signs "<t>.<raw body>" with the subscription's signing key:
// Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>. A
// timestamp more than Tolerance (3 minutes, Calendly's recommendation) from
// our clock is refused, so a captured delivery cannot be replayed later.
//
// Mapping (the customer is the invitee; the incident is the invitee URI,
// payload.uri, because a reschedule makes a new invitee):
//
//	invitee.created          booking.created, completes at its end time; if
//	                         payload.old_invitee is set (a reschedule) also
//	                         booking.cancelled for the old invitee
//	invitee.canceled         booking.cancelled (rescheduled or not)
//	invitee_no_show.created  booking.no_show: no thank-you for a no-show
//	invitee_no_show.deleted  booking.created: booked again, completes at its
//	                         end time
//	anything else            202 "ignored"
//
// Calendly sends no "completed" event, so every booking carries
// domain.Event.CompletesAtEnd: the thank-you is planned from invitee.created
// at the scheduled event's end_time, disappears if the invitee cancels or
// is marked a no-show, and moves with a reschedule. A reschedule arrives as
// invitee.canceled (rescheduled: true) for the old invitee, then
// invitee.created for the new one: the old incident's follow-up is removed,
// the new one's planned, so the thank-you moves and is sent once. The new
// invitee's old_invitee link cancels the old incident too, so a lost
// cancellation delivery cannot leave two thank-yous planned.
//
// Identity: Calendly sends no delivery id, so the event id is derived from
// (event, payload.uri, created_at), where the top-level created_at is when
// Calendly created the webhook event; a retried delivery keeps it.
//
// Errors name fields as Calendly writes them, e.g. "payload.email: is not a
// plain email address" or "payload.scheduled_event.end_time: …".
package calendly
