package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Concurrency load: small enough for DynamoDB Local, large enough that
// writers collide (and the first writers race to create the incident).
const (
	writers         = 8
	writesPerWriter = 5
)

// testConcurrent proves optimistic concurrency: every writer appends its own
// entries to one incident at the same time. A lost update would drop an
// entry; a missing version check would leave Version below the write count.
func testConcurrent(t *testing.T, s store.Store) {
	const id = "inc_concurrent"
	var wg sync.WaitGroup
	errs := make(chan error, writers*writesPerWriter)
	for w := range writers {
		wg.Go(func() {
			for i := range writesPerWriter {
				detail := fmt.Sprintf("w%d-%d", w, i)
				_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
					if inc.ID == "" {
						inc.ID = id
						inc.CreatedAt = t0
					}
					inc.UpdatedAt = t0.Add(time.Second)
					inc.Timeline = append(inc.Timeline, domain.Entry{At: t0, Kind: "test", Detail: detail})
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("append %s: %w", detail, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if errors.Is(err, store.ErrConflict) {
			t.Errorf("%v (the adapter gave up retrying with only %d concurrent writers)", err, writers)
			continue
		}
		t.Error(err)
	}

	got := mustGet(t, s, id)
	if want := int64(writers * writesPerWriter); got.Version != want {
		t.Errorf("Version = %d, want %d (one per write)", got.Version, want)
	}
	count := map[string]int{}
	for _, e := range got.Timeline {
		count[e.Detail]++
	}
	for w := range writers {
		for i := range writesPerWriter {
			detail := fmt.Sprintf("w%d-%d", w, i)
			if n := count[detail]; n != 1 {
				t.Errorf("entry %s appears %d times, want once", detail, n)
			}
		}
	}
	if len(got.Timeline) != writers*writesPerWriter {
		t.Errorf("timeline has %d entries, want %d", len(got.Timeline), writers*writesPerWriter)
	}
}
