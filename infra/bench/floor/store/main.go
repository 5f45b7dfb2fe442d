// Command store is a start-up floor of `make bench`: the hello-world
// function plus what every Aftercare function that keeps incidents cannot
// do without — the DynamoDB client of the design card (one operation, held
// as a method value as the functions hold theirs) and the cold-start read of
// a secret from Parameter Store (shared/awswire/parameters, the same call
// the functions make). Nothing of Aftercare's own is linked, so the gap
// between a function and this floor is what Aftercare adds, and the gap
// between this floor and hello is what the card's packages and the secret
// read cost before any of it.
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftercare/aftercare/infra/bench/floor"
)

func main() {
	floor.Main(func(cfg aws.Config, secret string) any {
		get := dynamodb.NewFromConfig(cfg).GetItem
		return func(ctx context.Context, table string) (string, error) {
			_, err := get(ctx, &dynamodb.GetItemInput{TableName: aws.String(table)})
			return fmt.Sprintf("hello %s (%d-byte secret)", table, len(secret)), err
		}
	})
}
