package dynamo

import (
	"slices"
	"testing"
	"time"
)

// TestTimeFormatSorts checks that string order of TimeFormat is time order,
// which the listing index's sort key depends on.
func TestTimeFormatSorts(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	times := []time.Time{
		{}, // zero: incidents without UpdatedAt list last
		base,
		base.Add(1),
		base.Add(100 * time.Millisecond),
		base.Add(time.Second),
		base.In(time.FixedZone("EET", 2*3600)).Add(time.Hour),
		time.Date(2126, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var s []string
	for _, tm := range times {
		s = append(s, tm.UTC().Format(TimeFormat))
	}
	if !slices.IsSorted(s) {
		t.Errorf("not sorted: %q", s)
	}
	if len(s[0]) != len(s[len(s)-1]) || len(s[2]) != len(s[1]) {
		t.Errorf("not fixed width: %q", s)
	}
}
