package local

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The dev console and its JSON API have no login: they trust whoever can
// reach the listen address, which is meant to be the developer alone. A
// browser on that machine, though, reaches it on behalf of any web page it
// shows, and that page can
//
//   - post a form, or a text/plain fetch, cross-site without a preflight:
//     run every due schedule (real mail with AFTERCARE_SMTP_ADDR), file a
//     reply. The answer is unreadable to the page; the harm is done.
//   - rebind DNS: point a name it controls at 127.0.0.1, so that its page
//     and the dev server share an origin and it may read every answer,
//     customers included. The browser then sends the page's name as Host.
//   - frame the console and trick a click on its Run buttons.
//
// guard stops all three on the dev routes (never on the public ones, which
// AWS serves too): a Host that is not one of our names is answered 421
// before anything runs; a state-changing request that a browser marks as
// cross-site, or whose Origin is not ours, is answered 403; every answer
// forbids framing. Requests with neither Origin nor Sec-Fetch-Site (curl,
// scripts, tests, infra/cmd/post-webhook) pass: browsers always send one
// of them on a cross-site POST.
type guard struct {
	// hosts are the Host values that name this runtime, as host|port with
	// the host lower case and unbracketed; port is "" for a Host without
	// one (the scheme's default port) and "*" for any port (listening on
	// port 0, whose number is not known yet).
	hosts map[string]bool
	// public is the public URL's origin (see canonicalOrigin), or "".
	public string
}

// newGuard computes the names of the runtime once, from its configuration:
// the listen address and the loopback names on its port, and the public
// URL's host (a tunnel forwarding to the laptop).
func newGuard(cfg Config) *guard {
	g := &guard{hosts: map[string]bool{}}
	if host, port, err := net.SplitHostPort(cfg.Addr); err == nil {
		names := []string{"localhost", "127.0.0.1", "::1"}
		// An unspecified address (":3000", "0.0.0.0:3000") listens on every
		// interface, but names none of them: only loopback names pass.
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			names = append(names, host)
		}
		if port == "0" {
			port = "*"
		}
		for _, n := range names {
			g.allow(n, port, "80")
		}
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		def := defaultPort(u.Scheme)
		port := u.Port()
		if port == "" {
			port = def
		}
		g.allow(u.Hostname(), port, def)
		g.public = canonicalOrigin(u.Scheme + "://" + u.Host)
	}
	return g
}

// allow adds host on port, and without a port when port is def, the
// scheme's default that a browser leaves out of Host.
func (g *guard) allow(host, port, def string) {
	host = strings.ToLower(host)
	g.hosts[host+"|"+port] = true
	if port == def && def != "" {
		g.hosts[host+"|"] = true
	}
}

// ownHost reports whether a request's Host header names this runtime.
func (g *guard) ownHost(hostHeader string) bool {
	host, port, err := net.SplitHostPort(hostHeader)
	if err != nil { // no port
		host, port = strings.TrimSuffix(strings.TrimPrefix(hostHeader, "["), "]"), ""
	}
	host = strings.ToLower(host)
	if host == "" {
		return false
	}
	return g.hosts[host+"|"+port] || (port != "" && g.hosts[host+"|*"])
}

// ownOrigin reports whether an Origin header is the runtime's own origin:
// the request's Host (already known to be ours) on the scheme it came in
// on, or the public URL's origin.
func (g *guard) ownOrigin(origin string, r *http.Request) bool {
	o := canonicalOrigin(origin)
	if o == "" { // "null" (a sandboxed frame, a data: URL) or malformed
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return o == canonicalOrigin(scheme+"://"+r.Host) || (g.public != "" && o == g.public)
}

// canonicalOrigin is an origin as scheme://host[:port], lower case,
// without the scheme's default port; "" when s is not an http(s) origin.
func canonicalOrigin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	def := defaultPort(scheme)
	if def == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && p != def {
		host += ":" + p
	}
	return scheme + "://" + host
}

func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// Content-Security-Policies of the dev routes. The console is plain HTML
// and inline CSS that frames only its own pages (an email's HTML) and
// posts forms only to itself; no one may frame it. An email's HTML is
// sandboxed (its scripts never run) and framed by the console alone.
// inboundRaw's raw replies are sandboxed text.
const (
	cspConsole = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	cspEmailFrame = "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; " +
		"frame-ancestors 'self'"
	cspRawText = "sandbox; default-src 'none'; frame-ancestors 'none'"
)

// Answers of the guard. They never repeat the request's Host or Origin:
// those are the attacker's words.
const (
	msgMisdirected = "421 misdirected request: this name does not serve the Aftercare dev console.\n" +
		"Open it at its listen address (http://localhost:<port>/), or set AFTERCARE_PUBLIC_URL to the name you use.\n"
	msgCrossSite = "403 forbidden: the dev console takes state-changing requests only from its own pages " +
		"(or from scripts that send no Origin).\n"
)

// wrap guards a dev route (see guard). Handlers that are framed by the
// console (outboxHTML) or sandboxed (inboundRaw) replace the CSP and, for
// the former, X-Frame-Options.
func (g *guard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", cspConsole)
		h.Set("X-Frame-Options", "DENY")
		if !g.ownHost(r.Host) {
			http.Error(w, msgMisdirected, http.StatusMisdirectedRequest)
			return
		}
		if !safeMethod(r.Method) && !g.sameOrigin(r) {
			http.Error(w, msgCrossSite, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether a state-changing request may come from where
// it says it comes from: Sec-Fetch-Site, when the browser sends it, is
// same-origin or none (typed by the user), and Origin, when sent, is ours.
func (g *guard) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default: // cross-site, same-site (a sibling subdomain), or unknown
		return false
	}
	origins := r.Header.Values("Origin")
	switch len(origins) {
	case 0:
		return true
	case 1:
		return g.ownOrigin(origins[0], r)
	}
	return false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
