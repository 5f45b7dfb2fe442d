package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftercare/aftercare/infra/emulators"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }

const (
	stackName   = "aftercare-test"
	secretsPath = "/aftercare/test"
	bucket      = "aftercare-inbound-0000"
	contactKey  = "test-contact-key-0123456789abcdef0123456789"
)

// fakeAWS is one endpoint for every service the command calls: DynamoDB
// requests go on to DynamoDB Local (the real table), CloudFormation, SSM,
// Scheduler and S3 are answered in the shapes AWS documents, and every
// call is noted.
type fakeAWS struct {
	dynamo *httputil.ReverseProxy
	table  string
	mu     sync.Mutex
	calls  []string
}

func (f *fakeAWS) note(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDB_20120810."):
		f.dynamo.ServeHTTP(w, r)
	case target == "AmazonSSM.GetParameters":
		f.note("ssm:GetParameters")
		var in struct{ Names []string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		type param struct{ Name, Type, Value string }
		out := struct {
			Parameters        []param
			InvalidParameters []string
		}{InvalidParameters: []string{}}
		for _, n := range in.Names {
			if n == secretsPath+"/contact-key" {
				out.Parameters = append(out.Parameters, param{n, "SecureString", contactKey})
			} else {
				out.InvalidParameters = append(out.InvalidParameters, n)
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == "/" && target == "":
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "DescribeStacks" || form.Get("StackName") != stackName {
			http.Error(w, "unexpected query call "+string(body), http.StatusBadRequest)
			return
		}
		f.note("cloudformation:DescribeStacks")
		w.Header().Set("Content-Type", "text/xml")
		outputs := ""
		for k, v := range map[string]string{"TableName": f.table, "SecretsPath": secretsPath, "ScheduleGroupName": "aftercare-test-group",
			"PublicUrl": "https://care.example.com", "InboundBucketName": bucket} {
			outputs += "<member><OutputKey>" + k + "</OutputKey><OutputValue>" + v + "</OutputValue></member>"
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>`+
			`<StackName>%s</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/%s/0000</StackId>`+
			`<CreationTime>2026-11-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>%s</Outputs>`+
			`</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeStacksResponse>`, stackName, stackName, outputs)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/schedules/"):
		f.note("scheduler:DeleteSchedule " + r.URL.Query().Get("groupName") + "/" + strings.TrimPrefix(r.URL.Path, "/schedules/"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/"+bucket+"/"):
		f.note("s3:DeleteObject " + strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unexpected call "+r.Method+" "+r.URL.String()+" "+target, http.StatusBadRequest)
	}
}

type noteScheduler struct{}

func (noteScheduler) Create(context.Context, schedule.Schedule) error { return nil }
func (noteScheduler) Delete(context.Context, string) error            { return nil }

// Against a deployed stack (its outputs from CloudFormation, the contact
// key from Parameter Store, the real table on DynamoDB Local): export
// finds the person, erase deletes the incident, the raw reply in the
// inbound bucket and the pending wake-up calls, and keeps only the
// suppression entry.
func TestAgainstAStack(t *testing.T) {
	ctx := context.Background()
	endpoint := emulators.DynamoDB(t)
	u, _ := url.Parse(endpoint)
	client := dynamodb.New(dynamodb.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	table := fmt.Sprintf("admin-%d", time.Now().UnixNano())
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	fake := &fakeAWS{dynamo: httputil.NewSingleHostReverseProxy(u), table: table}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	// What the functions left in the table: a booking with a reply kept in S3.
	st := dynamo.New(client, table)
	settings, err := compose.Parse(func(k string) string {
		return map[string]string{compose.ContactKey: contactKey, compose.PublicURL: "https://care.example.com", compose.From: "care@seabreeze.example"}[k]
	}, compose.Needs{Contacts: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := compose.Service(settings, compose.Ports{Store: st, Scheduler: noteScheduler{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Ingest(ctx, domain.Event{
		ID: "evt-1", Provider: "aftercare", Type: domain.BookingCompleted, OccurredAt: time.Now().Add(-time.Hour), Ref: "BK-1",
		Customer: domain.Customer{Email: "maria@example.com", Name: "María"}, Title: "Kayak",
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := "s3://" + bucket + "/inbound/msg-1"
	if _, err := st.Update(ctx, res.IncidentID, func(inc *domain.Incident) error {
		inc.RecordReply("thanks-1", "¡Gracias!", ref, "", time.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL": srv.URL}
	admin := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := admin("export", "-email", "maria@example.com", "-stack", stackName)
	if code != 0 || !strings.Contains(out, res.IncidentID) || !strings.Contains(out, ref) {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	code, out, errOut = admin("erase", "-email", "maria@example.com", "-stack", stackName)
	if code != 0 || !strings.Contains(out, `"incidents": 1`) || !strings.Contains(out, `"messages": 1`) {
		t.Fatalf("erase: %d %s %s", code, out, errOut)
	}
	if _, err := st.Get(ctx, res.IncidentID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the incident survived: %v", err)
	}
	c, err := st.GetContact(ctx, domain.ContactKey([]byte(contactKey), "maria@example.com"))
	if err != nil || c.Email != "" || len(c.Incidents) != 0 || c.Consent.State != domain.ConsentSuppressed {
		t.Fatalf("contact after the erase: %+v %v", c, err)
	}
	calls := strings.Join(fake.calls, "\n")
	for _, want := range []string{"cloudformation:DescribeStacks", "ssm:GetParameters", "s3:DeleteObject " + bucket + "/inbound/msg-1", "scheduler:DeleteSchedule aftercare-test-group/" + res.IncidentID} {
		if !strings.Contains(calls, want) {
			t.Errorf("no %s among the calls:\n%s", want, calls)
		}
	}

	env["AWS_REGION"] = ""
	if code, _, errOut := admin("export", "-email", "maria@example.com", "-stack", stackName); code != 1 || !strings.Contains(errOut, "AWS_REGION") {
		t.Errorf("without a region: %d %s", code, errOut)
	}
}
