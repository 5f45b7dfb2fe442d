package bolt

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Incidents last changed before the cutoff go, with their people's
// records, except a suppression; everything newer stays. More than one
// batch is swept.
func TestExpire(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	now := time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC)
	cutoff := now.Add(-400 * 24 * time.Hour)
	put := func(id string, updated time.Time) {
		t.Helper()
		if _, err := s.Update(ctx, id, func(inc *domain.Incident) error {
			inc.ID, inc.UpdatedAt = id, updated
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	old := expireBatch + 7
	for i := range old {
		put(fmt.Sprintf("inc_old%04d", i), cutoff.Add(-time.Duration(i+1)*time.Hour))
	}
	put("inc_new", cutoff.Add(time.Hour))
	contact := func(key string, seen time.Time, suppressed bool) {
		t.Helper()
		if _, err := s.UpdateContact(ctx, key, func(c *domain.Contact) error {
			c.Key, c.LastSeen = key, seen
			if suppressed {
				c.Suppress("complaint", seen)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	contact("con_old", cutoff.Add(-time.Hour), false)
	contact("con_suppressed", cutoff.Add(-time.Hour), true)
	contact("con_new", cutoff.Add(time.Hour), false)

	incs, cons, err := s.Expire(ctx, cutoff)
	if err != nil || incs != old || cons != 1 {
		t.Fatalf("expired %d incidents and %d contacts (%v), want %d and 1", incs, cons, err, old)
	}
	if _, err := s.Get(ctx, "inc_old0000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired incident: %v", err)
	}
	list, err := s.List(ctx, 10)
	if err != nil || len(list) != 1 || list[0].ID != "inc_new" {
		t.Fatalf("left: %d %v", len(list), err)
	}
	for key, want := range map[string]bool{"con_old": false, "con_suppressed": true, "con_new": true} {
		_, err := s.GetContact(ctx, key)
		if got := err == nil; got != want {
			t.Errorf("%s kept = %v, want %v (%v)", key, got, want, err)
		}
	}
	if incs, cons, err := s.Expire(ctx, cutoff); err != nil || incs != 0 || cons != 0 {
		t.Fatalf("again: %d %d %v", incs, cons, err)
	}
}
