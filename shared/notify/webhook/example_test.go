package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/notify"
	"github.com/aftercare/aftercare/shared/notify/webhook"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
)

// The body a receiver gets for a negative answer, and how it verifies the
// signature with any Standard Webhooks library (here ours).
func ExampleNew() {
	const secret = "whsec_dGVzdC1zZWNyZXQtZm9yLW5vdGlmeS13ZWJob29rcyE="
	verifier, _ := stdwebhooks.NewVerifier(secret)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(r.Header, body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, body, "", "  ")
		fmt.Println(pretty.String())
	}))
	defer srv.Close()

	hook, err := webhook.New(srv.URL, secret, nil)
	if err != nil {
		panic(err)
	}
	err = hook.Notify(context.Background(), notify.Alert{
		Kind:         notify.KindNegativeAnswer,
		IncidentID:   "inc_7x2kq4mzt3rfwhvl",
		Provider:     "aftercare",
		Ref:          "BK-1042",
		IncidentKind: domain.KindBooking,
		Title:        "Sunset sailing",
		Status:       domain.StatusCompleted,
		Step:         "thanks#1",
		CustomerName: "María Pérez",
		Survey:       domain.SurveyCSAT,
		Score:        2,
		Comment:      "We waited 40 minutes & nobody called <!channel>",
		TimelineURL:  "https://aftercare.example.com/incidents/inc_7x2kq4mzt3rfwhvl",
		At:           time.Date(2026, 11, 21, 9, 14, 3, 0, time.UTC),
	})
	fmt.Println("error:", err)
	// Output:
	// {
	//   "type": "aftercare.alert.negative_answer",
	//   "timestamp": "2026-11-21T09:14:03Z",
	//   "data": {
	//     "kind": "negative_answer",
	//     "incident": {
	//       "id": "inc_7x2kq4mzt3rfwhvl",
	//       "provider": "aftercare",
	//       "ref": "BK-1042",
	//       "kind": "booking",
	//       "title": "Sunset sailing",
	//       "status": "completed",
	//       "timeline_url": "https://aftercare.example.com/incidents/inc_7x2kq4mzt3rfwhvl"
	//     },
	//     "step": "thanks#1",
	//     "customer": {
	//       "name": "María Pérez"
	//     },
	//     "answer": {
	//       "survey": "csat",
	//       "score": 2,
	//       "min": 1,
	//       "max": 5,
	//       "comment": "We waited 40 minutes & nobody called <!channel>"
	//     }
	//   },
	//   "text": ":warning: *Negative answer* from María Pérez — CSAT 2/5 · booking BK-1042 “Sunset sailing” · <https://aftercare.example.com/incidents/inc_7x2kq4mzt3rfwhvl|Open timeline>\n> We waited 40 minutes &amp; nobody called &lt;!channel&gt;"
	// }
	// error: <nil>
}
