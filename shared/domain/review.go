package domain

// review.go: honest review invitations. Google, Trustpilot and Tripadvisor
// forbid "review gating" — inviting only the customers who seem happy, or
// steering unhappy ones elsewhere — and Google and Tripadvisor forbid any
// incentive. So whether a booking's customer is invited is decided when
// the booking completes, from the booking's id and the policy alone, and
// recorded then (ReviewDecision); Plan plans the invitation only from that
// decision, never from an answer, and every invited customer gets the same
// neutral email, with no offer code.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReviewTemplate is the review invitation's email template.
const ReviewTemplate = "review_invite"

// ReviewStepID is the id of review invitation steps; their keys are
// "review-<cycle>". It is reserved while reviews are configured.
const ReviewStepID = "review"

// EntryReview marks the timeline entries of review invitations: the
// decision taken at completion and each review site followed.
const EntryReview = "review"

// Limits of the reviews policy: a handful of sites per list, names that
// fit a button, URLs that fit a redirect.
const (
	maxReviewSites    = 10
	maxReviewSiteName = 40
	maxReviewURL      = 2000
	maxReviewLocation = 200
)

// Reviews configures review invitations. Without sites there is no
// invitation at all.
type Reviews struct {
	// Delay, or Days and At, say when the invitation goes, counted from
	// the completion, like a rule's step; absent, 3 days later at 11:00.
	Delay Duration `json:"delay,omitempty"`
	Days  int      `json:"days,omitempty"`
	At    string   `json:"at,omitempty"`
	// Sites are the brand's review pages, offered for every booking.
	Sites []ReviewSite `json:"sites,omitempty"`
	// Locations adds review pages per location, keyed by the booking's
	// location as the booking system sends it (compared without regard
	// to case or surrounding spaces); they are offered before the brand's.
	Locations map[string][]ReviewSite `json:"locations,omitempty"`
}

// ReviewSite is one page where customers can review the business.
type ReviewSite struct {
	// Name is what the button says ("Google", "Tripadvisor").
	Name string `json:"name"`
	// URL is the review page; only https URLs are accepted, and the
	// redirect goes only to a URL configured here.
	URL string `json:"url"`
}

// ReviewDecision is whether a completed booking's customer is invited to
// review, decided once when the cycle completed.
type ReviewDecision struct {
	Cycle  int       `json:"cycle"`
	Invite bool      `json:"invite"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// Followed names the review sites the customer went on to, each once
	// (by a short hash of its URL, which keeps the incident small), so
	// that a click is recorded once however often the customer clicks.
	Followed []string `json:"followed,omitempty"`
}

// ReviewsOn reports whether review invitations are configured.
func (p Policy) ReviewsOn() bool {
	r := p.Reviews
	if r == nil {
		return false
	}
	if len(r.Sites) > 0 {
		return true
	}
	for _, s := range r.Locations {
		if len(s) > 0 {
			return true
		}
	}
	return false
}

// ReviewSites are the review pages offered for a booking at location:
// the location's own, then the brand's, each URL once. The redirect only
// ever goes to one of these.
func (p Policy) ReviewSites(location string) []ReviewSite {
	if p.Reviews == nil {
		return nil
	}
	var out []ReviewSite
	seen := map[string]bool{}
	add := func(list []ReviewSite) {
		for _, s := range list {
			if !seen[s.URL] {
				seen[s.URL] = true
				out = append(out, s)
			}
		}
	}
	if loc := strings.TrimSpace(location); loc != "" {
		for name, list := range p.Reviews.Locations {
			if strings.EqualFold(strings.TrimSpace(name), loc) {
				add(list)
			}
		}
	}
	add(p.Reviews.Sites)
	return out
}

// reviewStep is the invitation's step: its timing from the policy, by
// default 3 days after completion at 11:00, after the thank-you (the next
// day) and a loyalty note (2 days), so the three never arrive together.
func (p Policy) reviewStep() Step {
	r := p.Reviews
	s := Step{ID: ReviewStepID, Template: ReviewTemplate, Delay: r.Delay, Days: r.Days, At: r.At}
	if s.Delay == 0 && s.At == "" {
		s.Days, s.At = 3, "11:00"
	}
	return s
}

// ReviewKey is the key of the review invitation of a cycle.
func ReviewKey(cycle int) string { return ReviewStepID + "-" + strconv.Itoa(cycle) }

// IsReviewKey reports whether a step key is a review invitation's.
func IsReviewKey(key string) bool {
	n, ok := strings.CutPrefix(key, ReviewStepID+"-")
	if !ok {
		return false
	}
	c, err := strconv.Atoi(n)
	return err == nil && c > 0 && strconv.Itoa(c) == n
}

// decideReview is the decision for a booking completed in cycle at: a
// pure function of its id, its location and the policy — there is no
// answer, score or comment among its inputs, by design.
func (p Policy) decideReview(inc *Incident, cycle int, at time.Time) ReviewDecision {
	d := ReviewDecision{Cycle: cycle, At: at}
	switch {
	case len(p.ReviewSites(inc.Location)) == 0:
		d.Reason = "not invited: no review site is configured for this location"
	case p.ReviewSample == "":
		d.Invite, d.Reason = true, "invited: every completed booking is invited"
	case reviewSampled(p.ReviewSample, inc.ID):
		d.Invite, d.Reason = true, "invited: in the review sample "+p.ReviewSample+", chosen by booking id"
	default:
		d.Reason = "not invited: sampled out of the review sample " + p.ReviewSample + ", chosen by booking id"
	}
	return d
}

// reviewSampled reports whether a "k/n" review sample includes an
// incident. Its hash is salted apart from the survey sample's, so that
// the two samples are independent of each other.
func reviewSampled(sample, incidentID string) bool {
	k, n, ok := parseSample(sample)
	if !ok {
		return true
	}
	sum := sha256.Sum256([]byte("aftercare-review-sample\x00" + incidentID))
	return binary.BigEndian.Uint64(sum[:8])%uint64(n) < uint64(k)
}

// DecideReview takes the review decision for a booking whose completion
// was just applied, and records it on the timeline, in the same write
// that stores the completion. It decides once per cycle and reports
// whether it decided now. Ingest calls it after every applied event.
func (inc *Incident) DecideReview(p Policy, now time.Time) bool {
	if !p.ReviewsOn() || inc.Kind != KindBooking || inc.Status != StatusCompleted || inc.Cycle == 0 {
		return false
	}
	if inc.Review != nil && inc.Review.Cycle >= inc.Cycle {
		return false
	}
	d := p.decideReview(inc, inc.Cycle, now)
	inc.Review = &d
	inc.record(Entry{At: now, Kind: EntryReview, Step: ReviewKey(inc.Cycle), Detail: "review invitation decided at completion: " + d.Reason})
	return true
}

// reviewDecision is the decision Plan works from for a resolved cycle:
// the one recorded at completion, or, for a booking that completes at its
// end time with no write at that moment, the same pure function of id and
// policy, which the next write records.
func reviewDecision(inc Incident, p Policy, status Status, cycle int, resolvedAt time.Time) (ReviewDecision, bool) {
	if inc.Kind != KindBooking || status != StatusCompleted || !p.ReviewsOn() {
		return ReviewDecision{}, false
	}
	if d := inc.Review; d != nil && d.Cycle == cycle {
		return *d, true
	}
	if d := inc.Review; d != nil && d.Cycle > cycle {
		return ReviewDecision{}, false
	}
	return p.decideReview(&inc, cycle, resolvedAt), true
}

// planReview is the review invitation Plan wants for a resolved cycle:
// its own email (a personal note, so it spends the message budget and
// needs the person's consent), planned from the decision alone.
func planReview(inc Incident, p Policy, status Status, cycle int, resolvedAt time.Time, loc *time.Location) (PlannedStep, bool) {
	d, ok := reviewDecision(inc, p, status, cycle, resolvedAt)
	if !ok || !d.Invite {
		return PlannedStep{}, false
	}
	s := p.reviewStep()
	return PlannedStep{Key: ReviewKey(cycle), Kind: KindNote, Step: s, Due: s.dueAfter(resolvedAt, loc)}, true
}

// FollowReview records that the customer went on to a review site from
// the invitation of step key, once per site; it reports whether this is
// the first time.
func (inc *Incident) FollowReview(key string, site ReviewSite, now time.Time) bool {
	d := inc.Review
	if d == nil || ReviewKey(d.Cycle) != key {
		// An invitation of an earlier cycle: still on the timeline, once.
		detail := "review site followed: " + site.Name
		for _, e := range inc.Timeline {
			if e.Kind == EntryReview && e.Step == key && e.Detail == detail {
				return false
			}
		}
		inc.UpdatedAt = now
		inc.record(Entry{At: now, Kind: EntryReview, Step: key, Detail: truncate(detail, maxEntryText)})
		return true
	}
	id := siteID(site)
	if slices.Contains(d.Followed, id) {
		return false
	}
	nd := *d // copy on write: the incident may share d with a copy of itself
	nd.Followed = append(slices.Clone(d.Followed), id)
	if len(nd.Followed) > maxReviewSites*2 {
		nd.Followed = nd.Followed[len(nd.Followed)-maxReviewSites*2:]
	}
	inc.Review = &nd
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryReview, Step: key, Detail: truncate("review site followed: "+site.Name, maxEntryText)})
	return true
}

// siteID is a review site's short, stable name in ReviewDecision.Followed.
func siteID(s ReviewSite) string {
	sum := sha256.Sum256([]byte(s.URL))
	return hex.EncodeToString(sum[:6])
}

// validate checks the review_invite block and review_sample; rules names
// the policy's steps so that none takes the reserved id.
func (r *Reviews) validate(sample string, rules []Rule) error {
	for i, rule := range rules {
		for j, s := range rule.Steps {
			if s.Template == ReviewTemplate {
				return fmt.Errorf("rules[%d].steps[%d].template: %s is planned from \"review_invite\", never as a rule's step", i, j, ReviewTemplate)
			}
		}
	}
	if _, _, ok := parseSample(sample); sample != "" && !ok {
		return fmt.Errorf("review_sample: %s is not \"k/n\" with 1 ≤ k ≤ n ≤ 1000, e.g. \"1/2\"", Quote(sample))
	}
	if r == nil {
		return nil
	}
	if err := (Step{ID: ReviewStepID, Template: ReviewTemplate, Delay: r.Delay, Days: r.Days, At: r.At}).validate("review_invite"); err != nil {
		return err
	}
	if err := validateSites("review_invite.sites", r.Sites); err != nil {
		return err
	}
	for name, list := range r.Locations {
		if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > maxReviewLocation {
			return fmt.Errorf("review_invite.locations: a location name must be 1–%d characters", maxReviewLocation)
		}
		if err := validateSites("review_invite.locations["+Quote(name)+"]", list); err != nil {
			return err
		}
	}
	if len(r.Sites) == 0 && len(r.Locations) == 0 {
		return errors.New("review_invite: give at least one site in sites or locations (or leave review_invite out)")
	}
	for i, rule := range rules {
		for j, s := range rule.Steps {
			if s.ID == ReviewStepID {
				return fmt.Errorf("rules[%d].steps[%d].id: %q is reserved for review invitations", i, j, s.ID)
			}
		}
	}
	return nil
}

// validateSites checks one list of review sites: a name for the button
// and an absolute https URL with a host and no credentials.
func validateSites(where string, sites []ReviewSite) error {
	if len(sites) > maxReviewSites {
		return fmt.Errorf("%s: at most %d sites", where, maxReviewSites)
	}
	for i, s := range sites {
		at := fmt.Sprintf("%s[%d]", where, i)
		if n := strings.TrimSpace(s.Name); n == "" || n != s.Name || utf8.RuneCountInString(n) > maxReviewSiteName || strings.ContainsFunc(n, isControl) {
			return fmt.Errorf("%s.name: must be 1–%d characters without surrounding spaces", at, maxReviewSiteName)
		}
		if len(s.URL) > maxReviewURL {
			return fmt.Errorf("%s.url: longer than %d bytes", at, maxReviewURL)
		}
		u, err := url.Parse(s.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" || strings.ContainsFunc(s.URL, isControl) {
			return fmt.Errorf("%s.url: %s is not an absolute https:// URL", at, Quote(s.URL))
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
