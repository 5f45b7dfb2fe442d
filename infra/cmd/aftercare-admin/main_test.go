package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
)

// seed makes a data directory as `make dev` leaves it: one booking of
// maria@example.com whose thank-you went out (a file in the outbox).
func seed(t *testing.T) (dir string, open func() *local.Runtime) {
	t.Helper()
	dir = t.TempDir()
	open = func() *local.Runtime {
		cfg, err := local.ConfigFromEnv(func(k string) string {
			if k == "AFTERCARE_DATA" {
				return dir
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := local.Open(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rt
	}
	rt := open()
	defer rt.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	res, err := rt.Service().Ingest(ctx, domain.Event{
		ID: "evt-admin-1", Provider: "aftercare", Type: domain.BookingCompleted, OccurredAt: now.Add(-time.Minute), Ref: "BK-1",
		Customer: domain.Customer{Email: "maria@example.com", Name: "María", Locale: "es"}, Title: "Kayak",
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := rt.Service().Dispatch(ctx, fire(res.IncidentID)); err != nil || !r.Sent {
		t.Fatalf("dispatch: %+v %v", r, err)
	}
	return dir, open
}

func admin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExportEraseUnsubscribe(t *testing.T) {
	dir, open := seed(t)
	code, out, errOut := admin(t, "export", "-email", "Maria@Example.com", "-data", dir)
	var exp struct {
		Incidents []domain.Incident `json:"incidents"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &exp) != nil || len(exp.Incidents) != 1 {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if strings.Contains(errOut, "maria") {
		t.Errorf("the address reached the log: %s", errOut)
	}

	// While the runtime holds the data directory, the command says what to do.
	rt := open()
	code, _, errOut = admin(t, "erase", "-email", "maria@example.com", "-data", dir)
	rt.Close()
	if code != 1 || !strings.Contains(errOut, "make dev") {
		t.Fatalf("erase while running: %d %s", code, errOut)
	}

	code, out, errOut = admin(t, "erase", "-email", "maria@example.com", "-data", dir)
	if code != 0 || !strings.Contains(out, `"incidents": 1`) || !strings.Contains(out, `"sent": 1`) {
		t.Fatalf("erase: %d %s %s", code, out, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(left) != 0 {
		t.Errorf("outbox still holds %v", left)
	}
	rt = open()
	incs, err := rt.Service().Export(context.Background(), "maria@example.com")
	rt.Close()
	if err != nil || len(incs.Incidents) != 0 || incs.Contact.Email != "" || incs.Contact.Consent.State != domain.ConsentSuppressed {
		t.Fatalf("after the erase: %+v %v", incs, err)
	}

	code, out, _ = admin(t, "unsubscribe", "-email", "jose@example.es", "-data", dir)
	if code != 0 || !strings.Contains(out, `"consent": "unsubscribed"`) || strings.Contains(out, "jose") {
		t.Fatalf("unsubscribe: %d %s", code, out)
	}
}

func TestAdminBadInput(t *testing.T) {
	dir, _ := seed(t)
	for _, args := range [][]string{
		{},
		{"delete", "-email", "a@b.example"},
		{"export"},
		{"export", "-email", "not-an-address", "-data", dir},
	} {
		if code, _, errOut := admin(t, args...); code != 2 || !strings.Contains(errOut, "usage") {
			t.Errorf("%v: %d %s", args, code, errOut)
		}
	}
	if code, _, errOut := admin(t, "export", "-email", "nobody@example.com", "-data", dir); code != 1 || !strings.Contains(errOut, "nothing is held") {
		t.Errorf("a stranger: %d %s", code, errOut)
	}
	if code, _, errOut := admin(t, "export", "-email", "a@b.example", "-data", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(errOut, "data directory") {
		t.Errorf("a missing directory: %d %s", code, errOut)
	}
}

// fire is the thank-you's wake-up call, run ahead of time.
func fire(id string) schedule.Fire { return schedule.Fire{IncidentID: id, Step: "thanks-1"} }
