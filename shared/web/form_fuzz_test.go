package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzRatingForm posts arbitrary bodies and content types to the rating
// form's reader, as POST /r/{token} does: bounded body, urlencoded or
// multipart parse, then feedback. It must not panic, and what it passes on
// is bounded: a comment no longer than the body, a few short, trimmed,
// distinct reason codes.
func FuzzRatingForm(f *testing.F) {
	const mp = "multipart/form-data; boundary=xYzZY"
	for ct, body := range map[string]string{
		"application/x-www-form-urlencoded": "confirm=1&comment=The+boat+was+late&reasons=waiting&reasons=staff&reasons_offered=1",
		"":                                  "comment=%ZZ&reasons=%00",
		"text/plain":                        "comment=x",
		mp: "--xYzZY\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhi\r\n--xYzZY\r\n" +
			"Content-Disposition: form-data; name=\"reasons\"\r\n\r\nwaiting\r\n--xYzZY\r\n" +
			"Content-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nfile\r\n--xYzZY--\r\n",
		"multipart/form-data": "--\r\n",
	} {
		f.Add(ct, []byte(body))
	}
	f.Add("application/x-www-form-urlencoded", []byte("comment="+strings.Repeat("%E2%80%AE", 8000)))
	f.Add("application/x-www-form-urlencoded", []byte(strings.Repeat("reasons=r&", 50)+"reasons=s"))
	many := "reasons_offered=1"
	for i := range 2000 {
		many += "&reasons=r" + strconv.Itoa(i)
	}
	f.Add("application/x-www-form-urlencoded", []byte(many))
	f.Add("application/x-www-form-urlencoded", []byte("reasons="+strings.Repeat("a", 100)))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/r/tok", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxForm)
		err := parseForm(r)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			return
		}
		fb := feedback(r.PostForm)
		if fb.Comment != nil && len(*fb.Comment) > maxForm {
			t.Fatalf("comment of %d bytes from a body bounded to %d", len(*fb.Comment), maxForm)
		}
		if len(fb.Reasons) > maxFormReasons {
			t.Fatalf("%d reasons passed on", len(fb.Reasons))
		}
		seen := map[string]bool{}
		for _, c := range fb.Reasons {
			if c == "" || c != strings.TrimSpace(c) || len(c) > maxReasonLen || seen[c] {
				t.Fatalf("reason %q (%d bytes) passed on, after %q", c, len(c), fb.Reasons)
			}
			seen[c] = true
		}
	})
}
