package app

// review.go: the review invitation's link and the page behind it. The
// email carries one signed link to our own page, which lists the review
// sites configured for the booking's location; choosing one is a POST that
// records the choice on the timeline (once per site) and redirects to that
// site's configured URL — never to a URL from the request.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/store"
)

// reviewLinkPrefix marks a link token's step as a review link's. The
// token's step is then no step key, so a review link can never answer a
// survey (RecordAnswer refuses an unknown step), and a rating link, whose
// step has no prefix, is not a review link.
const reviewLinkPrefix = "visit:"

// reviewLinkLife is how long a review invitation's link works: review
// sites accept reviews for months, so the link outlives a survey's.
const reviewLinkLife = 90 * 24 * time.Hour

// ReviewURL is the signed link of a review invitation.
func (s *Service) ReviewURL(incidentID, key string, now time.Time) string {
	return s.cfg.PublicURL + "/v/" + s.cfg.Links.Sign(links.Claims{
		Incident: incidentID, Step: reviewLinkPrefix + key, Expires: now.Add(reviewLinkLife),
	})
}

// reviewRequest fills in a review invitation: the link and the names of
// the sites. Nothing in it depends on the customer's answers.
func (s *Service) reviewRequest(req *draft.Request, inc domain.Incident, step domain.PlannedStep, now time.Time) {
	req.ReviewURL = s.ReviewURL(inc.ID, step.Key, now)
	for _, site := range s.cfg.Policy.ReviewSites(inc.Location) {
		req.ReviewSites = append(req.ReviewSites, site.Name)
	}
}

// ReviewView is what the review page shows.
type ReviewView struct {
	Incident string
	Step     string
	Locale   string
	// Sites are the review sites configured now for the booking's
	// location; a form names one by its index.
	Sites []domain.ReviewSite
}

// ReviewPeek verifies a review link and lists its sites. It records
// nothing: link scanners fetch every link in an email.
func (s *Service) ReviewPeek(ctx context.Context, token string) (ReviewView, error) {
	key, c, err := s.verifyReview(token)
	if err != nil {
		return ReviewView{}, err
	}
	inc, err := s.cfg.Store.Get(ctx, c.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return ReviewView{}, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	if err != nil {
		return ReviewView{}, fmt.Errorf("review page %s: %w", c.Incident, err)
	}
	return s.reviewView(inc, key)
}

// ReviewFollow records that the customer chose review site i (an index
// into ReviewView.Sites) and returns that site's configured URL, the only
// place the redirect may go. An index that names no configured site is a
// bad link: nothing is recorded and nobody is redirected.
func (s *Service) ReviewFollow(ctx context.Context, token string, i int) (string, error) {
	key, c, err := s.verifyReview(token)
	if err != nil {
		return "", err
	}
	var site domain.ReviewSite
	_, err = s.update(ctx, c.Incident, func(cur *domain.Incident) error {
		if cur.ID == "" {
			return store.ErrNotFound
		}
		v, err := s.reviewView(*cur, key)
		if err != nil {
			return err
		}
		if i < 0 || i >= len(v.Sites) {
			return fmt.Errorf("%w: no review site %d", ErrBadLink, i)
		}
		site = v.Sites[i]
		if !cur.FollowReview(key, site, s.cfg.Clock.Now()) {
			return store.ErrUnchanged
		}
		return nil
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("%w: %w", ErrBadLink, err)
	case err != nil && !errors.Is(err, ErrBadLink):
		return "", fmt.Errorf("review link %s: %w", c.Incident, err)
	case err != nil:
		return "", err
	}
	s.log.InfoContext(ctx, "review site followed", "incident", c.Incident, "step", key, "site", site.Name)
	return site.URL, nil
}

// verifyReview checks a review link's token and returns its step key.
func (s *Service) verifyReview(token string) (string, links.Claims, error) {
	c, err := s.cfg.Links.Verify(token, s.cfg.Clock.Now())
	if err != nil {
		return "", c, fmt.Errorf("%w: %w", ErrBadLink, err)
	}
	key, ok := strings.CutPrefix(c.Step, reviewLinkPrefix)
	if !ok || !domain.IsReviewKey(key) {
		return "", c, fmt.Errorf("%w: not a review link", ErrBadLink)
	}
	return key, c, nil
}

// reviewView lists the sites of an invitation that was sent (claimed): a
// link to one that never went out is a bad link.
func (s *Service) reviewView(inc domain.Incident, key string) (ReviewView, error) {
	if _, sent := inc.Steps[key]; !sent {
		return ReviewView{}, fmt.Errorf("%w: %s was not sent", ErrBadLink, key)
	}
	return ReviewView{Incident: inc.ID, Step: key, Locale: inc.Customer.Locale, Sites: s.cfg.Policy.ReviewSites(inc.Location)}, nil
}
