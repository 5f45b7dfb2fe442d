// Command render is the start-up floor of `make bench` for the function
// that renders and sends email (dispatch): the store floor
// (infra/bench/floor/store) plus the design card's SESv2 client
// (SendEmail) and hermes, which renders every branded email. Nothing of
// Aftercare's own is linked.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/matcornic/hermes/v2"

	"github.com/aftercare/aftercare/infra/bench/floor"
)

func main() {
	cfg, secret, err := floor.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	get := dynamodb.NewFromConfig(cfg).GetItem
	send := sesv2.NewFromConfig(cfg).SendEmail
	lambda.Start(func(ctx context.Context, table string) (string, error) {
		if _, err := get(ctx, &dynamodb.GetItemInput{TableName: aws.String(table)}); err != nil {
			return "", err
		}
		h := hermes.Hermes{Product: hermes.Product{Name: table}}
		html, err := h.GenerateHTML(hermes.Email{Body: hermes.Body{Name: fmt.Sprintf("%d", len(secret))}})
		if err != nil {
			return "", err
		}
		_, err = send(ctx, &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("care@example.com"),
			Content:          &types.EmailContent{Simple: &types.Message{Body: &types.Body{Html: &types.Content{Data: aws.String(html)}}}},
		})
		return "hello " + table, err
	})
}
