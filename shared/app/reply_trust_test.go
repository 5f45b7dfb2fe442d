package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
)

// message builds a reply to the incident's reply address with the given
// extra headers and From.
func message(to, from, headers, subject, text string) []byte {
	return []byte(headers + "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n" +
		"Message-ID: <m@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n")
}

// Found from outside: a message to a valid reply address from
// mallory@evil.example was recorded and escalated as the customer's own
// words, with the customer as the team email's Reply-To.
func TestReplyFromAnotherSender(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	addr := l.addrs.For(id, "thanks-1")
	r, err := l.svc.Reply(context.Background(), message(addr, "Mallory <mallory@evil.example>", "", "Re: thanks", "1"), "inbound/m.eml")
	if err != nil || r.Outcome != app.ReplyForeign {
		t.Fatalf("reply: %+v %v", r, err)
	}
	inc := l.incident(id)
	if _, answered := inc.Answers["thanks-1"]; answered {
		t.Fatal("another sender's number answered the customer's survey")
	}
	i := slices.IndexFunc(inc.Timeline, func(e domain.Entry) bool { return e.Ref == "inbound/m.eml" })
	if i < 0 || inc.Timeline[i].Kind != domain.EntryForeignReply || !strings.Contains(inc.Timeline[i].From, "mallory@evil.example") {
		t.Fatalf("timeline: %+v", inc.Timeline)
	}
	if !inc.RepliedAt.IsZero() {
		t.Error("another sender's message counts as the customer's reply (it would cancel their reminder)")
	}
	// The team hears, with the real sender, and nobody's Reply-To.
	entries, err := l.outbox.List(0)
	if err != nil {
		t.Fatal(err)
	}
	var alert string
	for _, e := range entries {
		if strings.HasPrefix(e.Step, "alert-") {
			alert = e.Text
			if e.ReplyTo != "" {
				t.Errorf("team alert Reply-To = %q; want none for a message from another sender", e.ReplyTo)
			}
		}
	}
	if !strings.Contains(alert, "mallory@evil.example") || !strings.Contains(alert, "not the customer") {
		t.Errorf("team alert does not name the real sender:\n%s", alert)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hooks) != 1 || l.hooks[0]["type"] != "aftercare.alert."+domain.CauseForeignReply {
		t.Errorf("webhook = %v", l.hooks)
	}
}

// Automatic replies, by every common sign, are noted and never escalate;
// messages SES judged spoofed, spam or infected are dropped.
func TestAutomaticAndUntrustedReplies(t *testing.T) {
	l := newLoop(t)
	id := l.sent()
	addr := l.addrs.For(id, "thanks-1")
	customer := "Nikos <nikos@example.com>"
	automatic := map[string][]byte{
		"return-path":  message(addr, customer, "Return-Path: <>\r\n", "Re: thanks", "away"),
		"auto-subject": message(addr, customer, "", "Automatic reply: thanks", "away until Monday"),
		"rfc3834":      message(addr, customer, "Auto-Submitted: auto-replied\r\n", "Re: thanks", "away"),
		"x-autoreply":  message(addr, customer, "X-Autoreply: yes\r\n", "Re: thanks", "away"),
		"precedence":   message(addr, customer, "Precedence: auto_reply\r\n", "Re: thanks", "away"),
		"greek-ooo":    message(addr, customer, "", "Αυτόματη απάντηση: thanks", "εκτός γραφείου"),
	}
	for name, raw := range automatic {
		r, err := l.svc.Reply(context.Background(), raw, "inbound/"+name+".eml")
		if err != nil || r.Outcome != app.ReplyAutomatic {
			t.Errorf("%s: %+v %v", name, r, err)
		}
	}
	untrusted := map[string]string{
		"dmarc-fail": "Authentication-Results: amazonses.com;\r\n spf=fail (spfCheck: 1.2.3.4 is not allowed) smtp.mailfrom=nikos@example.com;\r\n dkim=fail header.i=@example.com;\r\n dmarc=fail header.from=example.com;\r\n",
		"spam":       "X-SES-Spam-Verdict: FAIL\r\nX-SES-Virus-Verdict: PASS\r\n",
		"virus":      "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\n",
	}
	for name, headers := range untrusted {
		r, err := l.svc.Reply(context.Background(), message(addr, customer, headers, "Re: thanks", "1"), "inbound/"+name+".eml")
		if err != nil || r.Outcome != app.ReplyDropped || r.IncidentID != "" {
			t.Errorf("%s: %+v %v", name, r, err)
		}
	}
	inc := l.incident(id)
	if inc.Attention != nil || len(inc.Escalations) != 0 || len(inc.Answers) != 0 {
		t.Fatalf("automatic or untrusted mail escalated or answered: attention %+v escalations %+v answers %+v", inc.Attention, inc.Escalations, inc.Answers)
	}
	var auto []string
	for _, e := range inc.Timeline {
		switch e.Kind {
		case domain.EntryAutoReply:
			auto = append(auto, e.Ref)
		case domain.EntryReply:
			t.Errorf("recorded as a reply: %+v", e)
		}
	}
	if len(auto) != len(automatic) {
		t.Errorf("automatic replies noted: %v, want %d", auto, len(automatic))
	}
	// A signed-in customer with SES's verdicts all passing is the customer.
	pass := "Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=nikos@example.com;\r\n dkim=pass header.i=@example.com;\r\n dmarc=pass header.from=example.com;\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
	r, err := l.svc.Reply(context.Background(), message(addr, customer, pass, "Re: thanks", "4"), "inbound/ok.eml")
	if err != nil || r.Outcome != app.ReplyAnswered {
		t.Fatalf("trusted reply: %+v %v", r, err)
	}
	if a := l.incident(id).Answers["thanks-1"]; a.Score != 4 {
		t.Fatalf("answer %+v", a)
	}
}
