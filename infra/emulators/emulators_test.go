package emulators_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/aftercare/aftercare/infra/emulators"
)

func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }

var creds = credentials.NewStaticCredentialsProvider("test", "test", "")

func TestDynamoDB(t *testing.T) {
	began := time.Now()
	ep := emulators.DynamoDB(t)
	t.Logf("first call took %s", time.Since(began).Round(time.Millisecond))
	if !strings.HasPrefix(ep, "http://127.0.0.1:") {
		t.Fatalf("endpoint %q, want http://127.0.0.1:<port>", ep)
	}
	if again := emulators.DynamoDB(t); again != ep {
		t.Fatalf("second call started another emulator: %s, then %s", ep, again)
	}
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(ep)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables: %v", err)
	}
}

func TestSES(t *testing.T) {
	ep := emulators.SES(t)
	c := sesv2.New(sesv2.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(ep)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	to := "harness-" + time.Now().Format("150405.000000000") + "@example.com"
	out, err := c.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("team@example.com"),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("Καλημέρα")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("¿Qué tal?")}},
			Headers: []sestypes.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String("<https://example.com/u>")}},
		}},
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	var got *emulators.SESMessage
	for _, m := range emulators.SESMessages(t, ep) {
		if len(m.Destination.To) == 1 && m.Destination.To[0] == to {
			got = &m
		}
	}
	if got == nil {
		t.Fatalf("message to %s not in the emulator's store", to)
	}
	if got.MessageID != aws.ToString(out.MessageId) || got.Subject != "Καλημέρα" || got.Body.Text != "¿Qué tal?" {
		t.Errorf("stored %+v, sent id %s", *got, aws.ToString(out.MessageId))
	}
	if len(got.Headers) != 1 || got.Headers[0].Name != "List-Unsubscribe" {
		t.Errorf("headers %+v, want List-Unsubscribe", got.Headers)
	}
}
