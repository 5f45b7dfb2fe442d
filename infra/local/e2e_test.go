package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// devServer is the local runtime, started the way `make dev` starts it,
// on a free port with its own data directory.
type devServer struct {
	t       testing.TB
	base    string
	dataDir string
	secret  string
	stop    func()
	rt      *local.Runtime
}

// startDev starts the local runtime as `make dev` does, on a free port with
// dataDir as its data directory; extra adds to (or overrides) its
// environment.
func startDev(t testing.TB, dataDir string, extra ...map[string]string) *devServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"AFTERCARE_DATA":       dataDir,
		"AFTERCARE_ADDR":       ln.Addr().String(),
		"AFTERCARE_PUBLIC_URL": base,
		"AFTERCARE_FROM":       "Sea Breeze Tours <care@seabreeze.example>",
	}
	for _, m := range extra {
		for k, v := range m {
			env[k] = v
		}
	}
	cfg, err := local.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	rt, err := local.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Serve(ctx, ln) }()
	s := &devServer{t: t, base: base, dataDir: dataDir, secret: cfg.WebhookSecrets[0], rt: rt}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := rt.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	t.Cleanup(s.stop)
	return s
}

// post signs body as a Standard Webhooks sender would and posts it.
func (s *devServer) post(id string, body []byte) (int, map[string]any) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(signedWebhook(s.t, s.base, s.secret, id, body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// signedWebhook is a native webhook request, signed as a Standard
// Webhooks sender signs it.
func signedWebhook(t testing.TB, base, secret, id string, body []byte) *http.Request {
	t.Helper()
	sig, err := stdwebhooks.Sign(secret, id, time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/aftercare", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", fmt.Sprint(time.Now().Unix()))
	req.Header.Set("webhook-signature", sig)
	return req
}

// firedSchedule is one schedule that run-due fired.
type firedSchedule struct {
	ID    string `json:"id"`
	Step  string `json:"step"`
	Error string `json:"error"`
}

// runDue runs, on the dev clock, every schedule due by until.
func (s *devServer) runDue(until time.Time) []firedSchedule {
	s.t.Helper()
	resp, err := http.Post(s.base+"/dev/api/schedules/run-due?until="+url.QueryEscape(until.UTC().Format(time.RFC3339)), "", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Fired []firedSchedule `json:"fired"`
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("run-due: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		s.t.Fatalf("run-due: %v", err)
	}
	return out.Fired
}

func (s *devServer) getJSON(path string, v any) {
	s.t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
}

type apiIncident struct {
	ID            string `json:"id"`
	Provider      string `json:"provider"`
	Ref           string `json:"ref"`
	Status        string `json:"status"`
	CustomerEmail string `json:"customer_email"`
	Answers       map[string]struct {
		Score   int    `json:"score"`
		Comment string `json:"comment"`
	} `json:"answers"`
	Timeline []struct {
		Kind   string `json:"kind"`
		Step   string `json:"step"`
		Detail string `json:"detail"`
	} `json:"timeline"`
}

type apiSchedule struct {
	ID         string    `json:"id"`
	IncidentID string    `json:"incident_id"`
	Step       string    `json:"step"`
	Due        time.Time `json:"due"`
}

func (s *devServer) incident(id string) apiIncident {
	s.t.Helper()
	var all []apiIncident
	s.getJSON("/dev/api/incidents", &all)
	for _, inc := range all {
		if inc.ID == id {
			return inc
		}
	}
	s.t.Fatalf("incident %s not listed", id)
	return apiIncident{}
}

// onlyEmail reads the one message in the outbox, as a mailbox would.
func (s *devServer) onlyEmail() *enmime.Envelope {
	s.t.Helper()
	emls, _ := filepath.Glob(filepath.Join(s.dataDir, "outbox", "*.eml"))
	if len(emls) != 1 {
		s.t.Fatalf("outbox has %d messages, want 1", len(emls))
	}
	raw, err := os.ReadFile(emls[0])
	if err != nil {
		s.t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		s.t.Fatal(err)
	}
	return env
}

func kinds(inc apiIncident) []string {
	var out []string
	for _, e := range inc.Timeline {
		out = append(out, e.Kind)
	}
	return out
}

// steps is the timeline as "kind step" lines ("event" alone when the entry
// has no step).
func steps(inc apiIncident) []string {
	var out []string
	for _, e := range inc.Timeline {
		out = append(out, strings.TrimSpace(e.Kind+" "+e.Step))
	}
	return out
}

func bookingCompleted(t *testing.T, endedAt time.Time) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "bodies", "aftercare-booking-completed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["occurred_at"] = endedAt.UTC().Format(time.RFC3339)
	booking := m["booking"].(map[string]any)
	booking["starts_at"] = endedAt.Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	booking["ends_at"] = endedAt.UTC().Format(time.RFC3339)
	out, _ := json.Marshal(m)
	return out
}

// TestFollowUpLoop is the product's promise, end to end on one machine: a
// booking webhook comes in, the follow-up is scheduled in the customer's
// time zone, the dev clock runs it, the email lands in the outbox as an
// .eml, the customer clicks a rating and comments, and the answer is on
// the incident's timeline.
func TestFollowUpLoop(t *testing.T) {
	srv := startDev(t, t.TempDir())
	body := bookingCompleted(t, time.Now().Add(-time.Hour))

	code, reply := srv.post("msg_e2e_1", body)
	if code != http.StatusAccepted || reply["status"] != "accepted" {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	results := reply["results"].([]any)
	id := results[0].(map[string]any)["incident_id"].(string)

	// The same delivery again is accepted and changes nothing.
	if code, reply := srv.post("msg_e2e_1", body); code != http.StatusAccepted || reply["results"].([]any)[0].(map[string]any)["outcome"] != "duplicate" {
		t.Fatalf("repeat: %d %v", code, reply)
	}

	var scheds []apiSchedule
	srv.getJSON("/dev/api/schedules", &scheds)
	if len(scheds) != 1 || scheds[0].IncidentID != id || scheds[0].Step != "thanks-1" {
		t.Fatalf("schedules = %+v", scheds)
	}
	due := scheds[0].Due
	// The default policy: the next day at 10:00 in the customer's zone.
	var customer struct {
		Customer struct {
			TimeZone string `json:"time_zone"`
		} `json:"customer"`
	}
	_ = json.Unmarshal(body, &customer)
	loc, _ := time.LoadLocation(customer.Customer.TimeZone)
	if got := due.In(loc).Format("15:04"); got != "10:00" {
		t.Errorf("due at %s local, want 10:00", got)
	}

	// Nothing fires before its time.
	if fired := srv.runDue(due.Add(-time.Minute)); len(fired) != 0 {
		t.Fatalf("fired early: %+v", fired)
	}
	if fired := srv.runDue(due); len(fired) != 1 || fired[0].Error != "" {
		t.Fatalf("run-due: %+v", fired)
	}

	// The email is an .eml in the outbox.
	env := srv.onlyEmail()
	if to := env.GetHeader("To"); !strings.Contains(to, "maria") && !strings.Contains(to, "@") {
		t.Errorf("To = %q", to)
	}
	if env.HTML == "" || env.Text == "" {
		t.Fatal("want both HTML and text parts")
	}
	links := regexp.MustCompile(regexp.QuoteMeta(srv.base)+`/r/[A-Za-z0-9_\-.]+`).FindAllString(env.Text, -1)
	if len(links) != 5 {
		t.Fatalf("want 5 rating links in the text part, found %d:\n%s", len(links), env.Text)
	}

	// A link scanner's HEAD records nothing.
	head, _ := http.NewRequest(http.MethodHead, links[3], nil)
	if resp, err := http.DefaultClient.Do(head); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	if inc := srv.incident(id); len(inc.Answers) != 0 {
		t.Fatalf("HEAD recorded an answer: %+v", inc.Answers)
	}

	// Opening the link (what a scanner that fetches links does, and the
	// customer's click before the page's script runs) records nothing: the
	// page asks to confirm the 4 (links are ordered 1..5).
	resp, err := http.Get(links[3])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `<form id="answer" method="post"`) || !strings.Contains(string(page), `data-confirm="auto"`) {
		t.Fatalf("rating page: %d\n%s", resp.StatusCode, page)
	}
	if !regexp.MustCompile(`<script src="[^"]*assets/rating\.js`).Match(page) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("the rating page must load rating.js under script-src 'self': CSP %q\n%s", resp.Header.Get("Content-Security-Policy"), page)
	}
	if inc := srv.incident(id); len(inc.Answers) != 0 || slices.Contains(kinds(inc), "answer") {
		t.Fatalf("GET recorded an answer: %+v %v", inc.Answers, kinds(inc))
	}

	// The page's script confirms it: a POST asking for JSON.
	confirm, _ := http.NewRequest(http.MethodPost, links[3], strings.NewReader("confirm=1"))
	confirm.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	confirm.Header.Set("Accept", "application/json")
	resp, err = http.DefaultClient.Do(confirm)
	if err != nil {
		t.Fatal(err)
	}
	var recorded struct {
		Status string `json:"status"`
		Score  int    `json:"score"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&recorded)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || recorded.Status != "recorded" || recorded.Score != 4 {
		t.Fatalf("confirm: %d %+v", resp.StatusCode, recorded)
	}
	if a := srv.incident(id).Answers["thanks-1"]; a.Score != 4 || a.Comment != "" {
		t.Fatalf("after the confirmation, answer = %+v", a)
	}

	// The customer leaves a comment on the thank-you page.
	resp, err = http.PostForm(links[3], url.Values{"confirm": {"1"}, "comment": {"Η βάρκα ήταν υπέροχη! <b>gracias</b>"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(string(page), "<b>gracias</b>") || !strings.Contains(string(page), `id="comment-saved"`) {
		t.Fatalf("comment page: %d (customer HTML must come back escaped)\n%s", resp.StatusCode, page)
	}

	inc := srv.incident(id)
	if inc.Provider != "aftercare" || inc.Status != "completed" || inc.CustomerEmail == "" {
		t.Errorf("incident = %+v", inc)
	}
	a := inc.Answers["thanks-1"]
	if a.Score != 4 || !strings.HasPrefix(a.Comment, "Η βάρκα") {
		t.Fatalf("answer = %+v", a)
	}
	// The timeline in order. What is scheduled follows from the plan and
	// costs no write, so it is not on the timeline; the schedules list
	// shows it (the reminder, planned after the send, went with the answer).
	want := []string{"event", "sent thanks-1", "answer thanks-1", "comment thanks-1"}
	if got := steps(inc); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("timeline = %v, want %v", got, want)
	}

	// Changing the score: the other link records nothing until posted, then replaces it.
	if resp, err := http.Get(links[1]); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("second click: %v %v", resp, err)
	}
	if a := srv.incident(id).Answers["thanks-1"]; a.Score != 4 {
		t.Fatalf("GET of another score changed the answer: %+v", a)
	}
	if resp, err := http.PostForm(links[1], url.Values{"confirm": {"1"}}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("second confirmation: %v %v", resp, err)
	}
	if a := srv.incident(id).Answers["thanks-1"]; a.Score != 2 || a.Comment == "" {
		t.Fatalf("changed answer = %+v", a)
	}

	// A tampered link gets a friendly 404 and stores nothing, posted or not.
	tampered := links[4][:len(links[4])-3] + "AAA"
	resp, err = http.Get(tampered)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(page), "<html") {
		t.Fatalf("tampered link: %d\n%s", resp.StatusCode, page)
	}
	if resp, err := http.PostForm(tampered, url.Values{"confirm": {"1"}}); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("tampered POST: %v %v", resp, err)
	}
	if a := srv.incident(id).Answers["thanks-1"]; a.Score != 2 {
		t.Fatalf("tampered link changed the answer: %+v", a)
	}

	// Fired once, the step is done: running everything again sends nothing.
	// (The low score may have sent the customer an acknowledgement.)
	sent := outboxSteps(t, srv.dataDir)
	srv.runDue(due.Add(48 * time.Hour))
	again := outboxSteps(t, srv.dataDir)
	thanks := 0
	for _, step := range again {
		if step == "thanks-1" {
			thanks++
		}
	}
	if !slices.Equal(again, sent) || thanks != 1 {
		t.Fatalf("outbox after a second run: %v, before it: %v (thanks-1 once)", again, sent)
	}
}

// outboxSteps lists the step of every .eml in the outbox, sorted.
func outboxSteps(t *testing.T, dataDir string) []string {
	t.Helper()
	emls, _ := filepath.Glob(filepath.Join(dataDir, "outbox", "*.eml"))
	var out []string
	for _, name := range emls {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		env, err := enmime.ReadEnvelope(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env.GetHeader("X-Aftercare-Step"))
	}
	slices.Sort(out)
	return out
}

// TestSchedulesSurviveRestart stops the runtime between the webhook and the
// due time: the schedule is still there and still sends.
func TestSchedulesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv := startDev(t, dir)
	if code, reply := srv.post("msg_restart", bookingCompleted(t, time.Now().Add(-time.Hour))); code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	srv.stop()

	srv = startDev(t, dir)
	var scheds []apiSchedule
	srv.getJSON("/dev/api/schedules", &scheds)
	if len(scheds) != 1 {
		t.Fatalf("after restart: %d schedules, want 1", len(scheds))
	}
	resp, err := http.Post(srv.base+"/dev/api/schedules/"+url.PathEscape(scheds[0].ID)+"/run", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("run now: %s", resp.Status)
	}
	if emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(emls) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(emls))
	}
}

// TestWebhookRejections checks every bad input gets a precise answer and
// stores nothing.
func TestWebhookRejections(t *testing.T) {
	srv := startDev(t, t.TempDir())
	good := bookingCompleted(t, time.Now().Add(-time.Hour))
	sign := func(id string, ts time.Time, body []byte) string {
		sig, err := stdwebhooks.Sign(srv.secret, id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	send := func(headers map[string]string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/webhooks/aftercare", bytes.NewReader(body))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	signed := func(id string, ts time.Time, body []byte) map[string]string {
		return map[string]string{
			"webhook-id": id, "webhook-timestamp": fmt.Sprint(ts.Unix()), "webhook-signature": sign(id, ts, body),
		}
	}
	now := time.Now()
	missingRef := bytes.Replace(good, []byte(`"ref":"BK-`), []byte(`"reference":"BK-`), 1)
	unknown := bytes.Replace(good, []byte(`"booking.completed"`), []byte(`"booking.exploded"`), 1)
	big := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 300<<10)...), []byte(`"}`)...)
	tests := []struct {
		name     string
		headers  map[string]string
		body     []byte
		code     int
		contains string
	}{
		{"no signature", map[string]string{}, good, 401, "webhook-"},
		{"wrong signature", map[string]string{"webhook-id": "m1", "webhook-timestamp": fmt.Sprint(now.Unix()), "webhook-signature": "v1,AAAA"}, good, 401, ""},
		{"stale timestamp", signed("m2", now.Add(-10*time.Minute), good), good, 401, ""},
		{"body over 256 KiB", signed("m3", now, big), big, 413, "256 KiB"},
		{"malformed JSON", signed("m4", now, []byte(`{"type":`)), []byte(`{"type":`), 400, ""},
		{"missing field", signed("m5", now, missingRef), missingRef, 400, "booking.ref"},
		{"unknown event type", signed("m6", now, unknown), unknown, 202, "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := send(tt.headers, tt.body)
			if code != tt.code || !strings.Contains(body, tt.contains) {
				t.Fatalf("got %d %s, want %d containing %q", code, body, tt.code, tt.contains)
			}
		})
	}
	var all []apiIncident
	srv.getJSON("/dev/api/incidents", &all)
	if len(all) != 0 {
		t.Fatalf("bad input stored %d incidents", len(all))
	}
	var scheds []apiSchedule
	srv.getJSON("/dev/api/schedules", &scheds)
	if len(scheds) != 0 {
		t.Fatalf("bad input scheduled %d", len(scheds))
	}
}
