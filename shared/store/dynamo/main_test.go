package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftercare/aftercare/infra/emulators"
	"github.com/aftercare/aftercare/shared/store"
	"github.com/aftercare/aftercare/shared/store/dynamo"
	"github.com/aftercare/aftercare/shared/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(emulators.Run(m)) }

// client returns an SDK client for DynamoDB Local: static dummy
// credentials, a fixed region and the emulator as base endpoint, so nothing
// is read from the environment or from instance metadata.
func client(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(emulators.DynamoDB(t)),
	})
}

var tables atomic.Int64

// newTable creates a fresh, uniquely named table and drops it after the test.
func newTable(t testing.TB, c *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("incidents-%d-%d", time.Now().UnixNano(), tables.Add(1))
	if err := dynamo.CreateTable(t.Context(), c, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Logf("delete table %s: %v", name, err)
		}
	})
	return name
}

func TestContract(t *testing.T) {
	began := time.Now()
	emulators.DynamoDB(t) // skip (or fail in CI) once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store {
		c := client(t)
		return dynamo.New(c, newTable(t, c))
	})
	t.Logf("contract suite took %s", time.Since(began).Round(time.Millisecond))
}

func TestTeamContract(t *testing.T) {
	began := time.Now()
	emulators.DynamoDB(t)
	storetest.RunTeam(t, func(t *testing.T) store.Team {
		c := client(t)
		return dynamo.New(c, newTable(t, c))
	})
	t.Logf("team contract suite took %s", time.Since(began).Round(time.Millisecond))
}
