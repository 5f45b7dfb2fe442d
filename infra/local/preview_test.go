package local_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/render"
)

// TestPreviewConsole: /dev/preview shows every template in every language
// in sandboxed frames, with the operator's copy overrides applied, and its
// form sends the chosen one through the runtime's mailer; a cross-site
// post is refused like every console form.
func TestPreviewConsole(t *testing.T) {
	dir := t.TempDir()
	copyFile := filepath.Join(dir, "copy.json")
	if err := os.WriteFile(copyFile, []byte(`{"de": {"thank_you.subject.name": "Danke für Ihren Aufenthalt, %s!"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startDev(t, filepath.Join(dir, "data"), map[string]string{"AFTERCARE_COPY": copyFile})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, page := get("/dev/preview")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %s", resp.Status)
	}
	for _, tpl := range render.Templates() {
		for _, code := range i18n.Codes() {
			if !strings.Contains(page, `src="/dev/preview/`+tpl+`/`+code+`"`) {
				t.Errorf("preview lacks %s in %s", tpl, code)
			}
		}
	}
	if n, want := strings.Count(page, `<iframe src="/dev/preview/`), len(render.Templates())*len(i18n.Codes()); n != want {
		t.Errorf("%d frames, want %d", n, want)
	}
	if strings.Count(page, `sandbox="`) < len(render.Templates())*len(i18n.Codes()) {
		t.Error("every frame must be sandboxed")
	}
	if !strings.Contains(page, "Danke für Ihren Aufenthalt, María Papadopoulou!") {
		t.Error("the copy override is not in the preview")
	}

	resp, page = get("/dev/preview?template=recovery&locale=pt")
	if resp.StatusCode != http.StatusOK || strings.Count(page, `<iframe src="/dev/preview/`) != 1 || !strings.Contains(page, "O problema ficou resolvido?") && !strings.Contains(page, "Ficou tudo resolvido") {
		t.Errorf("filtered preview: %s\n%s", resp.Status, page)
	}
	if resp, _ := get("/dev/preview?template=nope"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown template: %s", resp.Status)
	}

	resp, frame := get("/dev/preview/thank_you/it")
	if resp.StatusCode != http.StatusOK || !strings.Contains(frame, `lang="it"`) || !strings.Contains(frame, "Com’è stata la Sua esperienza?") {
		t.Errorf("frame: %s\n%s", resp.Status, frame)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
		t.Errorf("frame CSP = %q, want a sandbox", csp)
	}
	if resp, _ := get("/dev/preview/thank_you/xx"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown language frame: %s", resp.Status)
	}

	send := func(form url.Values, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/dev/preview/send", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	form := url.Values{"template": {"thank_you"}, "locale": {"de"}, "to": {"reviewer@example.org"}}
	if resp := send(form, "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site send: %s", resp.Status)
	}
	if emls, _ := filepath.Glob(filepath.Join(srv.dataDir, "outbox", "*.eml")); len(emls) != 0 {
		t.Fatalf("a refused send still sent %d", len(emls))
	}
	if resp := send(url.Values{"template": {"thank_you"}, "locale": {"de"}, "to": {"not an address"}}, srv.base); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad address: %s", resp.Status)
	}
	resp = send(form, srv.base)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/dev/preview?") {
		t.Fatalf("send: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	env := srv.onlyEmail()
	if to := env.GetHeader("To"); !strings.Contains(to, "reviewer@example.org") {
		t.Errorf("To = %q", to)
	}
	if subj := env.GetHeader("Subject"); subj != "Danke für Ihren Aufenthalt, María Papadopoulou!" {
		t.Errorf("Subject = %q", subj)
	}
	if env.GetHeader("X-Aftercare-Preview") != "thank_you-de" || !strings.Contains(env.Text, "Wie war es für Sie?") {
		t.Errorf("not the German thank-you preview: %q\n%s", env.GetHeader("X-Aftercare-Preview"), env.Text)
	}
}
