// Command post-webhook signs a JSON body the way a Standard Webhooks sender
// does and POSTs it, so that a developer can drive a running Aftercare (the
// local runtime or a deployed stage) with the sample bodies in events/bodies:
//
//	go run ./infra/cmd/post-webhook events/bodies/aftercare-booking-completed.json
//	go run ./infra/cmd/post-webhook -url https://…/webhooks/aftercare -id msg_42 - < body.json
//
// The secret defaults to $AFTERCARE_WEBHOOK_SECRET, else to the public dev
// secret the local runtime also uses. It prints the response status and body
// and exits 1 on a non-2xx answer, so scripts can rely on it.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

func main() {
	client := &http.Client{Timeout: 30 * time.Second}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, client))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, client *http.Client) int {
	fs := flag.NewFlagSet("post-webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:3000/webhooks/aftercare", "endpoint to POST to")
	// No flag default: -h would print the secret from the environment.
	secret := fs.String("secret", "", "whsec_ signing secret (default: $AFTERCARE_WEBHOOK_SECRET, else the dev secret)")
	id := fs.String("id", "", "webhook-id; a retry must reuse it (default: random)")
	fresh := fs.Bool("now", false, "move the body's occurred_at to now, and its booking/ticket times with it (keeps old samples current)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: post-webhook [-url URL] [-secret whsec_…] [-id ID] [-now] FILE|-")
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
	if *secret == "" {
		*secret = defaultSecret()
	}
	if *id == "" {
		*id = randomID()
	}
	var at time.Time
	if *fresh {
		at = time.Now()
	}
	if err := post(client, *url, *secret, *id, fs.Arg(0), at, stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "post-webhook:", err)
		return 1
	}
	return 0
}

func defaultSecret() string {
	if s := os.Getenv("AFTERCARE_WEBHOOK_SECRET"); s != "" {
		return s
	}
	return stdwebhooks.DevSecret
}

// randomID makes a fresh id in the msg_ style of other senders.
func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "msg_" + hex.EncodeToString(b)
}

// post signs the body of file (or stdin for "-") at the current time and
// sends it, printing the answer; a non-2xx status is an error. A non-zero
// at moves the event to that time first (see shiftTimes).
func post(client *http.Client, url, secret, id, file string, at time.Time, stdin io.Reader, stdout io.Writer) error {
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
		if body, err = shiftTimes(body, at); err != nil {
			return err
		}
	}
	now := time.Now()
	sig, err := stdwebhooks.Sign(secret, id, now, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(stdwebhooks.HeaderID, id)
	req.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(stdwebhooks.HeaderSignature, sig)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	fmt.Fprintf(stdout, "%s %s (webhook-id %s)\n%s", resp.Proto, resp.Status, id, answer)
	if len(answer) > 0 && answer[len(answer)-1] != '\n' {
		fmt.Fprintln(stdout)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
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
