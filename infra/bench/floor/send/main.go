// Command send is the start-up floor of `make bench` for a function that
// sends email but renders it elsewhere (respond, which renders through
// dispatch): the store floor (infra/bench/floor/store) plus the design
// card's SESv2 client (SendEmail). Nothing of Aftercare's own is linked.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/aftercare/aftercare/infra/bench/floor"
)

func main() {
	floor.Main(func(cfg aws.Config, secret string) any {
		get := dynamodb.NewFromConfig(cfg).GetItem
		send := sesv2.NewFromConfig(cfg).SendEmail
		return func(ctx context.Context, table string) (string, error) {
			if _, err := get(ctx, &dynamodb.GetItemInput{TableName: aws.String(table)}); err != nil {
				return "", err
			}
			_, err := send(ctx, &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("care@example.com"),
				Content:          &types.EmailContent{Simple: &types.Message{Body: &types.Body{Text: &types.Content{Data: aws.String(secret)}}}},
			})
			return "hello " + table, err
		}
	})
}
