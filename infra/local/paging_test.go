package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/store/bolt"
)

// pagingT0 is when the seeded incidents were updated and their schedules
// fire: in the future, so that the runtime's loop fires none of them.
var pagingT0 = time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)

// seed stores n incidents and n pending schedules straight into a data
// directory, as n webhooks would have, only faster. The incidents are
// booked, not completed, so the reconcile at start plans nothing for
// them. Names and times have fixed widths, so pages of any two stores
// have the same size in bytes when they list the same number of items.
func seed(t testing.TB, dir string, n int) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(dir, "aftercare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc, err := localsched.Open(filepath.Join(dir, "schedules.db"), clock.NewFrozen(pagingT0),
		func(context.Context, schedule.Fire) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			id := fmt.Sprintf("inc_%07d", i)
			at := pagingT0.Add(time.Duration(i) * time.Second)
			_, err := st.Update(context.Background(), id, func(inc *domain.Incident) error {
				inc.ID, inc.Provider, inc.Ref = id, "aftercare", fmt.Sprintf("BK-%07d", i)
				inc.Kind, inc.Status = domain.KindBooking, domain.StatusBooked
				inc.Title, inc.Location = "Sunset sailing", "Old Venetian Harbour, Chania"
				inc.Customer = domain.Customer{Email: "maria@example.com", Name: "María Pérez", Locale: "es-ES", TimeZone: "Europe/Madrid"}
				inc.CreatedAt, inc.UpdatedAt, inc.LastEventAt = at, at, at
				inc.Record(at, domain.EntryEvent, "", "booking.created")
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			err = sc.Create(context.Background(), schedule.Schedule{
				Name: fmt.Sprintf("%s.thanks-1.%07d", id, i), IncidentID: id, Step: "thanks-1",
				Due: at, At: at, TimeZone: "Europe/Madrid",
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// getPage fetches a dev page and returns its body, its next cursor and
// how long it took (the fastest of a few tries: the CPU is shared).
func getPage(t testing.TB, base, path string) ([]byte, string, time.Duration) {
	t.Helper()
	var (
		body []byte
		next string
		best time.Duration
	)
	for try := range 3 {
		start := time.Now()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if took := time.Since(start); try == 0 || took < best {
			best = took
		}
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v %s", path, resp.Status, err, body)
		}
		next = resp.Header.Get("X-Next-Cursor")
	}
	return body, next, best
}

// TestPagingCostsTheSameAtAnySize stores 200 and then 2,000 incidents and
// schedules: the first page of the dev API and of the console has the same
// size either way (and about the same time), because it reads one page
// through an index, not everything ever stored.
func TestPagingCostsTheSameAtAnySize(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 2,200 incidents")
	}
	type sizes struct {
		bytes map[string]int
		took  map[string]time.Duration
	}
	measure := func(n int) sizes {
		dir := t.TempDir()
		seed(t, dir, n)
		srv := startDev(t, dir)
		defer srv.stop()
		got := sizes{bytes: map[string]int{}, took: map[string]time.Duration{}}
		for _, path := range []string{"/dev/api/incidents", "/dev/api/schedules", "/dev/api/incidents?limit=200", "/"} {
			body, _, took := getPage(t, srv.base, path)
			got.bytes[path], got.took[path] = len(body), took
		}
		return got
	}
	small, large := measure(200), measure(2000)
	for path, b := range small.bytes {
		t.Logf("%-30s 200: %7d bytes %8s   2,000: %7d bytes %8s", path, b, small.took[path], large.bytes[path], large.took[path])
		// The console says how many schedules are pending: one digit more.
		if d := large.bytes[path] - b; d < 0 || d > 8 {
			t.Errorf("%s: %d bytes with 200 stored, %d with 2,000: the page grows with the store", path, b, large.bytes[path])
		}
		// Time is noisy on a shared machine: only a page that reads
		// everything (10x the items) would be this much slower.
		if large.took[path] > 4*small.took[path]+20*time.Millisecond {
			t.Errorf("%s: %s with 200 stored, %s with 2,000", path, small.took[path], large.took[path])
		}
	}
}

// TestPagingWalksEverythingOnce follows the cursors of both APIs to the
// end: every incident and schedule appears exactly once, in time order.
func TestPagingWalksEverythingOnce(t *testing.T) {
	const n = 230
	dir := t.TempDir()
	seed(t, dir, n)
	srv := startDev(t, dir)

	var ids []string
	var updated []time.Time
	for path, pages := "/dev/api/incidents?limit=50", 0; path != ""; pages++ {
		var page []apiIncidentPage
		resp := getJSONWithHeaders(t, srv.base+path, &page)
		if len(page) > 50 || pages > n/50+1 {
			t.Fatalf("page %d of %d incidents", pages, len(page))
		}
		for _, inc := range page {
			ids = append(ids, inc.ID)
			updated = append(updated, inc.UpdatedAt)
		}
		path = ""
		if c := resp.Header.Get("X-Next-Cursor"); c != "" {
			path = "/dev/api/incidents?limit=50&before=" + url.QueryEscape(c)
			if link := resp.Header.Get("Link"); link == "" {
				t.Error("X-Next-Cursor without a Link header")
			}
		}
	}
	if len(ids) != n || len(uniq(ids)) != n {
		t.Errorf("paged through %d incidents (%d distinct), want %d", len(ids), len(uniq(ids)), n)
	}
	if !sort.SliceIsSorted(updated, func(i, j int) bool { return updated[i].After(updated[j]) }) {
		t.Error("incidents are not most recently updated first")
	}

	var names []string
	var at []time.Time
	total := ""
	for path := "/dev/api/schedules?limit=64"; path != ""; {
		var page []struct {
			ID string    `json:"id"`
			At time.Time `json:"at"`
		}
		resp := getJSONWithHeaders(t, srv.base+path, &page)
		total = resp.Header.Get("X-Total-Count")
		for _, s := range page {
			names = append(names, s.ID)
			at = append(at, s.At)
		}
		path = ""
		if c := resp.Header.Get("X-Next-Cursor"); c != "" {
			path = "/dev/api/schedules?limit=64&after=" + url.QueryEscape(c)
		}
	}
	if len(names) != n || len(uniq(names)) != n || total != fmt.Sprint(n) {
		t.Errorf("paged through %d schedules (%d distinct, total %s), want %d", len(names), len(uniq(names)), total, n)
	}
	if !sort.SliceIsSorted(at, func(i, j int) bool { return at[i].Before(at[j]) }) {
		t.Error("schedules are not soonest first")
	}

	// An RFC 3339 time works as a cursor too, and bad input is a 400.
	var older []apiIncidentPage
	getJSONWithHeaders(t, srv.base+"/dev/api/incidents?limit=500&before="+url.QueryEscape(pagingT0.Add(10*time.Second).Format(time.RFC3339)), &older)
	if len(older) != 10 {
		t.Errorf("before t0+10s: %d incidents, want 10", len(older))
	}
	for _, bad := range []string{"/dev/api/incidents?limit=0", "/dev/api/incidents?limit=501", "/dev/api/incidents?before=%21%21", "/dev/api/schedules?after=nope%21", "/?limit=x"} {
		resp, err := http.Get(srv.base + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %s, want 400", bad, resp.Status)
		}
	}

	// The console links to the next pages.
	body, _, _ := getPage(t, srv.base, "/")
	for _, want := range []string{"Pending schedules (230)", "Older incidents →", "Later schedules →"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("console lacks %q", want)
		}
	}
}

type apiIncidentPage struct {
	ID        string    `json:"id"`
	UpdatedAt time.Time `json:"updated_at"`
}

func getJSONWithHeaders(t *testing.T, u string, v any) *http.Response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp
}

func uniq(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

// BenchmarkConsolePage times the console and the API pages with 2,000
// incidents and schedules stored.
func BenchmarkConsolePage(b *testing.B) {
	dir := b.TempDir()
	seed(b, dir, 2000)
	srv := startDev(b, dir).base
	for name, path := range map[string]string{"console": "/", "incidents": "/dev/api/incidents", "schedules": "/dev/api/schedules"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(srv + path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
