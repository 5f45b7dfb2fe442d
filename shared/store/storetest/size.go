package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Sizer is implemented by adapters that can tell how many bytes an
// incident takes as stored, so the suite can hold the domain's size
// budget against the real encoding (DynamoDB refuses items over 400 KB).
type Sizer interface {
	StoredSize(ctx context.Context, id string) (int, error)
}

func storedSize(t *testing.T, s Sizer, id string) int {
	t.Helper()
	n, err := s.StoredSize(t.Context(), id)
	if err != nil {
		t.Fatalf("StoredSize(%s): %v", id, err)
	}
	return n
}

// testSizeBounded drives 1,000 answer changes, comments and replies into
// one incident, the way a customer (or an attacker with a rating link and
// a reply address) could, and checks that the incident as stored stays
// within domain.MaxEncodedSize and still takes writes.
func testSizeBounded(t *testing.T, s store.Store) {
	sizer, ok := s.(Sizer)
	if !ok {
		t.Skip("adapter does not report stored sizes")
	}
	const id = "inc_size"
	p := domain.DefaultPolicy()
	p.Alerts = domain.Alerts{Email: true, Webhook: true}
	now := t0
	_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
		inc.ID, inc.Provider, inc.Ref, inc.Kind = id, "test", "T-1", domain.KindTicket
		inc.Status, inc.Cycle, inc.ResolvedAt = domain.StatusSolved, 1, now
		inc.Customer = domain.Customer{Email: "ana@example.com", Name: strings.Repeat("\"", 500)}
		inc.CreatedAt, inc.UpdatedAt = now, now
		if err := inc.Claim("csat-1", p.Lease(), now); err != nil {
			return err
		}
		inc.MarkSent("csat-1", "m-1", now)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Characters the JSON encoding escapes cost the most bytes.
	hostile := []string{strings.Repeat("<", domain.MaxComment), strings.Repeat("\"", domain.MaxComment), strings.Repeat("ñ", domain.MaxComment/2)}
	for i := range 1000 {
		now = now.Add(17 * time.Second)
		_, err := s.Update(t.Context(), id, func(inc *domain.Incident) error {
			prev, answered := inc.Answers["csat-1"]
			switch i % 3 {
			case 0: // the score flipped between 1 and 5
				if err := inc.RecordAnswer("csat-1", domain.SurveyCSAT, 1+4*(i/3%2), now); err != nil {
					return err
				}
			case 1: // a new comment, each different
				if !answered {
					return store.ErrUnchanged
				}
				c := fmt.Sprintf("%d %s", i, hostile[i%len(hostile)])
				if err := inc.RecordComment("csat-1", c, now); err != nil {
					return err
				}
			case 2: // a long reply
				inc.RecordReply("csat-1", fmt.Sprintf("%d %s", i, hostile[(i+1)%len(hostile)]), fmt.Sprintf("s3://in/%d", i), "", now)
				inc.Escalate(domain.Escalation{Cause: domain.CauseReply, Step: "csat-1", Text: hostile[i%len(hostile)]}, p.AlertInterval(), now)
				return nil
			}
			inc.Judge("csat-1", prev, answered, p, now)
			return nil
		})
		if err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		if i%100 == 99 {
			if size := storedSize(t, sizer, id); size >= domain.MaxEncodedSize {
				t.Fatalf("after %d changes the incident takes %d bytes, budget %d", i+1, size, domain.MaxEncodedSize)
			}
		}
	}
	size := storedSize(t, sizer, id)
	got := mustGet(t, s, id)
	t.Logf("after 1,000 changes: %d bytes stored, %d timeline entries (%d let go), %d escalations, %d steps",
		size, len(got.Timeline), got.TimelineDropped, len(got.Escalations), len(got.Steps))
	if got.TimelineDropped == 0 || len(got.Escalations) == 0 {
		t.Errorf("the drive did not exercise the bounds: %+v", got.Escalations)
	}
}
