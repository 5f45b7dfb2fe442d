package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// SampleLinkKey signs the sample rating link when no key is given. It is
// public, like stdwebhooks.DevSecret, and must never be a deployment's key.
const SampleLinkKey = "aftercare-sample-events-link-key-not-a-secret"

// FlowBody is the body whose incident the dispatch, planner and rating
// events follow: a completed booking, which the default policy thanks the
// next morning.
const FlowBody = "aftercare-booking-completed"

// Sample identities. They are fictitious: the account is AWS's
// documentation account and the API id is made up.
const (
	sampleRegion  = "eu-west-1"
	sampleAccount = "123456789012"
	sampleAPI     = "a1b2c3d4e5"
	sampleDomain  = sampleAPI + ".execute-api." + sampleRegion + ".amazonaws.com"
	sampleTable   = "aftercare-incidents"
	sampleSource  = "198.51.100.24"
)

// Options are the inputs of Generate that vary between runs.
type Options struct {
	// Now is the signing time of the webhooks and the start of the rating
	// link's answer window.
	Now           time.Time
	WebhookSecret string
	LinkKey       []byte
}

// Generate returns the sample events, by file name, for the given webhook
// bodies (keyed by name). It is deterministic in its inputs, so a test can
// regenerate the files at a fixed time and compare.
func Generate(bodies map[string][]byte, o Options) (map[string][]byte, error) {
	if _, ok := bodies[FlowBody]; !ok {
		return nil, fmt.Errorf("body %s.json is missing: the dispatch, planner and rating samples follow it", FlowBody)
	}
	signer, err := links.NewSigner(o.LinkKey)
	if err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	names := make([]string, 0, len(bodies))
	for name := range bodies {
		names = append(names, name)
	}
	sort.Strings(names)

	files := map[string][]byte{}
	var stream events.DynamoDBEvent
	var flow domain.Incident
	for i, name := range names {
		body := bodies[name]
		e, err := webhookEvent(name, body, o)
		if err != nil {
			return nil, err
		}
		if files["ingest-"+name+".json"], err = encode(withoutMTLS(e)); err != nil {
			return nil, err
		}
		inc, ev, err := incidentOf(e, o)
		if err != nil {
			return nil, fmt.Errorf("body %s: %w", name, err)
		}
		stream.Records = append(stream.Records, streamRecord(inc.ID, "INSERT", ev.OccurredAt, i))
		if name == FlowBody {
			flow = inc
		}
	}
	// A second write of the flow incident in the same batch: the planner
	// reconciles it once.
	stream.Records = append(stream.Records, streamRecord(flow.ID, "MODIFY", flow.LastEventAt.Add(time.Second), len(names)))

	plan := domain.Plan(flow, domain.DefaultPolicy(), flow.ResolvedAt)
	if len(plan) == 0 {
		return nil, fmt.Errorf("body %s: the default policy plans no follow-up for it", FlowBody)
	}
	step := plan[0]
	fire := schedule.Fire{IncidentID: flow.ID, Step: step.Key, Schedule: domain.ScheduleName(flow.ID, step.Key, step.Due)}
	if files["dispatch-fire.json"], err = encode(fire); err != nil {
		return nil, err
	}
	if files["planner-stream.json"], err = encode(stream); err != nil {
		return nil, err
	}

	_, best := step.Step.Survey.Range()
	token := signer.Sign(links.Claims{
		Incident: flow.ID, Step: step.Key, Survey: step.Step.Survey, Score: best,
		Expires: o.Now.Add(app.DefaultAnswerWindow),
	})
	rating := apiRequest(http.MethodGet, "GET /r/{token}", "/r/"+token, map[string]string{"token": token}, o.Now, "sample-rating")
	rating.Headers["accept"] = "text/html"
	rating.Headers["accept-language"] = flow.Customer.Locale
	if files["respond-rating.json"], err = encode(withoutMTLS(rating)); err != nil {
		return nil, err
	}
	return files, nil
}

// webhookEvent wraps a body in a signed POST /webhooks/aftercare. The
// webhook-id is derived from the body's name, so that invoking the same
// sample twice is, as it should be, a duplicate delivery.
func webhookEvent(name string, body []byte, o Options) (events.APIGatewayV2HTTPRequest, error) {
	id := "sample_" + strings.ReplaceAll(name, ".", "_")
	sig, err := stdwebhooks.Sign(o.WebhookSecret, id, o.Now, body)
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("body %s: %w", name, err)
	}
	e := apiRequest(http.MethodPost, "POST /webhooks/{provider}", "/webhooks/"+native.Name,
		map[string]string{"provider": native.Name}, o.Now, "sample-"+name)
	e.Headers["content-type"] = "application/json"
	e.Headers["content-length"] = strconv.Itoa(len(body))
	e.Headers[stdwebhooks.HeaderID] = id
	e.Headers[stdwebhooks.HeaderTimestamp] = strconv.FormatInt(o.Now.Unix(), 10)
	e.Headers[stdwebhooks.HeaderSignature] = sig
	e.Body = string(body)
	return e, nil
}

// apiRequest is an API Gateway HTTP API (payload 2.0) event as the $default
// stage delivers it.
func apiRequest(method, routeKey, path string, params map[string]string, now time.Time, requestID string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        path,
		RawQueryString: "",
		Headers: map[string]string{
			"host":              sampleDomain,
			"user-agent":        "aftercare-sample-events",
			"x-forwarded-for":   sampleSource,
			"x-forwarded-port":  "443",
			"x-forwarded-proto": "https",
		},
		PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    sampleAccount,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        sampleAPI,
			DomainName:   sampleDomain,
			DomainPrefix: sampleAPI,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1",
				SourceIP: sampleSource, UserAgent: "aftercare-sample-events",
			},
		},
	}
}

// apiSample is an API Gateway event as written to a file: without the
// empty mutual-TLS block the library type always encodes, which API
// Gateway leaves out when mutual TLS is off.
type apiSample struct {
	events.APIGatewayV2HTTPRequest
	RequestContext struct {
		events.APIGatewayV2HTTPRequestContext
		Authentication *struct{} `json:"authentication,omitempty"`
	} `json:"requestContext"`
}

func withoutMTLS(e events.APIGatewayV2HTTPRequest) apiSample {
	s := apiSample{APIGatewayV2HTTPRequest: e}
	s.RequestContext.APIGatewayV2HTTPRequestContext = e.RequestContext
	return s
}

// incidentOf parses the webhook as the ingest function would and applies
// it to a new incident, so the samples use the ids and due times the code
// computes, not copies of them.
func incidentOf(e events.APIGatewayV2HTTPRequest, o Options) (domain.Incident, domain.Event, error) {
	v, err := stdwebhooks.NewVerifier(o.WebhookSecret)
	if err != nil {
		return domain.Incident{}, domain.Event{}, err
	}
	h := http.Header{}
	for k, val := range e.Headers {
		h.Set(k, val)
	}
	evs, err := native.New(v).Parse(providers.Request{Header: h, Body: []byte(e.Body)}, o.Now)
	if err != nil {
		return domain.Incident{}, domain.Event{}, err
	}
	var inc domain.Incident
	if _, err := inc.Apply(evs[0], evs[0].OccurredAt); err != nil {
		return domain.Incident{}, domain.Event{}, err
	}
	return inc, evs[0], nil
}

// streamRecord is one KEYS_ONLY stream record of an incident item, keyed
// as shared/store/dynamo writes it.
func streamRecord(id, name string, at time.Time, n int) events.DynamoDBEventRecord {
	// Stream sequence numbers are decimal strings of up to 40 digits.
	seq := fmt.Sprintf("1000000000000000000%04d", n)
	return events.DynamoDBEventRecord{
		AWSRegion:    sampleRegion,
		EventID:      fmt.Sprintf("sample-%d", n),
		EventName:    name,
		EventSource:  "aws:dynamodb",
		EventVersion: "1.1",
		EventSourceArn: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s/stream/2026-11-01T00:00:00.000",
			sampleRegion, sampleAccount, sampleTable),
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: at.Truncate(time.Second)},
			Keys: map[string]events.DynamoDBAttributeValue{
				dynamo.PartitionKey: events.NewStringAttribute(dynamo.IncidentKeyPrefix + id),
				dynamo.SortKey:      events.NewStringAttribute(dynamo.IncidentSortKey),
			},
			SequenceNumber: seq,
			SizeBytes:      int64(len(dynamo.IncidentKeyPrefix+id) + len(dynamo.IncidentSortKey) + 4),
			StreamViewType: "KEYS_ONLY",
		},
	}
}

// encode writes indented JSON without HTML escaping, so bodies and tokens
// stay readable in the files.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode sample: %w", err)
	}
	return b.Bytes(), nil
}
