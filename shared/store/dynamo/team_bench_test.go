package dynamo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// BenchmarkAddCounts times one change of five buckets (a transaction of
// six items) against DynamoDB Local, and a redelivery of it (cancelled
// on the marker).
func BenchmarkAddCounts(b *testing.B) {
	c := client(b)
	s := dynamo.New(c, newTable(b, c))
	deltas := make([]store.CountDelta, 5)
	for i := range deltas {
		deltas[i] = store.CountDelta{Bucket: fmt.Sprint("2026-11|provider:p", i), Counts: store.Counts{"csat_n": 1, "csat_sum": 4}}
	}
	b.Run("new", func(b *testing.B) {
		for i := range b.N {
			if err := s.AddCounts(b.Context(), fmt.Sprint("inc#", i), deltas); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redelivered", func(b *testing.B) {
		for range b.N {
			if err := s.AddCounts(b.Context(), "inc#0", deltas); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPage times a first page and a last page (which walks the
// retention's months to learn it is the last) of 25 over 200 incidents,
// and the attention queue's head, against DynamoDB Local.
func BenchmarkPage(b *testing.B) {
	c := client(b)
	s := dynamo.New(c, newTable(b, c))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		id := fmt.Sprintf("inc_%03d", i)
		if _, err := s.Update(b.Context(), id, func(inc *domain.Incident) error {
			inc.ID, inc.UpdatedAt = id, t0.Add(time.Duration(i)*time.Hour)
			if i%10 == 0 {
				inc.Attention = &domain.Attention{Since: inc.UpdatedAt}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	var lastCursor store.Cursor
	for cur := store.Cursor(""); ; {
		_, next, err := s.Page(b.Context(), cur, 25)
		if err != nil {
			b.Fatal(err)
		}
		if next == "" {
			lastCursor = cur
			break
		}
		cur = next
	}
	b.Run("first", func(b *testing.B) {
		for range b.N {
			if page, _, err := s.Page(b.Context(), "", 25); err != nil || len(page) != 25 {
				b.Fatal(len(page), err)
			}
		}
	})
	b.Run("last", func(b *testing.B) {
		for range b.N {
			if page, next, err := s.Page(b.Context(), lastCursor, 25); err != nil || len(page) != 25 || next != "" {
				b.Fatal(len(page), next, err)
			}
		}
	})
	b.Run("attention", func(b *testing.B) {
		for range b.N {
			if q, err := s.NeedingAttention(b.Context(), 50); err != nil || len(q) != 20 {
				b.Fatal(len(q), err)
			}
		}
	})
}
