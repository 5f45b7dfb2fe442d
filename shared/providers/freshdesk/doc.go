// Package freshdesk accepts Freshdesk automation webhooks, served at POST
// /webhooks/freshdesk.
//
// Freshdesk has no signature scheme, so a delivery is authenticated by a
// secret token the operator puts in the automation: the X-Aftercare-Token
// header (preferred), "Authorization: Bearer <token>", or a "token" query
// parameter (last resort: URLs end up in logs). It is compared in constant
// time against the active tokens (two while rotating).
//
// The body is the one Aftercare ships (AutomationBody; docs/providers.md
// says where to paste it), its keys named after the Freshdesk placeholders
// that fill them; errors use those names ("ticket.requester.email: …").
//
// Status mapping ({{ticket.status}}, case-insensitive; Freshdesk's numeric
// codes are accepted too):
//
//	open (2)                                 ticket.opened (after resolved: reopened)
//	pending (3), waiting on customer,
//	waiting on third party                   ticket.updated (still open)
//	resolved (4)                             ticket.solved
//	closed (5)                               ticket.closed
//	reopened                                 ticket.reopened (for bodies that say so)
//	anything else (custom statuses)          202 "ignored", naming the status
//
// Freshdesk sends neither a delivery id nor the time of the change, so the
// event's time is when Aftercare receives it, unless the body carries
// ticket.updated_at. The event id is derived from (ticket id, status,
// updated_at) when it is there, else from (ticket id, status,
// triggered_event, the minute of receipt): a redelivery within the minute
// is recognised, and one after it re-applies a status the ticket already
// has, which changes nothing. What cannot be told apart without a time from
// Freshdesk is a retry that arrives after a later change; Freshdesk's
// automations fire in order, so this needs a failed delivery first.
package freshdesk
