package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/render"
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

// preview writes every template in every language, with the operator's
// copy, refuses a template or language that does not exist, and -send
// mails the chosen ones through the local outbox.
func TestPreview(t *testing.T) {
	dir := t.TempDir()
	copyFile := filepath.Join(dir, "copy.json")
	if err := os.WriteFile(copyFile, []byte(`{"it": {"reminder.ask": "Com’è andato il soggiorno? Basta un clic:"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AFTERCARE_COPY": copyFile, "AFTERCARE_BRAND_NAME": "Hotel Aurora"}
	adminEnv := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	out := filepath.Join(dir, "preview")
	code, stdout, stderr := adminEnv("preview", "-out", out)
	if code != 0 {
		t.Fatalf("preview: %d %s", code, stderr)
	}
	want := len(render.Templates()) * len(i18n.Codes())
	if !strings.Contains(stdout, fmt.Sprintf("wrote %d emails", want)) {
		t.Errorf("stdout: %s", stdout)
	}
	htmls, _ := filepath.Glob(filepath.Join(out, "*.*.html"))
	txts, _ := filepath.Glob(filepath.Join(out, "*.txt"))
	if len(htmls) != want || len(txts) != want {
		t.Errorf("%d HTML and %d text files, want %d each", len(htmls), len(txts), want)
	}
	txt, err := os.ReadFile(filepath.Join(out, "reminder.it.txt"))
	if err != nil || !strings.Contains(string(txt), "Com’è andato il soggiorno?") || !strings.Contains(string(txt), "Il team di Hotel Aurora") {
		t.Errorf("reminder.it.txt (copy and brand): %v\n%s", err, txt)
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Error(err)
	}

	if code, _, stderr := adminEnv("preview", "-template", "thankyou", "-out", out); code != 2 || !strings.Contains(stderr, "thank_you") {
		t.Errorf("unknown template: %d %s", code, stderr)
	}
	if code, _, stderr := adminEnv("preview", "-locale", "nl", "-out", out); code != 2 || !strings.Contains(stderr, `no language "nl"`) {
		t.Errorf("unknown language: %d %s", code, stderr)
	}
	env["AFTERCARE_COPY"] = filepath.Join(dir, "bad.json")
	if err := os.WriteFile(env["AFTERCARE_COPY"], []byte(`{"it": {"reminder.asks": "x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := adminEnv("preview", "-out", out); code != 1 || !strings.Contains(stderr, `it: "reminder.asks": no such key`) {
		t.Errorf("bad copy: %d %s", code, stderr)
	}
	delete(env, "AFTERCARE_COPY")

	data, _ := seed(t)
	code, stdout, stderr = adminEnv("preview", "-template", "acknowledgement", "-locale", "pt", "-send", "me@example.org", "-data", data)
	if code != 0 || !strings.Contains(stdout, "sent acknowledgement.pt: Estamos a tratar do assunto") {
		t.Fatalf("send: %d %s %s", code, stdout, stderr)
	}
	emls, _ := filepath.Glob(filepath.Join(data, "outbox", "*.eml"))
	found := false
	for _, name := range emls {
		raw, _ := os.ReadFile(name)
		found = found || strings.Contains(string(raw), "X-Aftercare-Preview: acknowledgement-pt")
	}
	if !found {
		t.Errorf("no preview in the outbox among %d messages", len(emls))
	}
}
