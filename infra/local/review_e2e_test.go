package local_test

import (
	"bytes"
	"encoding/json"
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

// reviewE2EPolicy is the default policy (a thank-you with a CSAT survey
// the next day at 10:00) plus review invitations two days after the
// booking at 11:00, to the brand's Google page and the harbour's
// Tripadvisor page.
const reviewE2EPolicy = `{
  "quiet_hours": {"start": "21:00", "end": "09:00"},
  "rules": [{"kind": "booking", "status": ["completed"], "steps": [
    {"id": "thanks", "template": "thank_you", "survey": "csat", "days": 1, "at": "10:00"}]}],
  "review_invite": {"days": 2, "at": "11:00",
    "sites": [{"name": "Google", "url": "https://g.page/r/sea-breeze/review"}],
    "locations": {"Old Venetian Harbour, Chania": [{"name": "Tripadvisor", "url": "https://www.tripadvisor.com/UserReviewEdit-d123"}]}}
}`

// guestBooking is the sample completed booking of another guest.
func guestBooking(t *testing.T, endedAt time.Time, ref, name, email string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bookingCompleted(t, endedAt), &m); err != nil {
		t.Fatal(err)
	}
	c := m["customer"].(map[string]any)
	c["name"], c["email"] = name, email
	m["booking"].(map[string]any)["ref"] = ref
	out, _ := json.Marshal(m)
	return out
}

// emailOf reads the outbox message of one step of one incident.
func emailOf(t *testing.T, dataDir, step, incident string) *enmime.Envelope {
	t.Helper()
	emls, _ := filepath.Glob(filepath.Join(dataDir, "outbox", "*-"+step+"-"+incident+"*.eml"))
	if len(emls) != 1 {
		t.Fatalf("%d %s emails for %s, want 1", len(emls), step, incident)
	}
	raw, err := os.ReadFile(emls[0])
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestReviewInvitationSameForOneAndFive: two guests of the same tour; one
// rates it 1, the other 5, through the emailed links; two days later both
// get the review invitation, and the two are the same, byte for byte,
// apart from the signed tokens and the names. The review link's page
// records nothing when fetched; choosing a site records it on the timeline
// and redirects to that site's configured URL only.
func TestReviewInvitationSameForOneAndFive(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(reviewE2EPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startDev(t, dir, map[string]string{"AFTERCARE_POLICY": policy})
	now := time.Now().UTC()
	guests := []struct{ name, email, ref string }{
		{"María Pérez", "maria@example.com", "BK-LOW"},
		{"Jane O'Neil", "jane@example.com", "BK-HIGH"},
	}
	ids := make([]string, len(guests))
	for i, g := range guests {
		code, reply := srv.post("msg_review_"+g.ref, guestBooking(t, now.Add(-time.Hour), g.ref, g.name, g.email))
		if code != http.StatusAccepted {
			t.Fatalf("%s: %d %v", g.ref, code, reply)
		}
		ids[i] = reply["results"].([]any)[0].(map[string]any)["incident_id"].(string)
		// The decision is on the timeline from the completion's write on.
		inc := srv.incident(ids[i])
		if !strings.Contains(strings.Join(kinds(inc), " "), "review") {
			t.Fatalf("%s: no review decision with the completion: %v", g.ref, kinds(inc))
		}
	}

	// The thank-you goes the next day at 10:00 (at most 34 h after the
	// end); the invitation two days after at 11:00 (at least 35 h after).
	for _, f := range srv.runDue(now.Add(-time.Hour + 34*time.Hour + 30*time.Minute)) {
		if f.Error != "" || !strings.HasPrefix(f.Step, "thanks-") {
			t.Fatalf("fired %+v before the ratings", f)
		}
	}
	rating := regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/r/[A-Za-z0-9_\-.]+`)
	for i, score := range []int{1, 5} {
		links := rating.FindAllString(emailOf(t, dir, "thanks-1", ids[i]).Text, -1)
		if len(links) != 5 {
			t.Fatalf("%d rating links", len(links))
		}
		resp, err := http.PostForm(links[score-1], url.Values{"confirm": {"1"}})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("rating %d: %v %v", score, resp, err)
		}
		resp.Body.Close()
		if got := srv.incident(ids[i]).Answers["thanks-1"].Score; got != score {
			t.Fatalf("recorded %d, want %d", got, score)
		}
	}

	srv.runDue(now.Add(80 * time.Hour))
	token := regexp.MustCompile(`/(r|u|v)/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	var bodies []string
	var reviewLink string
	for i, g := range guests {
		env := emailOf(t, dir, "review-1", ids[i])
		all := env.GetHeader("Subject") + "\n" + env.HTML + "\n" + env.Text
		if strings.Contains(all, "/r/") || strings.Contains(strings.ToLower(all), "código") {
			t.Errorf("%s: the invitation carries a rating link or a code", g.ref)
		}
		for _, site := range []string{"Tripadvisor", "Google"} {
			if !strings.Contains(env.Text, site) {
				t.Errorf("%s: the invitation does not name %s", g.ref, site)
			}
		}
		norm := token.ReplaceAllString(all, "/$1/TOKEN")
		norm = strings.ReplaceAll(strings.ReplaceAll(norm, g.name, "NAME"), strings.ReplaceAll(g.name, "'", "&#39;"), "NAME")
		bodies = append(bodies, norm)
		if i == 0 {
			reviewLink = regexp.MustCompile(regexp.QuoteMeta(srv.base) + `/v/[A-Za-z0-9_\-.]+`).FindString(env.Text)
		}
	}
	if bodies[0] != bodies[1] {
		t.Fatalf("the invitations differ:\n--- rated 1\n%s\n--- rated 5\n%s", bodies[0], bodies[1])
	}

	// The review link: GET records nothing, the POST records and redirects.
	if reviewLink == "" {
		t.Fatal("no review link in the text part")
	}
	followedEntries := func() int {
		n := 0
		for _, e := range srv.incident(ids[0]).Timeline {
			if e.Kind == "review" && strings.HasPrefix(e.Detail, "review site followed") {
				n++
			}
		}
		return n
	}
	resp, err := http.Get(reviewLink)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("review page: %v %v", resp, err)
	}
	resp.Body.Close()
	if followedEntries() != 0 {
		t.Fatal("fetching the review page recorded a click")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.PostForm(reviewLink, url.Values{"site": {"0"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://www.tripadvisor.com/UserReviewEdit-d123" {
		t.Fatalf("POST site=0: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if followedEntries() != 1 {
		t.Fatal("the chosen site is not on the timeline once")
	}
	resp, err = noFollow.PostForm(reviewLink, url.Values{"site": {"7"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
		t.Fatalf("POST site=7: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
