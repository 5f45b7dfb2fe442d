// Command post-webhook signs a JSON body the way its sender does and POSTs
// it, so that a developer can drive a running Aftercare (the local runtime
// or a deployed stage) with the sample bodies in events/bodies, in any
// provider's format, without a hand-made signature:
//
//	go run ./infra/cmd/post-webhook -now events/bodies/aftercare-booking-completed.json
//	go run ./infra/cmd/post-webhook -provider calcom -now events/bodies/calcom-booking-created.json
//	go run ./infra/cmd/post-webhook -url https://…/webhooks/aftercare -id msg_42 - < body.json
//
// -provider is aftercare (the native format, Standard Webhooks), calcom,
// calendly, zendesk or freshdesk; without it a file named after a provider
// (calcom-….json) is posted as that provider's, anything else as native.
// The URL defaults to the local runtime's, http://$AFTERCARE_ADDR
// (127.0.0.1:3000 when unset, as `make dev` listens), so a runtime moved to
// another port is followed rather than missed. The secret is read from the
// variable the runtime reads (AFTERCARE_WEBHOOK_SECRET, AFTERCARE_CALCOM_SECRET,
// …; the first of a rotating pair), else the dev default `make dev` uses
// (infra/local/devenv), so that the two match out of the box.
//
// It prints the response and exits 1 when the runtime cannot be reached,
// answers non-2xx, or answers 2xx with something that is not Aftercare's
// answer (another program on that port), so scripts can rely on it.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aftercare/aftercare/infra/local/devenv"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/providers/calcom"
	"github.com/aftercare/aftercare/shared/providers/calendly"
	"github.com/aftercare/aftercare/shared/providers/freshdesk"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/providers/zendesk"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

func main() {
	client := &http.Client{Timeout: 30 * time.Second}
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, client))
}

// EnvAddr is the local runtime's listen address, which the default URL
// follows.
const EnvAddr = "AFTERCARE_ADDR"

// DefaultAddr is the runtime's listen address when EnvAddr is unset.
const DefaultAddr = "127.0.0.1:3000"

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, client *http.Client) int {
	fs := flag.NewFlagSet("post-webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", "", "webhook format: "+strings.Join(providerNames(), ", ")+" (default: from the file name's prefix, else "+native.Name+")")
	url := fs.String("url", "", "endpoint to POST to (default: http://$"+EnvAddr+"/webhooks/PROVIDER, "+EnvAddr+" defaulting to "+DefaultAddr+")")
	// No flag default: -h would print the secret from the environment.
	secret := fs.String("secret", "", "signing secret or token (default: the runtime's variable for the provider, e.g. $AFTERCARE_WEBHOOK_SECRET, else the make dev default)")
	id := fs.String("id", "", "native webhook-id; a retry must reuse it (default: random)")
	fresh := fs.Bool("now", false, "move the body's times to now (native: occurred_at becomes now; others: the latest time becomes now), so old samples stay current")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: post-webhook [-provider NAME] [-url URL] [-secret S] [-id ID] [-now] FILE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	p, err := pickProvider(*provider, fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "post-webhook:", err)
		return 2
	}
	if *url == "" {
		*url = defaultURL(getenv, p.Name)
	}
	if *secret == "" {
		s, ok := devenv.Secret(getenv, p.Setting)
		if !ok {
			fmt.Fprintf(stderr, "post-webhook: %s is %q, so the runtime does not mount /webhooks/%s; set it, or pass -secret\n", p.Setting, devenv.Off, p.Name)
			return 2
		}
		*secret = s
	}
	if *id == "" {
		*id = randomID()
	}
	var at time.Time
	if *fresh {
		at = time.Now()
	}
	if err := post(client, p.Name, *url, *secret, *id, fs.Arg(0), at, stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "post-webhook:", err)
		return 1
	}
	return 0
}

func providerNames() []string {
	names := make([]string, 0, len(compose.Providers))
	for _, p := range compose.Providers {
		names = append(names, p.Name)
	}
	return names
}

// pickProvider finds the named provider in the registry; with no name, the
// one whose name prefixes the file's (calcom-booking-created.json), else the
// native format.
func pickProvider(name, file string) (compose.Provider, error) {
	if name == "" {
		base := filepath.Base(file)
		for _, p := range compose.Providers {
			if strings.HasPrefix(base, p.Name+"-") {
				return p, nil
			}
		}
		name = native.Name
	}
	i := slices.IndexFunc(compose.Providers, func(p compose.Provider) bool { return p.Name == name })
	if i < 0 {
		return compose.Provider{}, fmt.Errorf("unknown provider %q: want one of %s", name, strings.Join(providerNames(), ", "))
	}
	return compose.Providers[i], nil
}

// defaultURL is the provider's route on the local runtime, at the address
// it listens on. A wildcard host (":3001", "0.0.0.0:3001") listens on every
// interface, loopback included, so it is posted to on loopback.
func defaultURL(getenv func(string) string, provider string) string {
	addr := strings.TrimSpace(getenv(EnvAddr))
	if addr == "" {
		addr = DefaultAddr
	}
	if host, port, err := net.SplitHostPort(addr); err == nil {
		switch host {
		case "", "0.0.0.0":
			addr = net.JoinHostPort("127.0.0.1", port)
		case "::":
			addr = net.JoinHostPort("::1", port)
		}
	}
	return "http://" + addr + "/webhooks/" + provider
}

// randomID makes a fresh id in the msg_ style of other senders.
func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "msg_" + hex.EncodeToString(b)
}

// post signs the body of file (or stdin for "-") at the current time as
// provider's sender does and sends it, printing the answer. A non-zero at
// moves the event to that time first (see shiftTimes and shiftAll).
func post(client *http.Client, provider, url, secret, id, file string, at time.Time, stdin io.Reader, stdout io.Writer) error {
	var body []byte
	var err error
	if file == "-" {
		body, err = io.ReadAll(stdin)
	} else {
		body, err = os.ReadFile(file)
	}
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if !at.IsZero() {
		if provider == native.Name {
			body, err = shiftTimes(body, at)
		} else {
			body, err = shiftAll(body, at)
		}
		if err != nil {
			return err
		}
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sign(req.Header, provider, secret, id, time.Now(), body); err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach Aftercare (is `make dev` running? it listens on $%s, default %s; -url posts elsewhere): %w", EnvAddr, DefaultAddr, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read response from %s: %w", url, err)
	}
	label := "webhook-id " + id
	if provider != native.Name {
		label = provider
	}
	fmt.Fprintf(stdout, "%s %s (%s)\n%s", resp.Proto, resp.Status, label, answer)
	if len(answer) > 0 && answer[len(answer)-1] != '\n' {
		fmt.Fprintln(stdout)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	if !isAftercareAnswer(answer) {
		return fmt.Errorf("%s answered %s, but not as Aftercare does ({\"status\":\"accepted\"|\"ignored\",…}): is another program listening there?", url, resp.Status)
	}
	return nil
}

// isAftercareAnswer reports whether a 2xx body is the webhook route's: a
// JSON object whose status is accepted or ignored.
func isAftercareAnswer(b []byte) bool {
	var a struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(b, &a) == nil && (a.Status == "accepted" || a.Status == "ignored")
}

// sign sets the headers provider's sender sets at now, as each provider's
// package verifies them (shared/providers/*): Standard Webhooks for the
// native format, an HMAC of the body for Cal.com, of "t.body" for
// Calendly, of "timestamp+body" for Zendesk, and a bearer token for
// Freshdesk, which signs nothing.
func sign(h http.Header, provider, secret, id string, now time.Time, body []byte) error {
	mac := func(parts ...string) []byte {
		m := hmac.New(sha256.New, []byte(secret))
		for _, p := range parts {
			io.WriteString(m, p)
		}
		return m.Sum(nil)
	}
	switch provider {
	case native.Name:
		sig, err := stdwebhooks.Sign(secret, id, now, body)
		if err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		h.Set(stdwebhooks.HeaderID, id)
		h.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(stdwebhooks.HeaderSignature, sig)
	case calcom.Name:
		h.Set(calcom.HeaderSignature, hex.EncodeToString(mac(string(body))))
	case calendly.Name:
		t := strconv.FormatInt(now.Unix(), 10)
		h.Set(calendly.HeaderSignature, "t="+t+",v1="+hex.EncodeToString(mac(t, ".", string(body))))
	case zendesk.Name:
		ts := now.UTC().Format(time.RFC3339)
		h.Set(zendesk.HeaderTimestamp, ts)
		h.Set(zendesk.HeaderSignature, base64.StdEncoding.EncodeToString(mac(ts, string(body))))
	case freshdesk.Name:
		h.Set(freshdesk.HeaderToken, secret)
	default:
		return fmt.Errorf("no signer for provider %q", provider)
	}
	return nil
}

// shiftTimes moves a native event to at: occurred_at becomes at, and the
// booking's or ticket's starts_at and ends_at move by the same amount, so a
// sample written long ago is planned as if it had just happened.
func shiftTimes(body []byte, at time.Time) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("-now needs a JSON object body: %w", err)
	}
	occurred, _ := m["occurred_at"].(string)
	t, err := time.Parse(time.RFC3339, occurred)
	if err != nil {
		return nil, fmt.Errorf("-now needs an RFC 3339 occurred_at: %w", err)
	}
	delta := at.Sub(t)
	m["occurred_at"] = at.UTC().Format(time.RFC3339)
	for _, kind := range []string{"booking", "ticket"} {
		obj, _ := m[kind].(map[string]any)
		for _, key := range []string{"starts_at", "ends_at"} {
			if v, ok := obj[key].(string); ok {
				if t, err := time.Parse(time.RFC3339, v); err == nil {
					obj[key] = t.Add(delta).UTC().Format(time.RFC3339)
				}
			}
		}
	}
	return json.MarshalIndent(m, "", "  ")
}

// minuteLayout is Zendesk's {{ticket.updated_at_with_timestamp}}, RFC 3339
// without seconds; it is written back as it was read.
const minuteLayout = "2006-01-02T15:04Z07:00"

// shiftAll moves every timestamp in a provider's body by the same amount,
// so that the latest becomes at: a booking that has just ended, a ticket
// just solved, with their other times (created, started) as long before as
// in the sample. Each provider names its times differently; this needs
// none of their names. A body without times is returned as it is.
func shiftAll(body []byte, at time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // ids stay as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("-now needs a JSON body: %w", err)
	}
	var latest time.Time
	walkStrings(v, func(s string) string {
		if t, _, ok := parseStamp(s); ok && t.After(latest) {
			latest = t
		}
		return s
	})
	if latest.IsZero() {
		return body, nil
	}
	delta := at.Truncate(time.Second).Sub(latest)
	v = walkStrings(v, func(s string) string {
		t, layout, ok := parseStamp(s)
		if !ok {
			return s
		}
		return t.Add(delta).UTC().Format(layout)
	})
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("-now: %w", err)
	}
	return out.Bytes(), nil
}

// parseStamp reads a timestamp as the providers write them, with the
// layout to write it back in.
func parseStamp(s string) (time.Time, string, bool) {
	if t, err := time.Parse(minuteLayout, s); err == nil {
		return t, minuteLayout, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, time.RFC3339Nano, true
	}
	return time.Time{}, "", false
}

// walkStrings replaces every string value in a decoded JSON value by f's
// answer, keys untouched.
func walkStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		for k, e := range x {
			x[k] = walkStrings(e, f)
		}
	case []any:
		for i, e := range x {
			x[i] = walkStrings(e, f)
		}
	}
	return v
}
