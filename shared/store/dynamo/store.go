package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// API is the part of the DynamoDB client the store uses, as functions:
// ClientAPI takes them from a *dynamodb.Client, and a test may wrap them to
// inject failures. Functions rather than an interface: a client held in an
// interface (or a struct field) makes the linker keep all of its
// operations in a binary that also renders templates, megabytes a function.
type API struct {
	GetItem      func(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem      func(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query        func(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem func(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	// DeleteItem serves Delete (erasing a person's data: the admin
	// command; no function's role may delete an incident) and the
	// ephemera (TakeEphemeral, DeleteEphemeral: the team pages' role may
	// delete "eph#" items only).
	DeleteItem func(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	// UpdateItem serves the ephemeral counters (rate limits).
	UpdateItem func(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	// TransactWriteItems serves AddCounts. The planner, which only
	// counts, composes a store with this function alone.
	TransactWriteItems func(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// ClientAPI is the API of a DynamoDB client.
func ClientAPI(c *dynamodb.Client) API {
	return API{
		GetItem: c.GetItem, PutItem: c.PutItem, Query: c.Query, BatchGetItem: c.BatchGetItem, DeleteItem: c.DeleteItem,
		UpdateItem: c.UpdateItem, TransactWriteItems: c.TransactWriteItems,
	}
}

// Defaults for Config's zero fields.
const (
	// DefaultRetention keeps an incident a little over a year after its
	// last change: long enough for a yearly report and a returning
	// guest's next season, short enough not to hoard personal data.
	DefaultRetention = 400 * 24 * time.Hour
	// DefaultMaxTries bounds Update's optimistic retries. Writers of one
	// incident are few (a webhook, a dispatch, an answer), so sixteen lost
	// races in a row, over seconds of backoff, mean something is wrong,
	// not busy. Ten proved too few: eight writers hammering one incident
	// (the contract suite) starved one about once in 200 runs, and a retry
	// costs a read and a write while giving up fails a webhook delivery.
	DefaultMaxTries = 16
)

// Config configures a Store. Zero fields take the defaults.
type Config struct {
	// Table is the DynamoDB table name (required).
	Table string
	// Retention is how long after its last change an incident is kept
	// (see TTLAttribute).
	Retention time.Duration
	// MaxTries is how often Update runs fn before giving up with
	// store.ErrConflict.
	MaxTries int
	// Now is the wall clock for expiry; time.Now if nil.
	Now func() time.Time
}

// Store is a store.Store on one DynamoDB table (see the package doc for the
// item layout). It is safe for concurrent use.
type Store struct {
	client API
	cfg    Config
}

var _ store.Team = (*Store)(nil)

// New returns a store on table with the default retention and retries.
func New(client *dynamodb.Client, table string) *Store {
	return NewWithConfig(ClientAPI(client), Config{Table: table})
}

// NewWithConfig returns a store configured by cfg.
func NewWithConfig(client API, cfg Config) *Store {
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.MaxTries <= 0 {
		cfg.MaxTries = DefaultMaxTries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{client: client, cfg: cfg}
}

// Get returns the incident or store.ErrNotFound. It reads consistently, so
// a dispatcher re-checking a step sees the latest write.
func (s *Store) Get(ctx context.Context, id string) (domain.Incident, error) {
	item, err := s.getItem(ctx, id)
	if err != nil {
		return domain.Incident{}, err
	}
	if item == nil {
		return domain.Incident{}, fmt.Errorf("dynamo: get %s: %w", id, store.ErrNotFound)
	}
	return decodeItem(id, item)
}

// Delete removes an incident's item (and so its listing index entry); a
// missing one is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if s.client.DeleteItem == nil {
		return fmt.Errorf("dynamo: delete %s: this store's client cannot delete", id)
	}
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.cfg.Table), Key: key(id)}); err != nil {
		return fmt.Errorf("dynamo: delete %s: %w", id, err)
	}
	return nil
}

// getItem reads an incident's item consistently; nil if there is none.
func (s *Store) getItem(ctx context.Context, id string) (map[string]types.AttributeValue, error) {
	return s.getConsistent(ctx, "get "+id, key(id))
}

// getConsistent reads one item with a consistent read (nil if there is
// none); what names the read in errors ("get contact con_…").
func (s *Store) getConsistent(ctx context.Context, what string, k map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dynamo: %s: %w", what, err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.cfg.Table),
		Key:            k,
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: %s: %w", what, err)
	}
	return out.Item, nil
}

// Update loads the incident, lets fn change it and writes it back only if
// nobody wrote in between; otherwise it reloads and calls fn again, up to
// MaxTries times, then returns store.ErrConflict.
func (s *Store) Update(ctx context.Context, id string, fn func(*domain.Incident) error) (domain.Incident, error) {
	return update(ctx, s, record[domain.Incident]{
		what: "incident", get: s.getItem, decode: decodeItem, put: s.put,
		key: func(inc *domain.Incident) string { return inc.ID }, version: func(inc *domain.Incident) *int64 { return &inc.Version },
	}, id, fn)
}

// UpdateFrom is Update starting from from (as last read): the first try
// puts without a GetItem, on the condition that the version is still
// from's; only if somebody wrote since does it fall back to Update.
func (s *Store) UpdateFrom(ctx context.Context, from domain.Incident, fn func(*domain.Incident) error) (domain.Incident, error) {
	if from.ID == "" || from.Version == 0 {
		return s.Update(ctx, from.ID, fn)
	}
	doc, err := domain.Encode(from)
	if err != nil {
		return domain.Incident{}, fmt.Errorf("dynamo: update %s: %w", from.ID, err)
	}
	var loaded, next domain.Incident
	if err := json.Unmarshal(doc, &loaded); err != nil {
		return domain.Incident{}, err
	}
	if err := json.Unmarshal(doc, &next); err != nil {
		return domain.Incident{}, err
	}
	loaded.Version, next.Version = from.Version, from.Version
	if err := fn(&next); err != nil {
		if errors.Is(err, store.ErrUnchanged) {
			return loaded, nil
		}
		return domain.Incident{}, err
	}
	if next.ID != from.ID {
		return domain.Incident{}, fmt.Errorf("dynamo: update %s: fn left the incident id %q", from.ID, next.ID)
	}
	next.Version = loaded.Version + 1
	err = s.put(ctx, next, loaded.Version, true)
	var lost *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return next, nil
	case errors.As(err, &lost):
		return s.Update(ctx, from.ID, fn) // somebody wrote since: read and retry
	default:
		return domain.Incident{}, fmt.Errorf("dynamo: put %s: %w", from.ID, err)
	}
}

// optimistic runs one read-decide-put attempt until no concurrent writer
// wins its conditional put: when one did, it waits a jittered backoff and
// tries again, up to MaxTries times, then returns store.ErrConflict. An
// attempt's other errors end it, returned as they are.
func optimistic[T any](ctx context.Context, s *Store, what string, attempt func() (T, error)) (T, error) {
	var zero T
	for try := 1; ; try++ {
		v, err := attempt()
		var lost *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return v, nil
		case !errors.As(err, &lost):
			return zero, err
		case try >= s.cfg.MaxTries:
			return zero, fmt.Errorf("dynamo: update %s: lost %d races: %w", what, try, store.ErrConflict)
		}
		if err := backoff(ctx, try); err != nil {
			return zero, fmt.Errorf("dynamo: update %s: %w", what, err)
		}
	}
}

// record is what the optimistic read-decide-put needs to know of one
// stored type (incidents, contacts).
type record[T any] struct {
	what    string // in messages
	get     func(ctx context.Context, key string) (map[string]types.AttributeValue, error)
	decode  func(key string, item map[string]types.AttributeValue) (T, error)
	put     func(ctx context.Context, v T, prev int64, exists bool) error
	key     func(*T) string
	version func(*T) *int64
}

// update loads the record under key (the zero value if there is none),
// runs fn on it and puts the result on the condition that the stored
// version is still the one read, retrying as optimistic does. The item is
// decoded twice, so fn's changes to maps, slices and pointers never leak
// into the record as loaded, which ErrUnchanged returns.
func update[T any](ctx context.Context, s *Store, r record[T], key string, fn func(*T) error) (T, error) {
	var zero T
	if key == "" {
		return zero, fmt.Errorf("dynamo: update %s: empty key", r.what)
	}
	return optimistic(ctx, s, r.what+" "+key, func() (T, error) {
		item, err := r.get(ctx, key)
		if err != nil {
			return zero, err
		}
		var loaded, next T
		if item != nil {
			if loaded, err = r.decode(key, item); err != nil {
				return zero, err
			}
			if next, err = r.decode(key, item); err != nil {
				return zero, err
			}
		}
		if err := fn(&next); errors.Is(err, store.ErrUnchanged) {
			return loaded, nil
		} else if err != nil {
			return zero, err // unchanged, as the port promises
		}
		if got := r.key(&next); got != key {
			return zero, fmt.Errorf("dynamo: update %s %s: fn left the key %q (set it to %q to create)", r.what, key, got, key)
		}
		// A cancellation during fn must not be followed by a write that
		// the caller would then be told failed.
		if err := ctx.Err(); err != nil {
			return zero, fmt.Errorf("dynamo: update %s %s: %w", r.what, key, err)
		}
		prev := *r.version(&loaded)
		*r.version(&next) = prev + 1
		if err := r.put(ctx, next, prev, item != nil); err != nil {
			return next, fmt.Errorf("dynamo: put %s %s: %w", r.what, key, err)
		}
		return next, nil
	})
}

// put writes inc if the stored version is still prev (or, when !exists, if
// there is still no item).
func (s *Store) put(ctx context.Context, inc domain.Incident, prev int64, exists bool) error {
	item, err := encodeItem(inc, s.expiry(inc.UpdatedAt))
	if err != nil {
		return err
	}
	return s.putVersioned(ctx, item, prev, exists)
}

// putVersioned writes item if the stored version is still prev (or, when
// !exists, if there is still no item): the optimistic write incidents and
// contacts share.
func (s *Store) putVersioned(ctx context.Context, item map[string]types.AttributeValue, prev int64, exists bool) error {
	in := &dynamodb.PutItemInput{
		TableName:                aws.String(s.cfg.Table),
		Item:                     item,
		ExpressionAttributeNames: map[string]string{"#k": PartitionKey},
		ConditionExpression:      aws.String("attribute_not_exists(#k)"),
	}
	if exists {
		in.ExpressionAttributeNames = map[string]string{"#v": VersionAttribute}
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": number(prev)}
	}
	_, err := s.client.PutItem(ctx, in)
	return err
}

// expiry is when DynamoDB may delete an incident last changed at updated:
// counted from the later of that and now, so that writing an old incident
// (a re-import, a replayed event) never schedules it for deletion at once.
func (s *Store) expiry(updated time.Time) time.Time {
	from := s.cfg.Now()
	if updated.After(from) {
		from = updated
	}
	return from.Add(s.cfg.Retention)
}

// Backoff bounds: full jitter up to backoffBase doubled per lost race,
// capped at backoffCap. Measured against the contract's eight writers on one
// incident, with ten tries 5 ms/100 ms starved a writer about once in 20
// runs and 10 ms/250 ms once in 200; with sixteen tries, never in 300.
//
// Reusing the winner's item returned by the failed put
// (ReturnValuesOnConditionCheckFailure) to skip the reload was tried and is
// worse: after a backoff that item is stale, and without a backoff the
// writers collide in lockstep. Re-reading after the backoff converges.
const (
	backoffBase = 10 * time.Millisecond
	backoffCap  = 250 * time.Millisecond
)

// backoff sleeps a jittered, growing delay before retry try+1, so that
// writers that collided do not collide again in lockstep.
func backoff(ctx context.Context, try int) error {
	ceiling := min(backoffBase<<min(try-1, 10), backoffCap)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StoredSize is the incident's item size as DynamoDB counts it (attribute
// names plus values), which must stay under its 400 KB item limit.
func (s *Store) StoredSize(ctx context.Context, id string) (int, error) {
	item, err := s.getItem(ctx, id)
	if err != nil {
		return 0, err
	}
	if item == nil {
		return 0, fmt.Errorf("dynamo: size %s: %w", id, store.ErrNotFound)
	}
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		default:
			n += 8
		}
	}
	return n, nil
}
