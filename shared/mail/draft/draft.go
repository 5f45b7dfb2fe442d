// Package draft holds what an email says before it is rendered: the
// rendering port's request and result, and the operator's brand. It is
// apart from the renderer (shared/mail/render, hermes) so that the use
// cases and the composition can name them without linking the renderer.
package draft

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// Brand is how emails look and sign off: the operator's name, site, logo
// and colour, not Aftercare's.
type Brand struct {
	Name string
	// Link is the brand's website; the header links to it.
	Link string
	// Logo is an absolute URL of an image shown in the header instead of
	// the name.
	Logo string
	// Color is the rating buttons' colour, a CSS hex colour ("#1f7a8c") or
	// name; anything else falls back to the default.
	Color string
	// Copyright is the footer line; it defaults to "© <year> <Name>".
	Copyright string
	// Signature names who signs the emails ("Maria and the Sea Breeze
	// team"); it defaults to the catalog's "The <Name> team", in the
	// customer's language.
	Signature string
}

// ErrTemporary wraps a render that failed for a reason a retry may fix: a
// renderer in another process that could not be reached. Other render
// failures are the request's own and permanent.
var ErrTemporary = errors.New("renderer temporarily unavailable")

// Templates are the emails every renderer knows, by name. They are listed
// here, apart from the renderer, so that a renderer in another process
// (shared/mail/render/remote) can answer Has without linking hermes; the
// render package's test holds its table to this list.
var Templates = []string{
	"thank_you", "satisfaction", "reminder", "recovery", "acknowledgement",
	"team_alert", "team_signin", "team_message", "loyalty_note", "missed_you",
	"review_invite", "pre_arrival",
}

// Request is everything one email says. Text fields come from the booking
// or ticket as the customer or the sender's system wrote them.
type Request struct {
	Template     string    `json:"template,omitempty"`
	Locale       string    `json:"locale,omitempty"`
	CustomerName string    `json:"customer_name,omitempty"`
	Title        string    `json:"title,omitempty"`
	Location     string    `json:"location,omitempty"`
	Agent        string    `json:"agent,omitempty"`
	StartsAt     time.Time `json:"starts_at,omitzero"`
	// TimeZone is the customer's IANA zone; dates are written as the
	// customer lived them. An unknown zone means UTC.
	TimeZone string            `json:"time_zone,omitempty"`
	Survey   domain.SurveyKind `json:"survey,omitempty"`
	// Ratings are the one-click answer links, one per score, in any order;
	// the email shows them worst to best. Templates that must not ask for
	// a score (acknowledgement, team_alert) ignore them.
	Ratings []Rating `json:"ratings,omitempty"`

	// The fields below describe an answer the customer already gave. Only
	// team_alert shows them; customer templates never echo a customer's
	// words back, so a forwarded or misdirected email leaks nothing new.

	// Score is the answer on Survey's scale. It is shown only when Survey is
	// set and Score lies in its range: NPS 0 is a real score, so leave
	// Survey empty when there is no answer.
	Score int `json:"score,omitempty"`
	// Comment is what the customer wrote on the rating page; ReplyText is
	// the text of their email reply. Both keep their line breaks.
	Comment   string `json:"comment,omitempty"`
	ReplyText string `json:"reply_text,omitempty"`
	// Reasons are the reason codes ticked on the rating page ("waiting",
	// "staff", …), shown with the catalog's "reason.<code>" labels.
	Reasons []string `json:"reasons,omitempty"`
	// TimelineURL links the team to the incident. Anything but an
	// absolute http(s) URL is dropped rather than failing the alert.
	TimelineURL string `json:"timeline_url,omitempty"`
	// UnsubscribeURL is the customer's one-click unsubscribe link, shown
	// in the footer of every email to them. Anything but an absolute
	// http(s) URL is dropped.
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
	// CustomerEmail is shown to the team, so they can write back.
	CustomerEmail string `json:"customer_email,omitempty"`
	// Provider and Ref identify the booking or ticket in the sender's
	// system; Status is the incident's status ("completed", "solved", …).
	Provider string `json:"provider,omitempty"`
	Ref      string `json:"ref,omitempty"`
	Status   string `json:"status,omitempty"`
	// Cause says why the team is alerted: "negative_answer", "reply",
	// "not_recovered" (the "did we fix it?" answer was still low),
	// "answer_updated", "answer_improved" or "reply_other_sender".
	Cause string `json:"cause,omitempty"`
	// Sender is who wrote a message that did not come from the customer
	// (cause "reply_other_sender"); ReplyText is then their message.
	Sender string `json:"sender,omitempty"`
	// Changes counts the changes folded into a follow-up alert.
	Changes int `json:"changes,omitempty"`
	// Kind is "booking" or "ticket", to name the title row.
	Kind string `json:"kind,omitempty"`
	// Message is what a team member wrote to the customer (team_message),
	// as they typed it; it is shown as paragraphs, never as markup.
	Message string `json:"message,omitempty"`

	// The loyalty note: which completed booking this is (3 for the 3rd),
	// since when the person has been a customer, and the offer, if any:
	// its code and what it is worth, in the customer's language.
	LoyaltyCount int       `json:"loyalty_count,omitempty"`
	LoyaltySince time.Time `json:"loyalty_since,omitzero"`
	OfferCode    string    `json:"offer_code,omitempty"`
	OfferText    string    `json:"offer_text,omitempty"`
	// BookingLink is the operator's booking page (missed_you).
	BookingLink string `json:"booking_link,omitempty"`
	// ReviewURL is the review invitation's one link (review_invite): our
	// signed page listing ReviewSites, the names of the configured review
	// sites, which records the choice before redirecting.
	ReviewURL   string   `json:"review_url,omitempty"`
	ReviewSites []string `json:"review_sites,omitempty"`
	// Advice is the operator's pre-arrival advice chosen for this booking
	// (package advice), shown by pre_arrival as paragraphs, never markup.
	Advice string `json:"advice,omitempty"`
	// EndsAt is when the booking ends; pre_arrival shows it with StartsAt.
	EndsAt time.Time `json:"ends_at,omitzero"`
}

// Rating is one answer link. An empty Label takes the catalog's label for
// the score, or the score itself.
type Rating struct {
	Score int    `json:"score,omitempty"`
	Label string `json:"label,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Rendered is a finished email. Lang is the language it was written in
// ("en", "el", "es"), which may differ from the requested locale.
type Rendered struct {
	Subject string `json:"subject,omitempty"`
	HTML    string `json:"html,omitempty"`
	Text    string `json:"text,omitempty"`
	Lang    string `json:"lang,omitempty"`
}

// MapURL is a map search link for a booking's location (Google Maps'
// documented, keyless "Maps URLs", which phones open in their map app),
// or "" when the location is not a place: empty, or a meeting link.
func MapURL(location string) string {
	location = strings.TrimSpace(location)
	if location == "" || strings.Contains(location, "://") || strings.HasPrefix(location, "integrations:") {
		return ""
	}
	return "https://www.google.com/maps/search/?api=1&query=" + url.QueryEscape(location)
}
