package local_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"
)

// catalogFragments is every run of words of 12 characters or more in one
// language's catalogs, split at their placeholders.
func catalogFragments(t *testing.T, code string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join("..", "..", "shared", "i18n", "catalog", code, "*.json"))
	if len(names) == 0 {
		t.Fatalf("no %s catalog", code)
	}
	verb := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)
	var out []string
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(raw, &msgs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			for _, part := range verb.Split(m, -1) {
				if part = strings.TrimSpace(part); len(part) >= 12 {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// rawKeyRE finds a catalog key shown instead of its message (what a key
// missing from a language's catalog looks like) or printf's complaint
// about a message's arguments.
var rawKeyRE = regexp.MustCompile(`\b(date|weekday|month|email|thank_you|satisfaction|reminder|recovery|acknowledgement|team_alert|team_signin|team_message|ask|scale|score|reason|cause|kind|status|page)\.[a-z_0-9.]+|%!`)

// englishIn returns the English catalog sentences found in s (after
// undoing HTML escapes) that the language code does not share.
func englishIn(t *testing.T, code, s string) []string {
	t.Helper()
	own := map[string]bool{}
	for _, f := range catalogFragments(t, code) {
		own[f] = true
	}
	s = html.UnescapeString(s)
	var found []string
	for _, f := range catalogFragments(t, "en") {
		if !own[f] && strings.Contains(s, f) {
			found = append(found, f)
		}
	}
	return found
}

// parsedMail is one outbox message with both parts.
type parsedMail struct {
	step, subject, text, html, unsubscribe, lang string
}

// langRE finds the language an email's HTML declares.
var langRE = regexp.MustCompile(`<html lang="([a-z]+)"`)

// readEML parses one outbox file.
func readEML(t *testing.T, file string) parsedMail {
	t.Helper()
	r, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := parsedMail{step: env.GetHeader("X-Aftercare-Step"), subject: env.GetHeader("Subject"), text: env.Text, html: env.HTML}
	if u := regexp.MustCompile(`<(https?://[^>]+/u/[^>]+)>`).FindStringSubmatch(env.GetHeader("List-Unsubscribe")); u != nil {
		m.unsubscribe = u[1]
	}
	if l := langRE.FindStringSubmatch(env.HTML); l != nil {
		m.lang = l[1]
	}
	return m
}

func outboxMail(t *testing.T, dataDir, step string) (parsedMail, bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "outbox", "*.eml"))
	for _, f := range files {
		if m := readEML(t, f); m.step == step {
			return m, true
		}
	}
	return parsedMail{}, false
}

func fetch(t *testing.T, method, target string, form url.Values) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.PostForm(target, form)
	} else {
		resp, err = http.Get(target)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestGuestsInTheirLanguage is the promise for two new languages:
// a German and a French guest get the thank-you email, the rating page,
// the thank-you page, the acknowledgement and the unsubscribe pages in
// their language, with no English sentence anywhere.
func TestGuestsInTheirLanguage(t *testing.T) {
	for _, tc := range []struct {
		locale, code, name, title string
		// A phrase each step must show, in the guest's language.
		email, rating, thanks, ack, ackBody, unsub, unsubDone string
	}{
		{
			locale: "de-DE", code: "de", name: "Jürgen Weiß", title: "Segeltörn bei Sonnenuntergang",
			email: "Vielen Dank, dass Sie", rating: "Wie zufrieden waren Sie?", thanks: "Sie haben uns mit 1 von 5 bewertet.",
			ack: "Wir kümmern uns darum", ackBody: "Ihre Rückmeldung liest ein Mensch", unsub: "Abbestellen?", unsubDone: "Sie haben abbestellt",
		},
		{
			locale: "fr-FR", code: "fr", name: "Amélie Durand", title: "Balade en voilier au coucher du soleil",
			email: "Merci d’avoir participé", rating: "Dans quelle mesure avez-vous été satisfait", thanks: "Vous nous avez attribué la note de 1 sur 5.",
			ack: "Nous nous en occupons", ackBody: "Votre avis est lu par une vraie personne", unsub: "Se désabonner", unsubDone: "Vous êtes désabonné",
		},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv := startLoop(t, map[string]string{"AFTERCARE_TEAM_EMAIL": "desk@seabreeze.example"})
			ended := time.Now().Add(-2 * time.Hour).UTC()
			srv.webhook("msg_"+tc.code, map[string]any{
				"type": "booking.completed", "occurred_at": ended.Format(time.RFC3339),
				"customer": map[string]any{"email": "guest@example.com", "name": tc.name, "locale": tc.locale, "time_zone": "Europe/Berlin"},
				"booking": map[string]any{
					"ref": "BK-" + tc.code, "title": tc.title, "starts_at": ended.Add(-2 * time.Hour).Format(time.RFC3339),
					"ends_at": ended.Format(time.RFC3339), "location": "Chania",
				},
			})
			srv.runDue(time.Now().Add(48 * time.Hour))
			check := func(what, body, want string) {
				t.Helper()
				if !strings.Contains(html.UnescapeString(body), want) {
					t.Errorf("%s: want %q:\n%s", what, want, body)
				}
				if en := englishIn(t, tc.code, body); len(en) > 0 {
					t.Errorf("%s: English text %q", what, en)
				}
				if m := rawKeyRE.FindString(body); m != "" {
					t.Errorf("%s shows %q: a key missing from the %s catalog", what, m, tc.code)
				}
			}

			thanks, ok := outboxMail(t, srv.dataDir, "thanks-1")
			if !ok {
				t.Fatal("no thank-you email")
			}
			check("thank-you subject", thanks.subject, tc.name)
			check("thank-you text", thanks.text, tc.email)
			check("thank-you HTML", thanks.html, tc.email)
			if !strings.Contains(thanks.html, `lang="`+tc.code+`"`) {
				t.Errorf("thank-you HTML is not marked lang=%q", tc.code)
			}

			links := regexp.MustCompile(regexp.QuoteMeta(srv.base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(thanks.text, -1)
			if len(links) != 5 {
				t.Fatalf("want 5 rating links, got %d", len(links))
			}
			code, page := fetch(t, http.MethodGet, links[0], nil)
			if code != http.StatusOK {
				t.Fatalf("rating page: %d", code)
			}
			check("rating page", page, tc.rating)
			if !strings.Contains(page, `<html lang="`+tc.code+`">`) {
				t.Errorf("rating page is not lang=%q", tc.code)
			}

			code, page = fetch(t, http.MethodPost, links[0], url.Values{"confirm": {"1"}, "comment": {"…"}, "reasons": {"waiting"}})
			if code != http.StatusOK {
				t.Fatalf("thank-you page: %d", code)
			}
			check("thank-you page", page, tc.thanks)

			srv.runDue(time.Now().Add(72 * time.Hour))
			ack, ok := outboxMail(t, srv.dataDir, "ack-1")
			if !ok {
				t.Fatal("no acknowledgement email after a score of 1")
			}
			check("acknowledgement subject", ack.subject, tc.ack)
			check("acknowledgement text", ack.text, tc.title)
			check("acknowledgement HTML", ack.html, tc.ackBody)

			if thanks.unsubscribe == "" {
				t.Fatal("no List-Unsubscribe link")
			}
			code, page = fetch(t, http.MethodGet, thanks.unsubscribe, nil)
			if code != http.StatusOK {
				t.Fatalf("unsubscribe page: %d", code)
			}
			check("unsubscribe page", page, tc.unsub)
			code, page = fetch(t, http.MethodPost, thanks.unsubscribe, url.Values{"action": {"unsubscribe"}})
			if code != http.StatusOK {
				t.Fatalf("unsubscribed page: %d", code)
			}
			check("unsubscribed page", page, tc.unsubDone)
		})
	}
}
