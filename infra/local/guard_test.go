package local_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// devRequest is one request to the dev server, as a browser or a script
// would send it: host overrides the Host header, header adds the rest.
type devRequest struct {
	method, path string
	ctype, body  string
	host         string
	header       map[string]string
}

// send sends req without following redirects (the console's forms answer
// 303) and returns the response with its body read.
func (s *devServer) send(req devRequest) (*http.Response, string) {
	s.t.Helper()
	r, err := http.NewRequest(req.method, s.base+req.path, strings.NewReader(req.body))
	if err != nil {
		s.t.Fatal(err)
	}
	if req.ctype != "" {
		r.Header.Set("Content-Type", req.ctype)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if req.host != "" {
		r.Host = req.host
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, string(b)
}

// withSchedule starts the runtime with one booking whose follow-up is
// pending, and returns the schedule's name.
func withSchedule(t *testing.T) (*devServer, string) {
	t.Helper()
	srv := startDev(t, t.TempDir())
	if code, reply := srv.post("msg_guard_1", bookingCompleted(t, time.Now().Add(-time.Hour))); code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, reply)
	}
	var scheds []apiSchedule
	srv.getJSON("/dev/api/schedules", &scheds)
	if len(scheds) != 1 {
		t.Fatalf("schedules = %+v, want 1", scheds)
	}
	return srv, scheds[0].ID
}

// untouched fails the test unless the schedule is still pending, nothing
// went out and no reply was kept.
func untouched(t *testing.T, srv *devServer, schedule, what string) {
	t.Helper()
	var scheds []apiSchedule
	srv.getJSON("/dev/api/schedules", &scheds)
	if len(scheds) != 1 || scheds[0].ID != schedule {
		t.Errorf("%s: schedules = %+v, want %s still pending", what, scheds, schedule)
	}
	if emls, _ := filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml")); len(emls) != 0 {
		t.Errorf("%s: the outbox has %d message(s), want none", what, len(emls))
	}
	if files, _ := os.ReadDir(filepath.Join(srv.dataDir, "inbound")); len(files) != 0 {
		t.Errorf("%s: <data>/inbound has %d file(s), want none", what, len(files))
	}
}

const until = "2030-01-01T00:00:00Z"

// rawReply is a customer's reply, as a cross-site page could post it as
// text/plain (a "simple" request: no preflight).
const rawReply = "From: maria@example.com\r\nTo: care@seabreeze.example\r\nSubject: Re: thanks\r\n\r\nHello\r\n"

// statePosts are every state-changing dev route, each with a body that
// would do something if it got through.
func statePosts(schedule string) []devRequest {
	form := "application/x-www-form-urlencoded"
	return []devRequest{
		{method: "POST", path: "/dev/schedules/run-due", ctype: form, body: "until=" + url.QueryEscape("2030-01-01T00:00")},
		{method: "POST", path: "/dev/api/schedules/run-due?until=" + url.QueryEscape(until), ctype: form},
		{method: "POST", path: "/dev/schedules/" + url.PathEscape(schedule) + "/run", ctype: form},
		{method: "POST", path: "/dev/api/schedules/" + url.PathEscape(schedule) + "/run", ctype: "text/plain"},
		{method: "POST", path: "/dev/api/inbound", ctype: "text/plain", body: rawReply},
		{method: "POST", path: "/dev/inbound", ctype: form, body: "message=" + url.QueryEscape(rawReply)},
		{method: "POST", path: "/dev/preview/send", ctype: form, body: "template=thank_you&locale=de&to=victim%40example.com"},
	}
}

// TestCrossSitePostsRefused: a page on another site can make a browser
// post a form (or a text/plain fetch) to the dev server without any
// preflight; the dev routes that change state answer 403 and do nothing.
func TestCrossSitePostsRefused(t *testing.T) {
	srv, schedule := withSchedule(t)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost:3000"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"}, // a browser without Fetch Metadata
		{"Origin": "null"},                // a sandboxed frame or a data: URL
		{"Origin": strings.Replace(srv.base, "http:", "https:", 1)},
		{"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"},
	} {
		for _, req := range statePosts(schedule) {
			req.header = h
			resp, body := srv.send(req)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %v: %s %q, want 403", req.method, req.path, h, resp.Status, body)
			}
		}
	}
	untouched(t, srv, schedule, "after cross-site posts")
}

// TestCrossSiteRunDueFiresNothing is the form post found from outside.
func TestCrossSiteRunDueFiresNothing(t *testing.T) {
	srv, schedule := withSchedule(t)
	evil := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}
	for _, path := range []string{"/dev/schedules/run-due", "/dev/api/schedules/run-due?until=" + url.QueryEscape(until)} {
		resp, body := srv.send(devRequest{method: "POST", path: path, ctype: "application/x-www-form-urlencoded",
			body: "until=" + url.QueryEscape("2030-01-01T00:00"), header: evil})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s cross-site: %s %q, want 403", path, resp.Status, body)
		}
		if strings.Contains(body, "fired") {
			t.Errorf("POST %s cross-site answered %q", path, body)
		}
	}
	untouched(t, srv, schedule, "after cross-site run-due")
}

// TestCrossSiteInboundWritesNothing: a text/plain POST from another origin
// must not be kept as a reply.
func TestCrossSiteInboundWritesNothing(t *testing.T) {
	srv := startDev(t, t.TempDir())
	resp, body := srv.send(devRequest{method: "POST", path: "/dev/api/inbound", ctype: "text/plain", body: rawReply,
		header: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site inbound: %s %q, want 403", resp.Status, body)
	}
	if files, _ := os.ReadDir(filepath.Join(srv.dataDir, "inbound")); len(files) != 0 {
		t.Errorf("<data>/inbound has %d file(s) after a cross-site post, want none", len(files))
	}
}

// TestForeignHostMisdirected: DNS rebinding points a name the attacker
// controls at 127.0.0.1, making the dev server same-origin with the
// attacker's page; the browser then sends the attacker's name as Host. No
// dev route answers such a request, the public routes still do.
func TestForeignHostMisdirected(t *testing.T) {
	srv, schedule := withSchedule(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.base, "http://"), ":")
	for _, host := range []string{"attacker.example", "attacker.example:" + port, "127.0.0.1.nip.io:" + port, "localhost:1"} {
		for _, req := range []devRequest{
			{method: "GET", path: "/dev/api/incidents"},
			{method: "GET", path: "/dev/api/schedules"},
			{method: "GET", path: "/dev/api/outbox"},
			{method: "GET", path: "/"},
			{method: "POST", path: "/dev/api/schedules/run-due?until=" + url.QueryEscape(until)},
			// Rebound, the attacker's page is same-origin with its own name.
			{method: "POST", path: "/dev/schedules/run-due", ctype: "application/x-www-form-urlencoded",
				header: map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}},
		} {
			req.host = host
			resp, body := srv.send(req)
			if resp.StatusCode != http.StatusMisdirectedRequest {
				t.Errorf("%s %s with Host %q: %s, want 421", req.method, req.path, host, resp.Status)
			}
			if strings.Contains(body, "maria@example.com") || strings.Contains(body, schedule) {
				t.Errorf("%s %s with Host %q leaked data: %q", req.method, req.path, host, body)
			}
			if strings.Contains(body, "attacker") || strings.Contains(body, "nip.io") {
				t.Errorf("%s %s with Host %q echoes the Host: %q", req.method, req.path, host, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("421 Content-Type = %q, want text/plain", ct)
			}
		}
	}
	untouched(t, srv, schedule, "after foreign-Host requests")

	// The public routes are what AWS serves too, under any name.
	for _, path := range []string{"/healthz", "/assets/rating.js", "/r/not-a-token"} {
		resp, _ := srv.send(devRequest{method: "GET", path: path, host: "care.example.com"})
		if resp.StatusCode == http.StatusMisdirectedRequest {
			t.Errorf("GET %s with a public Host: 421; public routes are not restricted", path)
		}
	}
}

// TestOwnHostsAnswer: the listen address and the loopback names of its
// port all reach the dev routes.
func TestOwnHostsAnswer(t *testing.T) {
	srv := startDev(t, t.TempDir())
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.base, "http://"), ":")
	for _, host := range []string{"", "127.0.0.1:" + port, "localhost:" + port, "LocalHost:" + port, "[::1]:" + port} {
		resp, body := srv.send(devRequest{method: "GET", path: "/dev/api/incidents", host: host})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /dev/api/incidents with Host %q: %s %q, want 200", host, resp.Status, body)
		}
	}
}

// TestSameOriginAndScriptPostsWork: the console's own forms (a browser
// sends Origin and Sec-Fetch-Site) and scripts (curl sends neither) still
// change state.
func TestSameOriginAndScriptPostsWork(t *testing.T) {
	t.Run("console form", func(t *testing.T) {
		srv, _ := withSchedule(t)
		resp, body := srv.send(devRequest{method: "POST", path: "/dev/schedules/run-due", ctype: "application/x-www-form-urlencoded",
			body:   "until=" + url.QueryEscape("2030-01-01T00:00"),
			header: map[string]string{"Origin": srv.base, "Sec-Fetch-Site": "same-origin"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "Ran+1+due") {
			t.Fatalf("same-origin run-due: %s %q (Location %q), want 303 to the console", resp.Status, body, resp.Header.Get("Location"))
		}
		if emls, _ := filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml")); len(emls) != 1 {
			t.Errorf("outbox has %d message(s) after a same-origin run-due, want 1", len(emls))
		}
	})
	t.Run("console on localhost", func(t *testing.T) {
		srv, _ := withSchedule(t)
		host := "localhost:" + strings.Split(srv.base, ":")[2]
		resp, body := srv.send(devRequest{method: "POST", path: "/dev/api/schedules/run-due?until=" + url.QueryEscape(until),
			host: host, header: map[string]string{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "thanks-1") {
			t.Fatalf("same-origin run-due on %s: %s %q", host, resp.Status, body)
		}
	})
	t.Run("typed by the user", func(t *testing.T) {
		srv, _ := withSchedule(t)
		resp, body := srv.send(devRequest{method: "POST", path: "/dev/api/schedules/run-due?until=" + url.QueryEscape(until),
			header: map[string]string{"Sec-Fetch-Site": "none"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("Sec-Fetch-Site none: %s %q, want 200", resp.Status, body)
		}
	})
	t.Run("curl", func(t *testing.T) {
		srv, _ := withSchedule(t)
		if fired := srv.runDue(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)); len(fired) != 1 {
			t.Fatalf("curl-like run-due fired %+v, want 1", fired)
		}
		resp, body := srv.send(devRequest{method: "POST", path: "/dev/api/inbound", ctype: "message/rfc822", body: rawReply})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("curl-like inbound: %s %q, want 200", resp.Status, body)
		}
		if files, _ := os.ReadDir(filepath.Join(srv.dataDir, "inbound")); len(files) != 1 {
			t.Errorf("<data>/inbound has %d file(s), want the reply", len(files))
		}
	})
}

// TestPublicURLHost: behind a tunnel the console is reached under the
// public URL's name, and its forms post with that origin.
func TestPublicURLHost(t *testing.T) {
	srv := startDev(t, t.TempDir(), map[string]string{"AFTERCARE_PUBLIC_URL": "https://care.tunnel.example"})
	for _, host := range []string{"care.tunnel.example", "care.tunnel.example:443"} {
		resp, body := srv.send(devRequest{method: "GET", path: "/dev/api/incidents", host: host})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET with Host %q: %s %q, want 200", host, resp.Status, body)
		}
	}
	resp, body := srv.send(devRequest{method: "POST", path: "/dev/api/schedules/run-due", host: "care.tunnel.example",
		header: map[string]string{"Origin": "https://care.tunnel.example", "Sec-Fetch-Site": "same-origin"}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin POST through the tunnel: %s %q, want 200", resp.Status, body)
	}
	resp, _ = srv.send(devRequest{method: "POST", path: "/dev/api/schedules/run-due", host: "care.tunnel.example",
		header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST through the tunnel: %s, want 403", resp.Status)
	}
	if resp, _ := srv.send(devRequest{method: "GET", path: "/dev/api/incidents", host: "tunnel.example"}); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("GET with Host tunnel.example: %s, want 421", resp.Status)
	}
}

// TestDevPagesNotFramed: no other site may frame the console (clickjacking
// its Run buttons); only the console itself frames an email's HTML.
func TestDevPagesNotFramed(t *testing.T) {
	srv, _ := withSchedule(t)
	srv.runDue(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var box []struct {
		Name string `json:"name"`
	}
	srv.getJSON("/dev/api/outbox", &box)
	if len(box) != 1 {
		t.Fatalf("outbox = %+v, want 1 message", box)
	}
	for _, path := range []string{"/", "/dev/outbox/" + url.PathEscape(box[0].Name), "/dev/api/incidents", "/dev/api/schedules", "/dev/api/outbox"} {
		resp, body := srv.send(devRequest{method: "GET", path: path})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s %q", path, resp.Status, body)
			continue
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q, want frame-ancestors 'none'", path, csp)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); xfo != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q, want DENY", path, xfo)
		}
	}
	resp, body := srv.send(devRequest{method: "GET", path: "/dev/outbox/" + url.PathEscape(box[0].Name) + "/html"})
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/r/") {
		t.Fatalf("email HTML: %s %q", resp.Status, body)
	}
	if !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("email HTML: Content-Security-Policy %q, want a sandbox framed by the console only", csp)
	}
	if xfo := resp.Header.Get("X-Frame-Options"); xfo == "DENY" {
		t.Error("email HTML: X-Frame-Options DENY would blank the console's iframe")
	}
}
