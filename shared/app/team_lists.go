package app

// team_lists.go finds incidents for the dashboard: the attention queue,
// and search with filters, paging by time over the listing index.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// QueueLimit bounds the attention queue shown at once.
const QueueLimit = 200

// AttentionQueue lists the incidents waiting for the team, oldest first.
func (s *Service) AttentionQueue(ctx context.Context) ([]domain.Incident, error) {
	ts, err := s.teamStore()
	if err != nil {
		return nil, err
	}
	out, err := ts.NeedingAttention(ctx, QueueLimit)
	if err != nil {
		return nil, fmt.Errorf("attention queue: %w", err)
	}
	return out, nil
}

// Filter narrows a search. Empty fields match everything.
type Filter struct {
	// Query is a customer email, a name, a reference or an incident id.
	Query    string
	Provider string
	Status   string
	Agent    string
	Location string
	// Attention: only incidents waiting for the team.
	Attention bool
}

func (f Filter) matches(inc domain.Incident) bool {
	eq := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	if !eq(f.Provider, inc.Provider) || !eq(f.Status, string(inc.Status)) || !eq(f.Agent, inc.Agent) || !eq(f.Location, inc.Location) {
		return false
	}
	if f.Attention && !inc.NeedsTeam() {
		return false
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	if q == "" {
		return true
	}
	for _, v := range []string{inc.ID, inc.Ref, inc.Customer.Name, inc.Customer.Email, inc.Title} {
		if strings.Contains(strings.ToLower(v), q) {
			return true
		}
	}
	return false
}

// SearchResult is one page of matches and where the next page starts
// ("" when the listing is exhausted).
type SearchResult struct {
	Incidents []domain.Incident
	Next      store.Cursor
	// Scanned is how many incidents were read to fill the page.
	Scanned int
}

// Search limits: a page reads incidents in chunks of SearchPage until it
// has SearchPage matches (so it shows fewer than twice that) or has read
// searchBudget incidents, so one request costs the same at
// a thousand or a million incidents; the next page continues from there.
const (
	SearchPage   = 50
	searchBudget = 2000
)

// Search finds incidents. An incident id, or a customer's email address
// (through their contact record), is looked up directly; anything else
// pages through incidents newest first, matching names, references and
// titles, from cursor.
func (s *Service) Search(ctx context.Context, f Filter, cursor store.Cursor) (SearchResult, error) {
	q := strings.TrimSpace(f.Query)
	switch {
	case strings.HasPrefix(q, "inc_") && !strings.ContainsAny(q, " @"):
		inc, err := s.cfg.Store.Get(ctx, q)
		if err == nil && f.matches(inc) {
			return SearchResult{Incidents: []domain.Incident{inc}, Scanned: 1}, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return SearchResult{}, fmt.Errorf("search: %w", err)
		}
		return SearchResult{Scanned: 1}, nil
	case strings.Contains(q, "@") && s.cfg.ContactKey != nil:
		return s.searchPerson(ctx, f)
	}
	ts, err := s.teamStore()
	if err != nil {
		return SearchResult{}, err
	}
	var res SearchResult
	for res.Scanned < searchBudget && len(res.Incidents) < SearchPage {
		page, next, err := ts.Page(ctx, cursor, SearchPage)
		if err != nil {
			return SearchResult{}, fmt.Errorf("search: %w", err)
		}
		for _, inc := range page {
			res.Scanned++
			if f.matches(inc) {
				res.Incidents = append(res.Incidents, inc)
			}
		}
		cursor = next
		if next == "" {
			break
		}
	}
	res.Next = cursor
	return res, nil
}

// searchPerson finds a person's incidents through their contact record.
func (s *Service) searchPerson(ctx context.Context, f Filter) (SearchResult, error) {
	c, err := s.cfg.Store.GetContact(ctx, domain.ContactKey(s.cfg.ContactKey, f.Query))
	if errors.Is(err, store.ErrNotFound) {
		return SearchResult{}, nil
	}
	if err != nil {
		return SearchResult{}, fmt.Errorf("search: %w", err)
	}
	var res SearchResult
	f.Query = "" // matched by the record
	for i := len(c.Incidents) - 1; i >= 0 && len(res.Incidents) < SearchPage; i-- {
		inc, err := s.cfg.Store.Get(ctx, c.Incidents[i])
		res.Scanned++
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return SearchResult{}, fmt.Errorf("search: %w", err)
		}
		if f.matches(inc) {
			res.Incidents = append(res.Incidents, inc)
		}
	}
	return res, nil
}

// TeamIncident returns one incident for the dashboard.
func (s *Service) TeamIncident(ctx context.Context, id string) (domain.Incident, error) {
	inc, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("incident %s: %w", id, err)
	}
	return inc, nil
}
