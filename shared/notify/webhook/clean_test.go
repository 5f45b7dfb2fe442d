package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/notify/webhook"
)

// spoof holds every character domain.CleanText removes.
const spoof = "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C\x00\x1b\x7f\u0085\u009b"

// TestBidiControlsReachNeitherTextNorData: a customer named
// "Eve\u202Egpj.exe" must not display as someone else in the team's
// channel, nor in whatever reads the JSON.
func TestBidiControlsReachNeitherTextNorData(t *testing.T) {
	for _, kind := range []notify.Kind{notify.KindNegativeAnswer, notify.KindReply} {
		a := sample()
		a.Kind = kind
		a.CustomerName = "Eve\u202Egpj.exe" + spoof
		a.CustomerEmail = "maria@example.com\u200E"
		a.Title = "Sunset" + spoof + " sailing"
		a.Ref = "BK-" + spoof + "1042"
		a.Comment = "late\u2067 boat\n" + spoof + "second line"
		if kind == notify.KindReply {
			a.Survey, a.Score, a.Comment = domain.SurveyNone, 0, ""
			a.Reply = "thanks\u202E\r\nbye" + spoof
		}
		recv := newReceiver(t, ok)
		if err := newWebhook(t, recv.URL, "", webhook.WithCustomerEmail()).Notify(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		body := recv.deliveries()[0].body
		var strs []string
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				strs = append(strs, v)
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var m any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		walk(m)
		for _, s := range strs {
			if i := strings.IndexAny(s, spoof); i >= 0 {
				t.Errorf("%s: %q keeps %U", kind, s, []rune(s[i:])[0])
			}
		}
		text := m.(map[string]any)["text"].(string)
		if !strings.Contains(text, "from Evegpj.exe") {
			t.Errorf("%s: text = %q", kind, text)
		}
		data := m.(map[string]any)["data"].(map[string]any)
		if kind == notify.KindNegativeAnswer && data["answer"].(map[string]any)["comment"] != "late boat\nsecond line" {
			t.Errorf("comment = %q; line breaks must stay", data["answer"].(map[string]any)["comment"])
		}
	}
}
