package dynamo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/store"
)

// Contacts share the incidents' table under their own key:
//
//	pk (S)          "CON#<contact key>"
//	sk (S)          "CONTACT"
//	version (N)     optimistic-concurrency counter, 1 on create
//	expires_at (N)  TTL, epoch seconds: max(LastSeen, write time) + retention;
//	                absent once the person unsubscribed or was suppressed
//	                (a bounce, a complaint, an erase): that entry is kept
//	                for good, so they are never mailed again
//	doc (S)         the whole contact as JSON
//
// No listing-index attributes (contacts are never listed, so a contact
// write costs no index write and List never meets one) and no replan (the
// planner's stream filter passes none of their writes).

// contactKey is the primary key of a contact's item.
func contactKey(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PartitionKey: str(ContactKeyPrefix + key),
		SortKey:      str(ContactSortKey),
	}
}

// GetContact returns the contact or store.ErrNotFound, read consistently
// like an incident, so a dispatcher sees the latest survey claim.
func (s *Store) GetContact(ctx context.Context, key string) (domain.Contact, error) {
	item, err := s.getContactItem(ctx, key)
	if err != nil {
		return domain.Contact{}, err
	}
	if item == nil {
		return domain.Contact{}, fmt.Errorf("dynamo: get contact %s: %w", key, store.ErrNotFound)
	}
	return decodeContactItem(key, item)
}

// getContactItem reads a contact's item consistently; nil if there is none.
func (s *Store) getContactItem(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	return s.getConsistent(ctx, "get contact "+key, contactKey(key))
}

// UpdateContact is Update for contacts: it loads the contact, lets fn
// change it and writes it back only if nobody wrote in between; otherwise
// it waits the same backoff as Update, reloads and calls fn again, up to
// MaxTries times, then returns store.ErrConflict. Racing claims of one
// survey budget thus run one after another: the loser's fn sees the
// winner's claim.
func (s *Store) UpdateContact(ctx context.Context, key string, fn func(*domain.Contact) error) (domain.Contact, error) {
	return update(ctx, s, record[domain.Contact]{
		what: "contact", get: s.getContactItem, decode: decodeContactItem, put: s.putContact,
		key: func(c *domain.Contact) string { return c.Key }, version: func(c *domain.Contact) *int64 { return &c.Version },
	}, key, fn)
}

// putContact writes c if the stored version is still prev (or, when
// !exists, if there is still no item).
func (s *Store) putContact(ctx context.Context, c domain.Contact, prev int64, exists bool) error {
	item, err := encodeContactItem(c, s.expiry(c.LastSeen).Unix())
	if err != nil {
		return err
	}
	return s.putVersioned(ctx, item, prev, exists)
}

// encodeContactItem lays a contact out as described above; expires is the
// TTL in epoch seconds.
func encodeContactItem(c domain.Contact, expires int64) (map[string]types.AttributeValue, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("dynamo: encode contact %s: %w", c.Key, err)
	}
	doc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(doc) > maxDoc {
		return nil, fmt.Errorf("dynamo: contact %s encodes to %d bytes, over DynamoDB's 400 KB item limit", c.Key, len(doc))
	}
	item := contactKey(c.Key)
	item[VersionAttribute] = number(c.Version)
	if c.Consent.State == "" {
		item[TTLAttribute] = number(expires)
	}
	item[DocAttribute] = str(string(doc))
	return item, nil
}

// decodeContactItem reads a contact back. The version attribute, which
// the conditional writes check, is authoritative over the copy in doc.
func decodeContactItem(key string, item map[string]types.AttributeValue) (domain.Contact, error) {
	var c domain.Contact
	doc, ok := item[DocAttribute].(*types.AttributeValueMemberS)
	if !ok {
		return c, fmt.Errorf("dynamo: contact %s is corrupt: no %s string", key, DocAttribute)
	}
	if err := json.Unmarshal([]byte(doc.Value), &c); err != nil {
		return domain.Contact{}, fmt.Errorf("dynamo: contact %s is corrupt: %w", key, err)
	}
	if c.Key != key {
		return domain.Contact{}, fmt.Errorf("dynamo: contact %s is corrupt: its document says key %q", key, c.Key)
	}
	v, ok := item[VersionAttribute].(*types.AttributeValueMemberN)
	if !ok {
		return domain.Contact{}, fmt.Errorf("dynamo: contact %s is corrupt: no %s number", key, VersionAttribute)
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return domain.Contact{}, fmt.Errorf("dynamo: contact %s is corrupt: %s: %w", key, VersionAttribute, err)
	}
	c.Version = n
	return c, nil
}
