package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

func TestListBeforePages(t *testing.T) {
	s := openTemp(t)
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	// Seven incidents, three updated at the same instant: the cursor must
	// tell them apart.
	for i := range 7 {
		at := t0.Add(time.Duration(min(i, 4)) * time.Minute)
		put(t, s, fmt.Sprintf("inc_%d", i), at)
	}
	want := []string{"inc_6", "inc_5", "inc_4", "inc_3", "inc_2", "inc_1", "inc_0"}
	for _, limit := range []int{1, 2, 3, 7, 8} {
		var got []string
		var cur Cursor
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: no end", limit)
			}
			// Round-trip the cursor as a URL would.
			parsed, err := ParseCursor(cur.String())
			if err != nil || !parsed.UpdatedAt.Equal(cur.UpdatedAt) || parsed.ID != cur.ID {
				t.Fatalf("ParseCursor(%q) = %+v, %v; want %+v", cur.String(), parsed, err, cur)
			}
			page, next, err := s.ListBefore(t.Context(), parsed, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			for _, inc := range page {
				got = append(got, inc.ID)
			}
			if next.IsZero() {
				break
			}
			cur = next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: pages (-want +got):\n%s", limit, diff)
		}
	}

	// An RFC 3339 time lists what was updated strictly before it.
	c, err := ParseCursor(t0.Add(2 * time.Minute).Format(time.RFC3339Nano))
	if err != nil {
		t.Fatal(err)
	}
	page, next, err := s.ListBefore(t.Context(), c, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inc := range page {
		ids = append(ids, inc.ID)
	}
	if diff := cmp.Diff([]string{"inc_1", "inc_0"}, ids); diff != "" || !next.IsZero() {
		t.Errorf("before a time (-want +got):\n%s next %+v", diff, next)
	}
	if _, err := ParseCursor("not a cursor!"); err == nil {
		t.Error("ParseCursor accepted garbage")
	}
	if page, _, _ := s.ListBefore(t.Context(), Cursor{}, 0); len(page) != 0 {
		t.Errorf("limit 0 listed %d", len(page))
	}
}

// TestGroupCommit writes concurrently with failing, unchanged and
// panicking neighbours in the same batches: every successful write is on
// disk after a reopen, and no other one is.
func TestGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	boom := errors.New("boom")
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("inc_%03d", i)
			_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
				switch i % 10 {
				case 3:
					return boom
				case 5:
					return store.ErrUnchanged
				case 7:
					inc.ID = "wrong"
					return nil
				}
				inc.ID, inc.UpdatedAt = id, t0.Add(time.Duration(i)*time.Second)
				inc.Timeline = append(inc.Timeline, domain.Entry{At: t0, Kind: "test", Detail: id})
				return nil
			})
			switch i % 10 {
			case 3:
				if !errors.Is(err, boom) {
					t.Errorf("%s: err = %v, want boom", id, err)
				}
			case 7:
				if err == nil {
					t.Errorf("%s: a wrong id was accepted", id)
				}
			default:
				if err != nil {
					t.Errorf("%s: %v", id, err)
				}
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.List(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n*7/10 {
		t.Errorf("%d incidents stored, want %d", len(all), n*7/10)
	}
	for _, inc := range all {
		if inc.Version != 1 || len(inc.Timeline) != 1 {
			t.Errorf("%s: version %d, %d entries; want one write", inc.ID, inc.Version, len(inc.Timeline))
		}
	}
}
