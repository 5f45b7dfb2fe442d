package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// TestPageWalksMonths pages through incidents written over several months
// with every page size: each comes exactly once, in List's order (month of
// the write, then UpdatedAt to the hour), a page resumes in its cursor's
// month, and the last page ends with the empty cursor.
func TestPageWalksMonths(t *testing.T) {
	now := time.Now().UTC()
	f := &fakeIndex{t: t, pageSize: 2}
	var want []string
	for i := range 12 {
		f.add(fmt.Sprintf("inc_now_%02d", i), now.Add(-time.Duration(i)*time.Hour), now)
		want = append(want, fmt.Sprintf("inc_now_%02d", i))
	}
	for months := 2; months <= 4; months++ {
		written := monthOf(now).AddDate(0, -months, 3)
		for i := range 3 {
			id := fmt.Sprintf("inc_m%d_%d", months, i)
			f.add(id, written.Add(-time.Duration(i)*time.Hour), written)
			want = append(want, id)
		}
	}
	s := NewWithConfig(API{Query: f.Query, BatchGetItem: f.BatchGetItem}, Config{Table: "t"})
	for _, limit := range []int{1, 2, 5, 7, 21, 50} {
		var got []string
		var cur store.Cursor
		for pages := 0; ; pages++ {
			if pages > len(want)+1 {
				t.Fatalf("limit %d: no end", limit)
			}
			f.queried = nil
			page, next, err := s.Page(t.Context(), cur, limit)
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			if cur != "" && len(f.queried) > 0 {
				month, _, _ := parsePageCursor(cur)
				if first := f.queried[0][:len("L#yyyy-mm")]; first != ListKeyPrefix+month.Format(listMonthFormat) {
					t.Errorf("limit %d: a page from %q began at %s, not in its month", limit, cur, first)
				}
			}
			for _, inc := range page {
				got = append(got, inc.ID)
			}
			if next == "" {
				break
			}
			if len(page) != limit {
				t.Fatalf("limit %d: a short page (%d) with a next cursor", limit, len(page))
			}
			cur = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: paged\n%v\nwant\n%v", limit, got, want)
		}
	}
	for _, bad := range []store.Cursor{"%%%", store.Cursor(strings.Repeat("A", 8)), pageCursor(now, "")} {
		if _, _, err := s.Page(t.Context(), bad, 5); err == nil {
			t.Errorf("Page(%q) succeeded", bad)
		}
	}
}

// The attention index is sparse: only a queued incident's item carries its
// keys, so handling or clearing the attention drops the entry.
func TestAttentionIndexSparse(t *testing.T) {
	since := time.Date(2025, 6, 1, 9, 0, 0, 5, time.FixedZone("EEST", 3*3600))
	for _, tc := range []struct {
		name string
		att  *domain.Attention
		team *domain.Handling
		want string
	}{
		{"calm", nil, nil, ""},
		{"queued", &domain.Attention{Since: since}, nil, "2025-06-01T06:00:00.000000005Z#inc_x"},
		{"handled", &domain.Attention{Since: since}, &domain.Handling{Handled: []domain.HandledEpisode{{At: since.Add(time.Hour)}}}, ""},
	} {
		item, err := encodeItem(domain.Incident{ID: "inc_x", Attention: tc.att, Team: tc.team}, since)
		if err != nil {
			t.Fatal(err)
		}
		pk, hasPK := item[GSI2PartitionKey].(*types.AttributeValueMemberS)
		sk, _ := item[GSI2SortKey].(*types.AttributeValueMemberS)
		switch {
		case tc.want == "" && (hasPK || sk != nil):
			t.Errorf("%s: item carries the attention index keys", tc.name)
		case tc.want != "" && (!hasPK || pk.Value != AttentionPartition || sk == nil || sk.Value != tc.want):
			t.Errorf("%s: index keys %v %v, want %s %s", tc.name, item[GSI2PartitionKey], item[GSI2SortKey], AttentionPartition, tc.want)
		}
	}
}

// A cancelled AddCounts transaction is read from its reasons, or from the
// message when the reasons are missing.
func TestTransactionOutcome(t *testing.T) {
	reasons := func(codes ...string) error {
		e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]")}
		for _, c := range codes {
			e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
		}
		return e
	}
	bare := func(codes ...string) error {
		return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]")}
	}
	for _, tc := range []struct {
		name           string
		err            error
		applied, retry bool
	}{
		{"marker exists", reasons("ConditionalCheckFailed", "None"), true, false},
		{"marker exists, message only", bare("ConditionalCheckFailed", "None", "None"), true, false},
		{"conflict", reasons("None", "TransactionConflict"), false, true},
		{"throttled, message only", bare("None", "ThrottlingError"), false, true},
		{"invalid", reasons("None", "ValidationError"), false, false},
		{"in progress", fmt.Errorf("wrapped: %w", &types.TransactionInProgressException{}), false, true},
		{"other", errors.New("network"), false, false},
	} {
		applied, retry := transactionOutcome(tc.err)
		if applied != tc.applied || retry != tc.retry {
			t.Errorf("%s: applied %v retry %v, want %v %v", tc.name, applied, retry, tc.applied, tc.retry)
		}
	}
}

// BenchmarkPageLatency pages a young table (ten incidents, this month) as
// on AWS, where each Query takes milliseconds of network rather than CPU:
// a page that is short must learn that no earlier month holds more, and
// reads the retention's months four at a time to do so.
func BenchmarkPageLatency(b *testing.B) {
	now := time.Now().UTC()
	f := &fakeIndex{t: &testing.T{}, pageSize: 100}
	for i := range 10 {
		f.add(fmt.Sprintf("inc_%02d", i), now.Add(-time.Duration(i)*time.Hour), now)
	}
	const rtt = 5 * time.Millisecond
	var queries atomic.Int64
	slow := func(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
		queries.Add(1)
		time.Sleep(rtt)
		return f.Query(ctx, in, o...)
	}
	s := NewWithConfig(API{Query: slow, BatchGetItem: f.BatchGetItem}, Config{Table: "t"})
	for b.Loop() {
		if page, next, err := s.Page(b.Context(), "", 25); err != nil || len(page) != 10 || next != "" {
			b.Fatal(len(page), next, err)
		}
	}
	b.ReportMetric(float64(queries.Load())/float64(b.N), "queries/op")
}
