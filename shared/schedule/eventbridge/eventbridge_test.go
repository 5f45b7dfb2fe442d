package eventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the zone cases must not depend on the machine's zoneinfo

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
)

const (
	group  = "aftercare-test"
	target = "arn:aws:lambda:eu-west-1:123456789012:function:aftercare-dispatch"
	role   = "arn:aws:iam::123456789012:role/aftercare-scheduler"
	dlq    = "arn:aws:sqs:eu-west-1:123456789012:aftercare-scheduler-dlq"
)

// There is no EventBridge Scheduler emulator, so these tests drive the real
// SDK client against a fake endpoint that records each request and answers
// the way the service does: JSON bodies, and errors as an X-Amzn-ErrorType
// header plus {"Message": ...}, which the SDK's deserialisers turn into the
// typed errors the adapter inspects.

// request is one recorded HTTP request.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   map[string]any
}

// reply is one scripted answer; the zero value is a plain success.
type reply struct {
	status  int
	errType string
	message string
}

func ok() reply { return reply{} }

func fail(status int, errType string) reply {
	return reply{status: status, errType: errType, message: errType + " from the fake"}
}

type fakeService struct {
	t       *testing.T
	mu      sync.Mutex
	reqs    []request
	replies []reply // the nth request gets replies[n]; later ones the last
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		// The client gave up mid-request (its context ended, as
		// TestCreateStopsRetryingWhenContextEnds makes it): nothing
		// arrived to answer or record.
		return
	}
	req := request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &req.Body); err != nil {
			f.t.Errorf("request body is not JSON: %v: %s", err, raw)
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	rep := ok()
	if n := len(f.replies); n > 0 {
		rep = f.replies[min(len(f.reqs), n)-1]
	}
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("req-%d", len(f.reqs)))
	if rep.errType != "" {
		// The service sends the code with a namespace suffix; the SDK
		// strips it.
		w.Header().Set("X-Amzn-ErrorType", rep.errType+":http://internal.amazon.com/coral/com.amazonaws.chronos/")
		w.WriteHeader(rep.status)
		json.NewEncoder(w).Encode(map[string]string{"Message": rep.message})
		return
	}
	if r.Method == http.MethodPost {
		name := strings.TrimPrefix(r.URL.Path, "/schedules/")
		json.NewEncoder(w).Encode(map[string]string{
			"ScheduleArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule/" + group + "/" + name,
		})
		return
	}
	io.WriteString(w, "{}")
}

func (f *fakeService) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// setup starts a fake service scripted with replies and returns an adapter
// that talks to it through a real SDK client.
func setup(t *testing.T, cfg eventbridge.Config, replies ...reply) (*eventbridge.Scheduler, *fakeService) {
	t.Helper()
	fake := &fakeService{t: t, replies: replies}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := scheduler.New(scheduler.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
	})
	if cfg.GroupName == "" {
		cfg.GroupName = group
	}
	if cfg.TargetArn == "" {
		cfg.TargetArn = target
	}
	if cfg.RoleArn == "" {
		cfg.RoleArn = role
	}
	if cfg.DeadLetterArn == "" {
		cfg.DeadLetterArn = dlq
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Millisecond // keep retries fast; the count is what matters
	}
	s, err := eventbridge.New(client, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, fake
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func wakeUp(at time.Time, zone string) schedule.Schedule {
	const inc, step = "inc_7kq2mz4xyw3a5bn6cd7e", "csat-1"
	due := at.Truncate(time.Minute)
	return schedule.Schedule{
		Name:       domain.ScheduleName(inc, step, due),
		IncidentID: inc,
		Step:       step,
		Due:        due,
		At:         at,
		TimeZone:   zone,
	}
}

var hexToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestCreateSendsOneTimeSchedule(t *testing.T) {
	tests := []struct {
		name     string
		at       string
		zone     string
		wantExpr string
		wantZone string
	}{
		// Athens moves from EET (+2) to EEST (+3) at 01:00Z on 29 March
		// 2026; 10:00 local stays 10:00 in the expression on both sides.
		{"Athens winter time", "2026-03-28T08:00:00Z", "Europe/Athens", "at(2026-03-28T10:00:00)", "Europe/Athens"},
		{"Athens summer time", "2026-03-30T07:00:00Z", "Europe/Athens", "at(2026-03-30T10:00:00)", "Europe/Athens"},
		{"Athens just after the spring gap", "2026-03-29T01:30:00Z", "Europe/Athens", "at(2026-03-29T04:30:00)", "Europe/Athens"},
		{"Athens just before the spring gap", "2026-03-29T00:59:00Z", "Europe/Athens", "at(2026-03-29T02:59:00)", "Europe/Athens"},
		// On 25 October 2026 03:00–03:59 happens twice in Athens; the
		// local form could name either instant, so UTC is sent.
		{"Athens repeated hour, first pass", "2026-10-25T00:30:00Z", "Europe/Athens", "at(2026-10-25T00:30:00)", "UTC"},
		{"Athens repeated hour, second pass", "2026-10-25T01:30:00Z", "Europe/Athens", "at(2026-10-25T01:30:00)", "UTC"},
		{"Athens after the repeated hour", "2026-10-25T02:30:00Z", "Europe/Athens", "at(2026-10-25T04:30:00)", "Europe/Athens"},
		{"Madrid", "2026-07-01T16:45:00Z", "Europe/Madrid", "at(2026-07-01T18:45:00)", "Europe/Madrid"},
		{"New York winter", "2026-01-15T15:00:00Z", "America/New_York", "at(2026-01-15T10:00:00)", "America/New_York"},
		{"seconds round up to the next minute", "2026-03-28T08:00:01.5Z", "Europe/Athens", "at(2026-03-28T10:01:00)", "Europe/Athens"},
		{"rounding up crosses midnight", "2026-12-31T21:59:30Z", "Europe/Athens", "at(2027-01-01T00:00:00)", "Europe/Athens"},
		{"no zone falls back to UTC", "2026-03-28T08:00:00Z", "", "at(2026-03-28T08:00:00)", "UTC"},
		{"unknown zone falls back to UTC", "2026-03-28T08:00:00Z", "Mars/Olympus_Mons", "at(2026-03-28T08:00:00)", "UTC"},
		{"Local is not a zone the service knows", "2026-03-28T08:00:00Z", "Local", "at(2026-03-28T08:00:00)", "UTC"},
		{"explicit UTC", "2026-03-28T08:00:00Z", "UTC", "at(2026-03-28T08:00:00)", "UTC"},
		{"At given in another zone is the same instant", "2026-03-28T11:00:00+03:00", "Europe/Athens", "at(2026-03-28T10:00:00)", "Europe/Athens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := setup(t, eventbridge.Config{})
			sc := wakeUp(utc(tt.at), tt.zone)
			if err := s.Create(context.Background(), sc); err != nil {
				t.Fatalf("Create: %v", err)
			}
			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			req := reqs[0]
			if req.Method != http.MethodPost || req.Path != "/schedules/"+sc.Name {
				t.Errorf("request line = %s %s, want POST /schedules/%s", req.Method, req.Path, sc.Name)
			}
			if auth := req.Header.Get("Authorization"); !strings.Contains(auth, "Credential=AKIDEXAMPLE/") ||
				!strings.Contains(auth, "/eu-west-1/scheduler/aws4_request") {
				t.Errorf("request is not SigV4-signed for scheduler in eu-west-1: %q", auth)
			}

			body := req.Body
			token, _ := body["ClientToken"].(string)
			if !hexToken.MatchString(token) {
				t.Errorf("ClientToken = %q, want 64 hex digits", token)
			}
			input, _ := body["Target"].(map[string]any)["Input"].(string)
			var fire map[string]any
			if err := json.Unmarshal([]byte(input), &fire); err != nil {
				t.Fatalf("Target.Input %q is not JSON: %v", input, err)
			}
			wantFire := map[string]any{"incident_id": sc.IncidentID, "step": sc.Step, "schedule": sc.Name}
			if !reflect.DeepEqual(fire, wantFire) {
				t.Errorf("Target.Input = %v, want %v", fire, wantFire)
			}

			want := map[string]any{
				"GroupName":                  group,
				"ScheduleExpression":         tt.wantExpr,
				"ScheduleExpressionTimezone": tt.wantZone,
				"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
				"ActionAfterCompletion":      "DELETE",
				"State":                      "ENABLED",
				"ClientToken":                token,
				"Description": "Aftercare wake-up call: incident " + sc.IncidentID + ", step " + sc.Step +
					", due " + sc.Due.UTC().Format(time.RFC3339),
				"Target": map[string]any{
					"Arn":     target,
					"RoleArn": role,
					"Input":   input,
					"RetryPolicy": map[string]any{
						"MaximumRetryAttempts":     float64(eventbridge.DefaultMaximumRetryAttempts),
						"MaximumEventAgeInSeconds": float64(eventbridge.DefaultMaximumEventAgeInSeconds),
					},
					"DeadLetterConfig": map[string]any{"Arn": dlq},
				},
			}
			if !reflect.DeepEqual(body, want) {
				got, _ := json.MarshalIndent(body, "", "  ")
				exp, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("CreateSchedule body\n got: %s\nwant: %s", got, exp)
			}
		})
	}
}

func TestCreateUsesConfiguredRetryPolicy(t *testing.T) {
	s, fake := setup(t, eventbridge.Config{MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 7200})
	if err := s.Create(context.Background(), wakeUp(utc("2026-03-28T08:00:00Z"), "UTC")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got := fake.requests()[0].Body["Target"].(map[string]any)["RetryPolicy"]
	want := map[string]any{"MaximumRetryAttempts": float64(20), "MaximumEventAgeInSeconds": float64(7200)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RetryPolicy = %v, want %v", got, want)
	}
}

func TestCreateClientTokenIsDeterministic(t *testing.T) {
	s, fake := setup(t, eventbridge.Config{})
	ctx := context.Background()
	first := wakeUp(utc("2026-03-28T08:00:00Z"), "Europe/Athens")
	moved := first
	moved.At = first.At.Add(5 * time.Minute) // same name, created again later
	for _, sc := range []schedule.Schedule{first, first, moved} {
		if err := s.Create(ctx, sc); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	reqs := fake.requests()
	tok := func(i int) string { return reqs[i].Body["ClientToken"].(string) }
	if tok(0) != tok(1) {
		t.Errorf("the same request got tokens %s and %s; a repeat must reuse its token", tok(0), tok(1))
	}
	if tok(0) == tok(2) {
		t.Errorf("a new fire time reused token %s; the service could take it for a replay", tok(0))
	}
}

func TestCreateErrors(t *testing.T) {
	tests := []struct {
		name         string
		cfg          eventbridge.Config
		replies      []reply
		wantErr      any // nil, or a pointer to the typed error expected in the chain
		wantAttempts int
	}{
		{"created", eventbridge.Config{}, []reply{ok()}, nil, 1},
		{"existing name is success", eventbridge.Config{}, []reply{fail(409, "ConflictException")}, nil, 1},
		{"throttled with 400 then created", eventbridge.Config{},
			[]reply{fail(400, "ThrottlingException"), ok()}, nil, 2},
		{"throttled with 429 twice then created", eventbridge.Config{},
			[]reply{fail(429, "ThrottlingException"), fail(429, "ThrottlingException"), ok()}, nil, 3},
		{"internal error then created", eventbridge.Config{},
			[]reply{fail(500, "InternalServerException"), ok()}, nil, 2},
		{"throttled then conflict is success", eventbridge.Config{},
			[]reply{fail(429, "ThrottlingException"), fail(409, "ConflictException")}, nil, 2},
		{"persistent throttling gives up after MaxAttempts", eventbridge.Config{},
			[]reply{fail(429, "ThrottlingException")}, new(*types.ThrottlingException), eventbridge.DefaultMaxAttempts},
		{"persistent throttling honours a smaller MaxAttempts", eventbridge.Config{MaxAttempts: 2},
			[]reply{fail(429, "ThrottlingException")}, new(*types.ThrottlingException), 2},
		{"validation error is not retried", eventbridge.Config{},
			[]reply{fail(400, "ValidationException")}, new(*types.ValidationException), 1},
		{"missing group is not retried", eventbridge.Config{},
			[]reply{fail(404, "ResourceNotFoundException")}, new(*types.ResourceNotFoundException), 1},
		{"quota exceeded is not retried", eventbridge.Config{},
			[]reply{fail(402, "ServiceQuotaExceededException")}, new(*types.ServiceQuotaExceededException), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := setup(t, tt.cfg, tt.replies...)
			sc := wakeUp(utc("2026-03-28T08:00:00Z"), "Europe/Athens")
			err := s.Create(context.Background(), sc)
			checkErr(t, err, tt.wantErr, sc.Name)
			reqs := fake.requests()
			if len(reqs) != tt.wantAttempts {
				t.Fatalf("got %d attempts, want %d", len(reqs), tt.wantAttempts)
			}
			for i, r := range reqs {
				if got := r.Header.Get("Amz-Sdk-Request"); !strings.HasPrefix(got, fmt.Sprintf("attempt=%d;", i+1)) {
					t.Errorf("attempt %d sent amz-sdk-request %q", i+1, got)
				}
				if r.Body["ClientToken"] != reqs[0].Body["ClientToken"] {
					t.Errorf("attempt %d changed the ClientToken", i+1)
				}
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name         string
		replies      []reply
		wantErr      any
		wantAttempts int
	}{
		{"deleted", []reply{ok()}, nil, 1},
		{"missing schedule is success", []reply{fail(404, "ResourceNotFoundException")}, nil, 1},
		{"throttled then deleted", []reply{fail(429, "ThrottlingException"), ok()}, nil, 2},
		{"throttled then already gone", []reply{fail(400, "ThrottlingException"), fail(404, "ResourceNotFoundException")}, nil, 2},
		{"persistent throttling", []reply{fail(429, "ThrottlingException")}, new(*types.ThrottlingException), eventbridge.DefaultMaxAttempts},
		{"validation error is not retried", []reply{fail(400, "ValidationException")}, new(*types.ValidationException), 1},
		{"conflict is an error", []reply{fail(409, "ConflictException")}, new(*types.ConflictException), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := setup(t, eventbridge.Config{}, tt.replies...)
			name := domain.ScheduleName("inc_7kq2mz4xyw3a5bn6cd7e", "csat-1", utc("2026-03-28T08:00:00Z"))
			err := s.Delete(context.Background(), name)
			checkErr(t, err, tt.wantErr, name)
			reqs := fake.requests()
			if len(reqs) != tt.wantAttempts {
				t.Fatalf("got %d attempts, want %d", len(reqs), tt.wantAttempts)
			}
			for _, r := range reqs {
				if r.Method != http.MethodDelete || r.Path != "/schedules/"+name {
					t.Errorf("request line = %s %s, want DELETE /schedules/%s", r.Method, r.Path, name)
				}
				if got := r.Query.Get("groupName"); got != group {
					t.Errorf("groupName = %q, want %q", got, group)
				}
				if r.Body != nil {
					t.Errorf("DeleteSchedule sent a body: %v", r.Body)
				}
			}
		})
	}
}

// checkErr asserts err is nil when want is nil, and otherwise that it wraps
// the typed SDK error want points to and names the schedule.
func checkErr(t *testing.T, err error, want any, name string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got success, want %T", want)
	}
	if !errors.As(err, want) {
		t.Fatalf("error %v does not wrap %T", err, want)
	}
	if !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name the schedule %s", err, name)
	}
}

func TestInvalidInputIsRejectedBeforeAnyRequest(t *testing.T) {
	good := wakeUp(utc("2026-03-28T08:00:00Z"), "Europe/Athens")
	names := map[string]string{
		"empty":        "",
		"65 chars":     strings.Repeat("a", 65),
		"space":        "inc 1.csat-1",
		"slash":        "inc/1.csat-1",
		"email":        "someone@example.com",
		"non-ASCII":    "περιστατικό",
		"query string": "inc?groupName=other",
	}
	for label, name := range names {
		t.Run("create "+label, func(t *testing.T) {
			s, fake := setup(t, eventbridge.Config{})
			sc := good
			sc.Name = name
			if err := s.Create(context.Background(), sc); !errors.Is(err, eventbridge.ErrInvalidName) {
				t.Errorf("Create(%q) = %v, want ErrInvalidName", name, err)
			}
			if n := len(fake.requests()); n != 0 {
				t.Errorf("sent %d requests for an invalid name", n)
			}
		})
		t.Run("delete "+label, func(t *testing.T) {
			s, fake := setup(t, eventbridge.Config{})
			if err := s.Delete(context.Background(), name); !errors.Is(err, eventbridge.ErrInvalidName) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidName", name, err)
			}
			if n := len(fake.requests()); n != 0 {
				t.Errorf("sent %d requests for an invalid name", n)
			}
		})
	}

	t.Run("64 chars is the limit", func(t *testing.T) {
		s, fake := setup(t, eventbridge.Config{})
		sc := good
		sc.Name = strings.Repeat("a", 64)
		if err := s.Create(context.Background(), sc); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if n := len(fake.requests()); n != 1 {
			t.Errorf("sent %d requests, want 1", n)
		}
	})

	incomplete := map[string]func(*schedule.Schedule){
		"no fire time": func(s *schedule.Schedule) { s.At = time.Time{} },
		"no incident":  func(s *schedule.Schedule) { s.IncidentID = "" },
		"no step":      func(s *schedule.Schedule) { s.Step = "" },
	}
	for label, spoil := range incomplete {
		t.Run(label, func(t *testing.T) {
			s, fake := setup(t, eventbridge.Config{})
			sc := good
			spoil(&sc)
			if err := s.Create(context.Background(), sc); err == nil {
				t.Error("Create succeeded, want an error")
			}
			if n := len(fake.requests()); n != 0 {
				t.Errorf("sent %d requests for an incomplete schedule", n)
			}
		})
	}
}

// The description repeats only what the schedule's name already carries
// (incident id, step, due time). Incident ids are hashes by construction;
// should a caller ever pass something else, no address punctuation or
// spacing survives into the console.
func TestDescriptionCarriesOnlyNameCharacters(t *testing.T) {
	s, fake := setup(t, eventbridge.Config{})
	sc := wakeUp(utc("2026-03-28T08:00:00Z"), "Europe/Athens")
	sc.IncidentID = "Maria <maria@example.gr>"
	if err := s.Create(context.Background(), sc); err != nil {
		t.Fatalf("Create: %v", err)
	}
	d := fake.requests()[0].Body["Description"].(string)
	want := "Aftercare wake-up call: incident Mariamariaexample.gr, step csat-1, due 2026-03-28T08:00:00Z"
	if d != want {
		t.Errorf("Description = %q, want %q", d, want)
	}
	if strings.ContainsAny(d, "@<>") {
		t.Errorf("Description %q contains address punctuation", d)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	client := scheduler.New(scheduler.Options{Region: "eu-west-1"})
	valid := eventbridge.Config{GroupName: group, TargetArn: target, RoleArn: role, DeadLetterArn: dlq}
	tests := []struct {
		name    string
		client  *scheduler.Client
		edit    func(*eventbridge.Config)
		wantErr string // substring; empty means success
	}{
		{"valid with defaults", client, func(*eventbridge.Config) {}, ""},
		{"valid with every field", client, func(c *eventbridge.Config) {
			c.MaximumRetryAttempts, c.MaximumEventAgeInSeconds = 185, 86400
			c.MaxAttempts, c.MaxBackoff = 3, time.Second
		}, ""},
		{"nil client", nil, func(*eventbridge.Config) {}, "nil scheduler client"},
		{"no group", client, func(c *eventbridge.Config) { c.GroupName = "" }, "group name"},
		{"bad group", client, func(c *eventbridge.Config) { c.GroupName = "after care" }, "group name"},
		{"no target", client, func(c *eventbridge.Config) { c.TargetArn = "" }, "TargetArn is required"},
		{"target not an ARN", client, func(c *eventbridge.Config) { c.TargetArn = "aftercare-dispatch" }, "TargetArn"},
		{"no role", client, func(c *eventbridge.Config) { c.RoleArn = "" }, "RoleArn is required"},
		{"role swapped with queue", client, func(c *eventbridge.Config) { c.RoleArn = dlq }, "want iam"},
		{"no dead-letter queue", client, func(c *eventbridge.Config) { c.DeadLetterArn = "" }, "DeadLetterArn is required"},
		{"dead-letter queue is a topic", client, func(c *eventbridge.Config) {
			c.DeadLetterArn = "arn:aws:sns:eu-west-1:123456789012:alerts"
		}, "want sqs"},
		{"too many target retries", client, func(c *eventbridge.Config) { c.MaximumRetryAttempts = 186 }, "MaximumRetryAttempts"},
		{"negative target retries", client, func(c *eventbridge.Config) { c.MaximumRetryAttempts = -1 }, "MaximumRetryAttempts"},
		{"event age too short", client, func(c *eventbridge.Config) { c.MaximumEventAgeInSeconds = 59 }, "MaximumEventAgeInSeconds"},
		{"event age too long", client, func(c *eventbridge.Config) { c.MaximumEventAgeInSeconds = 86401 }, "MaximumEventAgeInSeconds"},
		{"negative attempts", client, func(c *eventbridge.Config) { c.MaxAttempts = -1 }, "MaxAttempts"},
		{"negative backoff", client, func(c *eventbridge.Config) { c.MaxBackoff = -time.Second }, "MaxBackoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			s, err := eventbridge.New(tt.client, cfg)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New = %v, %v; want a Scheduler", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestCreateStopsRetryingWhenContextEnds(t *testing.T) {
	s, fake := setup(t, eventbridge.Config{MaxAttempts: 100, MaxBackoff: 50 * time.Millisecond},
		fail(429, "ThrottlingException"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.Create(ctx, wakeUp(utc("2026-03-28T08:00:00Z"), "UTC"))
	if err == nil {
		t.Fatal("Create succeeded against a throttling service")
	}
	if n := len(fake.requests()); n >= 100 {
		t.Errorf("made all %d attempts despite the deadline", n)
	}
}

// A canceller deletes in its group, with the same treatment of a missing
// schedule, and refuses to create anything.
func TestCanceller(t *testing.T) {
	fake := &fakeService{t: t, replies: []reply{ok(), fail(404, "ResourceNotFoundException")}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := scheduler.New(scheduler.Options{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
	})
	c, err := eventbridge.NewCanceller(client, group)
	if err != nil {
		t.Fatal(err)
	}
	name := domain.ScheduleName("inc_7kq2mz4xyw3a5bn6cd7e", "csat-1", utc("2026-03-28T08:00:00Z"))
	for range 2 { // deleted, then already gone
		if err := c.Delete(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	reqs := fake.requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodDelete || reqs[0].Query.Get("groupName") != group {
		t.Fatalf("requests %+v", reqs)
	}
	if err := c.Create(context.Background(), schedule.Schedule{Name: name, IncidentID: "inc_x", Step: "s"}); err == nil {
		t.Fatal("a canceller created a schedule")
	}
	if _, err := eventbridge.NewCanceller(client, "bad group!"); err == nil {
		t.Fatal("a bad group name was accepted")
	}
}
