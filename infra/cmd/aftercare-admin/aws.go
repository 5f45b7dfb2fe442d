package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/schedule/eventbridge"
	"github.com/aftercare/aftercare/shared/store/dynamo"
)

// adminFunction is what the command reads on AWS, as a function would:
// the table, the contact key and the policy (awswire.Function.Parameters).
var adminFunction = awswire.Function{Name: "aftercare-admin", Contacts: true}

// awsService composes the use cases against a deployed stack: its outputs
// name the table, the secrets path, the schedule group and the inbound
// bucket. Credentials and region come from the environment (AWS_REGION,
// AWS_ACCESS_KEY_ID, …), as `aws configure export-credentials --format
// env` prints them.
func awsService(ctx context.Context, stack string, getenv func(string) string) (*app.Service, error) {
	cfg := awswire.AWSConfig(getenv)
	if cfg.Region == "" {
		return nil, errors.New("set AWS_REGION (and the credentials: eval \"$(aws configure export-credentials --format env)\")")
	}
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	if len(out.Stacks) != 1 {
		return nil, fmt.Errorf("stack %s: %d stacks found", stack, len(out.Stacks))
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, k := range []string{"TableName", "SecretsPath", "ScheduleGroupName", "PublicUrl"} {
		if outputs[k] == "" {
			return nil, fmt.Errorf("stack %s has no output %s: deploy this version's template.yaml", stack, k)
		}
	}
	overlay := map[string]string{
		awswire.EnvTable: outputs["TableName"], awswire.EnvSecretsPath: outputs["SecretsPath"],
		awswire.EnvPublicURL: outputs["PublicUrl"], awswire.EnvFrom: "aftercare-admin@sends.nothing.invalid",
	}
	e, err := awswire.Load(ctx, adminFunction, func(k string) string {
		if v, ok := overlay[k]; ok {
			return v
		}
		return getenv(k)
	}, nil, nil)
	if err != nil {
		return nil, err
	}
	canceller, err := eventbridge.NewCanceller(scheduler.NewFromConfig(e.AWS), outputs["ScheduleGroupName"])
	if err != nil {
		return nil, err
	}
	ports := compose.Ports{Store: dynamo.New(dynamodb.NewFromConfig(e.AWS), e.Table), Scheduler: canceller}
	if b := outputs["InboundBucketName"]; b != "" {
		// Path-style addressing for an endpoint override (emulators).
		pathStyle := func(o *s3.Options) { o.UsePathStyle = e.AWS.BaseEndpoint != nil }
		ports.Messages = bucketMessages{client: s3.NewFromConfig(e.AWS, pathStyle), bucket: b}
	}
	return compose.Service(e.Settings, ports, nil)
}

// bucketMessages deletes raw replies from the stack's inbound bucket
// ("s3://bucket/key" references). SES keeps no copy of what was sent.
type bucketMessages struct {
	client *s3.Client
	bucket string
}

func (b bucketMessages) DeleteMessage(ctx context.Context, ref string) error {
	rest, ok := strings.CutPrefix(ref, "s3://"+b.bucket+"/")
	if !ok || rest == "" {
		return fmt.Errorf("%q is not a message in the inbound bucket %s", ref, b.bucket)
	}
	if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(rest)}); err != nil {
		return fmt.Errorf("delete %s: %w", ref, err)
	}
	return nil
}

func (bucketMessages) ForgetSent(context.Context, string) (int, error) { return 0, nil }
