package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
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
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/mail/render/remote"
	"github.com/aftercare/aftercare/shared/providers"
	"github.com/aftercare/aftercare/shared/providers/native"
	"github.com/aftercare/aftercare/shared/replies"
	"github.com/aftercare/aftercare/shared/schedule"
	"github.com/aftercare/aftercare/shared/sesevents"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// SampleLinkKey signs the sample rating link when no key is given. It is
// public, like stdwebhooks.DevSecret, and must never be a deployment's key.
const SampleLinkKey = "aftercare-sample-events-link-key-not-a-secret"

// SampleReplyAddress is the base mailbox of the sample's reply addresses,
// on a reply subdomain as the deploy guide advises, when none is given.
const SampleReplyAddress = "care@reply.seabreeze.example"

// SampleInboundBucket is the inbound bucket of the sample S3 notification,
// named as template.yaml names it (aftercare-inbound-<stack id>).
const SampleInboundBucket = "aftercare-inbound-1c2fa620-982a-11e3-aff7-50e2416294e0"

// sampleSESMessageID is the id SES gives the sample reply; its S3 action
// stores the message under the rule's prefix with this id as the name.
const sampleSESMessageID = "k3bq1d5ht7vgm0sn5ef2o0v9r8sample0000001"

// ReplyFile is the sample reply email the S3 notification stands for.
const ReplyFile = "replies-message.eml"

// FlowBody is the body whose incident the dispatch, planner and rating
// events follow: a completed booking, which the default policy thanks the
// next morning.
const FlowBody = "aftercare-booking-completed"

// AdviceBody is the body whose pre-arrival advice dispatch-pre-arrival.json
// fires: a booking made five days ahead, which the default policy advises
// two days before its start.
const AdviceBody = "aftercare-booking-created"

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
	// ReplyAddress is the base mailbox of reply addresses (default
	// SampleReplyAddress); the sample reply is sent to the flow step's
	// address on it, signed with LinkKey as the functions sign it.
	ReplyAddress string
	// InboundBucket is the bucket of the S3 notification (default
	// SampleInboundBucket).
	InboundBucket string
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
	var flow, booked domain.Incident
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
		rec, err := streamRecord(inc, "INSERT", ev.OccurredAt, i)
		if err != nil {
			return nil, err
		}
		stream.Records = append(stream.Records, rec)
		if name == FlowBody {
			flow = inc
		}
		if name == AdviceBody {
			booked = inc
		}
	}
	if booked.ID != "" {
		advice, ok := firstOfKind(domain.Plan(booked, domain.DefaultPolicy(), booked.LastEventAt), domain.KindAdvice)
		if !ok {
			return nil, fmt.Errorf("body %s: the default policy plans no pre-arrival advice for it", AdviceBody)
		}
		fire := schedule.Fire{IncidentID: booked.ID, Step: advice.Key, Schedule: domain.ScheduleName(booked.ID, advice.Key, advice.Due)}
		if files["dispatch-pre-arrival.json"], err = encode(fire); err != nil {
			return nil, err
		}
	}

	plan := domain.Plan(flow, domain.DefaultPolicy(), flow.ResolvedAt)
	if len(plan) == 0 {
		return nil, fmt.Errorf("body %s: the default policy plans no follow-up for it", FlowBody)
	}
	step := plan[0]
	fire := schedule.Fire{IncidentID: flow.ID, Step: step.Key, Schedule: domain.ScheduleName(flow.ID, step.Key, step.Due)}
	if files["dispatch-fire.json"], err = encode(fire); err != nil {
		return nil, err
	}
	// What the respond function sends dispatch to render for it: the
	// acknowledgement of a bad answer to the flow's booking, in its
	// guest's language.
	ack := draft.Request{
		Template: "acknowledgement", Locale: flow.Customer.Locale, CustomerName: flow.Customer.Name,
		Title: flow.Title, TimeZone: flow.Customer.TimeZone, Survey: step.Step.Survey, Score: 1,
		Comment: "The shuttle never came.",
	}
	if files["dispatch-render.json"], err = encode(remote.Call{Render: &ack}); err != nil {
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
	// What the rating page's script posts once the customer sees the page
	// (opening the link records nothing: link scanners open every link).
	rating := apiRequest(http.MethodPost, "POST /r/{token}", "/r/"+token, map[string]string{"token": token}, o.Now, "sample-rating")
	const confirm = "confirm=1"
	rating.Headers["accept"] = "application/json"
	rating.Headers["accept-language"] = flow.Customer.Locale
	rating.Headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8"
	rating.Headers["content-length"] = strconv.Itoa(len(confirm))
	rating.Body = confirm
	if files["respond-rating.json"], err = encode(withoutMTLS(rating)); err != nil {
		return nil, err
	}

	base := o.ReplyAddress
	if base == "" {
		base = SampleReplyAddress
	}
	addrs, err := replies.NewAddresses(base, o.LinkKey)
	if err != nil {
		return nil, fmt.Errorf("reply address: %w", err)
	}
	replyTo, err := addrs.Address(flow.ID, step.Key)
	if err != nil {
		return nil, fmt.Errorf("reply address: %w", err)
	}
	// The customer answers three hours after the thank-you went out.
	at := step.Due.Add(3 * time.Hour)
	msg := replyMessage(flow, step.Key, replyTo, at)
	files[ReplyFile] = msg
	bucket := o.InboundBucket
	if bucket == "" {
		bucket = SampleInboundBucket
	}
	if files["replies-s3.json"], err = encode(s3Notification(bucket, "inbound/"+sampleSESMessageID, msg, at)); err != nil {
		return nil, err
	}
	// The thank-you bounced for good: SES's event as EventBridge hands it
	// to the feedback function.
	if files["feedback-bounce.json"], err = sesevents.Sample("bounce-permanent", flow.ID, step.Key, flow.Customer.Email, "sample"); err != nil {
		return nil, err
	}
	return files, nil
}

// replyMessage is the customer's answer to the flow step's email as SES
// stores it: SES's own headers on top (scan verdicts, authentication), then
// the message as María's mail client sent it, quoting the thank-you.
func replyMessage(inc domain.Incident, step, replyTo string, at time.Time) []byte {
	local := at.In(time.FixedZone("CET", 3600))
	lines := []string{
		"Return-Path: <" + inc.Customer.Email + ">",
		"Received: from mail.example.com (mail.example.com [" + sampleSource + "])",
		" by inbound-smtp." + sampleRegion + ".amazonaws.com with SMTP id " + sampleSESMessageID,
		" for <" + replyTo + ">;",
		" " + at.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700 (MST)"),
		"X-SES-Spam-Verdict: PASS",
		"X-SES-Virus-Verdict: PASS",
		"Received-SPF: pass (spfCheck: domain of example.com designates " + sampleSource + " as permitted sender) client-ip=" + sampleSource + "; envelope-from=" + inc.Customer.Email + "; helo=mail.example.com;",
		"Authentication-Results: amazonses.com; spf=pass (spfCheck: domain of example.com designates " + sampleSource + " as permitted sender) client-ip=" + sampleSource + "; envelope-from=" + inc.Customer.Email + "; helo=mail.example.com; dkim=pass header.i=@example.com; dmarc=pass header.from=example.com;",
		"From: =?UTF-8?Q?Mar=C3=ADa_P=C3=A9rez?= <" + inc.Customer.Email + ">",
		"To: Sea Breeze Tours <" + replyTo + ">",
		"Subject: Re: " + inc.Title,
		"In-Reply-To: <" + step + "." + inc.ID + "@seabreeze.example>",
		"References: <" + step + "." + inc.ID + "@seabreeze.example>",
		"Message-ID: <CAF3k9x2-sample-reply-1@mail.example.com>",
		"Date: " + local.Format("Mon, 02 Jan 2006 15:04:05 -0700"),
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=UTF-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		"¡Muchas gracias! La puesta de sol fue preciosa.",
		"¿Podrían enviarnos las fotos que hizo Eleni en el barco?",
		"",
		"María",
		"",
		"El " + local.Add(-3*time.Hour).Format("02/01/2006 15:04") + ", Sea Breeze Tours <" + replyTo + "> escribió:",
		"> Gracias por navegar con nosotros.",
		"> ¿Qué tal fue su experiencia?",
		"",
	}
	return []byte(strings.Join(lines, "\n"))
}

// s3Sample is an S3 event notification as S3 writes it. The library's
// event type also encodes the key it decodes (urlDecodedKey), which S3
// never sends.
type s3Sample struct {
	Records []s3RecordSample `json:"Records"`
}

type s3RecordSample struct {
	EventVersion      string                     `json:"eventVersion"`
	EventSource       string                     `json:"eventSource"`
	AWSRegion         string                     `json:"awsRegion"`
	EventTime         string                     `json:"eventTime"`
	EventName         string                     `json:"eventName"`
	UserIdentity      events.S3UserIdentity      `json:"userIdentity"`
	RequestParameters events.S3RequestParameters `json:"requestParameters"`
	ResponseElements  map[string]string          `json:"responseElements"`
	S3                struct {
		SchemaVersion   string          `json:"s3SchemaVersion"`
		ConfigurationID string          `json:"configurationId"`
		Bucket          events.S3Bucket `json:"bucket"`
		Object          struct {
			Key       string `json:"key"`
			Size      int    `json:"size"`
			ETag      string `json:"eTag"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// s3Notification is the ObjectCreated notification of the inbound bucket
// for a message SES stored at key.
func s3Notification(bucket, key string, msg []byte, at time.Time) s3Sample {
	sum := md5.Sum(msg)
	r := s3RecordSample{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: sampleRegion,
		EventTime:         at.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventName:         "ObjectCreated:Put",
		UserIdentity:      events.S3UserIdentity{PrincipalID: "AWS:AROAEXAMPLESES:ses-receipt"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "10.0.12.34"},
		ResponseElements: map[string]string{
			"x-amz-request-id": "C3D13FE58DE4C810",
			"x-amz-id-2":       "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
		},
	}
	r.S3.SchemaVersion = "1.0"
	r.S3.ConfigurationID = "aftercare-inbound-mail"
	r.S3.Bucket = events.S3Bucket{Name: bucket, OwnerIdentity: events.S3UserIdentity{PrincipalID: "A3NL1KOZZKEXAMPLE"}, Arn: "arn:aws:s3:::" + bucket}
	// S3 URL-encodes keys in notifications; SES's keys need no encoding.
	r.S3.Object.Key = key
	r.S3.Object.Size = len(msg)
	r.S3.Object.ETag = hex.EncodeToString(sum[:])
	r.S3.Object.Sequencer = fmt.Sprintf("%016X", at.UnixNano())
	return s3Sample{Records: []s3RecordSample{r}}
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

// streamRecord is the NEW_AND_OLD_IMAGES stream record of an incident's
// first write (an INSERT: no old image), keyed and laid out as
// shared/store/dynamo writes it, with the "replan" flag on which the
// planner reconciles.
func streamRecord(inc domain.Incident, name string, at time.Time, n int) (events.DynamoDBEventRecord, error) {
	// Stream sequence numbers are decimal strings of up to 40 digits.
	seq := fmt.Sprintf("1000000000000000000%04d", n)
	id := inc.ID
	inc.Version = 1
	doc, err := domain.Encode(inc)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	keys := map[string]events.DynamoDBAttributeValue{
		dynamo.PartitionKey: events.NewStringAttribute(dynamo.IncidentKeyPrefix + id),
		dynamo.SortKey:      events.NewStringAttribute(dynamo.IncidentSortKey),
	}
	image := map[string]events.DynamoDBAttributeValue{
		dynamo.PartitionKey:     keys[dynamo.PartitionKey],
		dynamo.SortKey:          keys[dynamo.SortKey],
		dynamo.VersionAttribute: events.NewNumberAttribute("1"),
		dynamo.DocAttribute:     events.NewStringAttribute(string(doc)),
		dynamo.ReplanAttribute:  events.NewBooleanAttribute(true),
	}
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
			Keys:                        keys,
			NewImage:                    image,
			SequenceNumber:              seq,
			SizeBytes:                   int64(len(dynamo.IncidentKeyPrefix+id) + len(dynamo.IncidentSortKey) + len(doc) + 32),
			StreamViewType:              "NEW_AND_OLD_IMAGES",
		},
	}, nil
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

// firstOfKind finds the first planned step of a kind.
func firstOfKind(plan []domain.PlannedStep, k domain.StepKind) (domain.PlannedStep, bool) {
	for _, s := range plan {
		if s.Kind == k {
			return s, true
		}
	}
	return domain.PlannedStep{}, false
}
