// Command render is the start-up floor of `make bench` for the function
// that renders and sends email (dispatch): the send floor
// (infra/bench/floor/send) plus hermes, which renders every branded email.
// Nothing of Aftercare's own is linked.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/matcornic/hermes/v2"

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
			h := hermes.Hermes{Product: hermes.Product{Name: table}}
			html, err := h.GenerateHTML(hermes.Email{Body: hermes.Body{Name: secret}})
			if err != nil {
				return "", err
			}
			_, err = send(ctx, &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("care@example.com"),
				Content:          &types.EmailContent{Simple: &types.Message{Body: &types.Body{Html: &types.Content{Data: aws.String(html)}}}},
			})
			return "hello " + table, err
		}
	})
}
