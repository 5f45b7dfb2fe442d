package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/store/dynamo/layout"
)

// The table's definition and the key values of incident items are in
// package layout (which links no SDK client, for the stream's reader);
// these names keep them at hand here.
const (
	PartitionKey       = layout.PartitionKey
	SortKey            = layout.SortKey
	GSI1               = layout.GSI1
	GSI1PartitionKey   = layout.GSI1PartitionKey
	GSI1SortKey        = layout.GSI1SortKey
	GSI2               = layout.GSI2
	GSI2PartitionKey   = layout.GSI2PartitionKey
	GSI2SortKey        = layout.GSI2SortKey
	TTLAttribute       = layout.TTLAttribute
	VersionAttribute   = layout.VersionAttribute
	UpdatedAtAttribute = layout.UpdatedAtAttribute
	DocAttribute       = layout.DocAttribute
	ReplanAttribute    = layout.ReplanAttribute
	IncidentKeyPrefix  = layout.IncidentKeyPrefix
	IncidentSortKey    = layout.IncidentSortKey
	ListKeyPrefix      = layout.ListKeyPrefix
	ContactKeyPrefix   = layout.ContactKeyPrefix
	ContactSortKey     = layout.ContactSortKey
	AttentionPartition = layout.AttentionPartition
	EphemeralKeyPrefix = layout.EphemeralKeyPrefix
	EphemeralSortKey   = layout.EphemeralSortKey
	CountsKeyPrefix    = layout.CountsKeyPrefix
	CountsSortKey      = layout.CountsSortKey
	ChangeKeyPrefix    = layout.ChangeKeyPrefix
	ChangeSortKey      = layout.ChangeSortKey
)

// ListShards is how many GSI1 partitions each month's incidents are spread
// over, by a hash of the incident id. Every write lands in the current
// month, so the index takes about ListShards × 1,000 writes per second
// (DynamoDB's per-partition ceiling) before it throttles; List pays
// ListShards small queries per month it walks. It may be raised (List
// queries shards 0..ListShards-1, a superset of the old ones, and an
// incident moves to its new shard on its next write); lowering it hides
// the incidents in the dropped shards until they are written again.
const ListShards = 16

// Formats of the listing index's keys: the month of GSI1PartitionKey and
// the hour of UpdatedAt that leads GSI1SortKey, both UTC and fixed width
// so that string order is time order.
const (
	listMonthFormat = "2006-01"
	listHourFormat  = "2006-01-02T15"
)

// TimeFormat is how UpdatedAtAttribute spells a time: UTC,
// fixed width, nanoseconds always present, so that string order is time
// order (time.RFC3339Nano drops trailing zeros and would not sort).
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// TableAPI is the part of the DynamoDB client that CreateTable needs.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// CreateTableInput describes the incidents table as template.yaml declares
// it: on-demand billing, string keys, the KEYS_ONLY listing index (whose
// sharded key values live in the items, not in the schema) and the sparse
// KEYS_ONLY attention index.
func CreateTableInput(table string) *dynamodb.CreateTableInput {
	s := types.ScalarAttributeTypeS
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(PartitionKey), AttributeType: s},
			{AttributeName: aws.String(SortKey), AttributeType: s},
			{AttributeName: aws.String(GSI1PartitionKey), AttributeType: s},
			{AttributeName: aws.String(GSI1SortKey), AttributeType: s},
			{AttributeName: aws.String(GSI2PartitionKey), AttributeType: s},
			{AttributeName: aws.String(GSI2SortKey), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(GSI1),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(GSI1PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(GSI1SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}, {
			IndexName: aws.String(GSI2),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(GSI2PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(GSI2SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	}
}

// CreateTable creates the incidents table, waits until it is active and
// enables TTL on TTLAttribute. It is for tests and local experiments; on AWS
// the SAM template owns the table.
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	if _, err := client.CreateTable(ctx, CreateTableInput(table)); err != nil {
		return fmt.Errorf("dynamo: create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("dynamo: wait for table %s: %w", table, err)
	}
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("dynamo: enable TTL on %s: %w", table, err)
	}
	return nil
}
