package local_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// The local store keeps incidents as long as the DynamoDB TTL does, and
// applies AFTERCARE_RETENTION at start (and every few hours while running).
func TestRetention(t *testing.T) {
	if local.DefaultRetention != dynamo.DefaultRetention {
		t.Fatalf("local retention %s, DynamoDB's %s", local.DefaultRetention, dynamo.DefaultRetention)
	}
	dir := t.TempDir()
	env := map[string]string{"AFTERCARE_RETENTION": "2d"}
	srv := startDev(t, dir, env)
	// Three days ago, on the dev clock, a booking was cancelled (nothing
	// follows it, so nothing changes it since).
	now := time.Now()
	srv.rt.Clock.Set(now.Add(-72 * time.Hour))
	if _, err := srv.rt.Service().Ingest(context.Background(), domain.Event{
		ID: "evt-old", Provider: "aftercare", Type: domain.BookingCancelled, OccurredAt: now.Add(-73 * time.Hour), Ref: "BK-OLD",
		Customer: domain.Customer{Email: "maria@example.com"}, Title: "Kayak",
	}); err != nil {
		t.Fatal(err)
	}
	srv.rt.Clock.Set(now)
	newer := bytes.Replace(bookingCompleted(t, time.Now().Add(-time.Hour)), []byte(`"BK-1042"`), []byte(`"BK-2001"`), 1)
	if code, _ := srv.post("msg_new", newer); code != http.StatusAccepted {
		t.Fatalf("new booking: %d", code)
	}
	var before []apiIncident
	srv.getJSON("/dev/api/incidents", &before)
	srv.stop()

	srv = startDev(t, dir, env)
	var after []apiIncident
	srv.getJSON("/dev/api/incidents", &after)
	if len(before) != 2 || len(after) != 1 {
		t.Fatalf("incidents %d before the restart, %d after; want 2 and 1", len(before), len(after))
	}

	if _, err := local.ConfigFromEnv(func(k string) string {
		return map[string]string{"AFTERCARE_DATA": t.TempDir(), "AFTERCARE_RETENTION": "1h"}[k]
	}); err == nil {
		t.Error("a retention under a day was accepted")
	}
}
