// Package store defines the incident repository port. Adapters live in
// sub-packages (bolt for the local runtime, dynamo for AWS) and all pass the
// same contract suite in storetest.
package store

import (
	"context"
	"errors"

	"github.com/aftercare/aftercare/shared/domain"
)

// ErrNotFound is returned for an incident that does not exist.
var ErrNotFound = errors.New("incident not found")

// ErrUnchanged may be returned by an Update function to leave the stored
// incident as it is; Update then returns the loaded incident and no error.
var ErrUnchanged = errors.New("unchanged")

// ErrConflict is returned when a concurrent writer kept winning and Update
// gave up retrying.
var ErrConflict = errors.New("incident changed concurrently")

// Store keeps incidents. Update keeps the transaction in the adapter and the
// decision in the domain: the adapter loads, calls fn, and writes back only
// if nobody else wrote in between (retrying fn if somebody did).
type Store interface {
	// Get returns the incident or ErrNotFound.
	Get(ctx context.Context, id string) (domain.Incident, error)
	// Update loads the incident (the zero Incident if there is none), lets fn
	// change it and stores the result with an optimistic version check. fn
	// may run more than once and must not have side effects. To create an
	// incident, fn sets its ID to id. An error from fn is returned unchanged
	// (except ErrUnchanged, which skips the write).
	Update(ctx context.Context, id string, fn func(*domain.Incident) error) (domain.Incident, error)
	// UpdateFrom is Update starting from an incident the caller has just
	// read (Get or a previous Update): when nobody wrote since, it costs
	// the write alone, no read; otherwise it reads and retries as Update.
	// fn must not keep a reference to from's maps or slices.
	UpdateFrom(ctx context.Context, from domain.Incident, fn func(*domain.Incident) error) (domain.Incident, error)
	// List returns up to limit incidents, most recently updated first. It
	// serves the dev console and operators' reports, not request paths.
	List(ctx context.Context, limit int) ([]domain.Incident, error)
	// Delete removes an incident for good (erasing a person's data); a
	// missing one is not an error, so an interrupted erase can be rerun.
	Delete(ctx context.Context, id string) error

	// GetContact returns the contact with the given key (domain.ContactKey)
	// or ErrNotFound.
	GetContact(ctx context.Context, key string) (domain.Contact, error)
	// UpdateContact is Update for contacts: it loads the contact (the zero
	// Contact if there is none), lets fn change it and stores the result
	// only if nobody wrote in between, retrying fn if somebody did; fn sets
	// Key to key to create. ErrUnchanged from fn skips the write. This is
	// what makes a survey budget claimed once however many dispatchers race.
	UpdateContact(ctx context.Context, key string, fn func(*domain.Contact) error) (domain.Contact, error)
}

// None is the store of a composition that reads and writes no incident:
// the planner works from the stream's images of the item before and after
// each write. Every call fails, naming why, so a use case run where it
// cannot be says so (and the planner's role may not touch the table).
type None struct{}

var _ Store = None{}

var errNone = errors.New("store: this composition has no incident store")

// Get fails: there is no store.
func (None) Get(context.Context, string) (domain.Incident, error) { return domain.Incident{}, errNone }

// Update fails: there is no store.
func (None) Update(context.Context, string, func(*domain.Incident) error) (domain.Incident, error) {
	return domain.Incident{}, errNone
}

// UpdateFrom fails: there is no store.
func (None) UpdateFrom(context.Context, domain.Incident, func(*domain.Incident) error) (domain.Incident, error) {
	return domain.Incident{}, errNone
}

// List fails: there is no store.
func (None) List(context.Context, int) ([]domain.Incident, error) { return nil, errNone }

// Delete fails: there is no store.
func (None) Delete(context.Context, string) error { return errNone }

// GetContact fails: there is no store.
func (None) GetContact(context.Context, string) (domain.Contact, error) {
	return domain.Contact{}, errNone
}

// UpdateContact fails: there is no store.
func (None) UpdateContact(context.Context, string, func(*domain.Contact) error) (domain.Contact, error) {
	return domain.Contact{}, errNone
}
