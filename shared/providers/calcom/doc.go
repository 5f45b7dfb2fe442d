// Package calcom accepts Cal.com webhooks, served at POST /webhooks/calcom.
//
// Cal.com signs the raw body: X-Cal-Signature-256 is the hex HMAC-SHA256 of
// it under the webhook's secret. A webhook saved without a secret sends the
// literal "no-secret-provided" instead; it is refused, since anyone could
// send it. There is no timestamp, so a captured delivery could be replayed;
// event ids are derived from the delivery's own content, so a replay is a
// duplicate and changes nothing.
//
// Bodies come in two shapes: most triggers wrap the booking in an envelope
// ({"triggerEvent", "createdAt", "payload": {…}}); MEETING_STARTED and
// MEETING_ENDED send the booking flat at the top level. Custom payload
// templates are not supported: leave the webhook's template empty.
//
// Mapping (the customer is the first attendee, the booker):
//
//	BOOKING_CREATED          booking.created, completes at its end time
//	BOOKING_RESCHEDULED      booking.cancelled for payload.rescheduleUid (the
//	                         old booking) and booking.created for payload.uid
//	                         (the new one, completes at its end time): Cal.com
//	                         gives a rescheduled booking a new uid
//	BOOKING_CANCELLED        booking.cancelled
//	BOOKING_REJECTED         booking.cancelled (a request the host turned down)
//	BOOKING_NO_SHOW_UPDATED  an attendee marked no-show: booking.no_show (no
//	                         thank-you for a visit that did not happen);
//	                         unmarked: booking.created, so the booking is
//	                         booked again and completes at its known end
//	MEETING_ENDED            booking.completed at endTime
//	anything else            202 "ignored"
//
// Why bookings complete at their end time: MEETING_ENDED is fire-and-forget
// (scheduled by Cal.com when the booking is made, sent once, not retried),
// and only for webhooks subscribed to it when the booking was created. If
// the thank-you waited for it, one lost request would lose the follow-up.
// With domain.Event.CompletesAtEnd the thank-you is planned from
// BOOKING_CREATED; MEETING_ENDED, when it arrives, completes the booking at
// the same instant, so the plan (and its schedule name) does not change and
// nothing is sent twice.
//
// Identity: the incident is (calcom, booking uid). Cal.com sends no
// delivery id, so the event id is derived from (triggerEvent, uid,
// createdAt) for enveloped bodies and from (triggerEvent, uid, endTime) for
// MEETING_ENDED; a redelivery of the same body gets the same id.
//
// Errors name fields as Cal.com writes them, e.g. "payload.uid: is
// required" or "payload.attendees[0].email: is not a plain email address".
package calcom
