package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// rating.js confirms a rating when a person opens the page (see the
// package documentation). Pages link it with its content hash, so it can
// be cached for a year and a new version is fetched at once.
//
//go:embed assets/rating.js
var ratingJS []byte

const ratingJSPath = "/assets/rating.js"

var (
	ratingJSVersion = func() string {
		sum := sha256.Sum256(ratingJS)
		return hex.EncodeToString(sum[:6])
	}()
	// ratingJSURL is relative to /r/{token}, so that it also works when
	// the public URL has a path prefix (an API Gateway stage).
	ratingJSURL = ".." + ratingJSPath + "?v=" + ratingJSVersion
)

// serveRatingJS serves the script, answering conditional requests. The
// versioned URL the pages use is immutable; any other is cached briefly.
func serveRatingJS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("ETag", `"`+ratingJSVersion+`"`)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.URL.Query().Get("v") == ratingJSVersion {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "rating.js", time.Time{}, bytes.NewReader(ratingJS))
}
