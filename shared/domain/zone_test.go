package domain

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoadZoneIsLoadLocation(t *testing.T) {
	for _, name := range []string{"", "UTC", "Local", "Europe/Madrid", "America/Argentina/ComodRivadavia",
		"Mars/Olympus", "../etc/passwd", "/etc/localtime", strings.Repeat("x", 300)} {
		want, wantErr := time.LoadLocation(name)
		for range 2 { // the second time from the cache, where cached
			got, err := LoadZone(name)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("LoadZone(%.20q) error = %v, time.LoadLocation's = %v", name, err, wantErr)
			}
			if err == nil && got.String() != want.String() {
				t.Fatalf("LoadZone(%.20q) = %v, want %v", name, got, want)
			}
		}
	}
	madrid, _ := LoadZone("Europe/Madrid")
	again, _ := LoadZone("Europe/Madrid")
	if madrid != again {
		t.Error("Europe/Madrid loaded twice, want it cached")
	}
}

// Made-up zone names, however many and however long, never grow the cache
// past its bounds, and never crowd out real zones.
func TestZoneCacheIsBounded(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := "Nowhere/" + strconv.Itoa(g) + "_" + strconv.Itoa(i)
				if _, err := LoadZone(name); err == nil {
					t.Errorf("LoadZone(%q) succeeded", name)
				}
				LoadZone(strings.Repeat("y", maxZoneName+1+i))
			}
		})
	}
	wg.Wait()
	entries, misses := 0, 0
	zoneCache.m.Range(func(k, v any) bool {
		entries++
		if len(k.(string)) > maxZoneName {
			t.Errorf("cached a %d-byte name", len(k.(string)))
		}
		if v.(*zoneEntry).err != nil {
			misses++
		}
		return true
	})
	if misses > maxMisses || entries > maxZones+maxMisses {
		t.Errorf("cache holds %d entries, %d misses; bounds %d, %d", entries, misses, maxZones, maxMisses)
	}
	if _, err := LoadZone("Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	if _, ok := zoneCache.m.Load("Asia/Tokyo"); !ok {
		t.Error("a real zone was not cached after the misses filled their room")
	}
}

func TestLocationFallsBackToUTC(t *testing.T) {
	for tz, want := range map[string]string{"": "UTC", "Mars/Olympus": "UTC", "Europe/Madrid": "Europe/Madrid"} {
		if got := (Customer{TimeZone: tz}).Location().String(); got != want {
			t.Errorf("Location(%q) = %s, want %s", tz, got, want)
		}
	}
}
