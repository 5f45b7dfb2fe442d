package web_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/mail/outbox"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/store/bolt"
)

// adapters are the real local adapters every test environment here runs
// on, in a temporary directory: a bbolt store, an .eml outbox and the
// local scheduler, whose fired schedules go to the service in svc once the
// environment has composed it.
type adapters struct {
	dir    string
	store  *bolt.Store
	outbox *outbox.Outbox
	sched  *localsched.Scheduler
	svc    *app.Service
}

func newAdapters(t *testing.T, clk clock.Clock) *adapters {
	t.Helper()
	a := &adapters{dir: t.TempDir()}
	var err error
	if a.store, err = bolt.Open(filepath.Join(a.dir, "aftercare.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.store.Close() })
	if a.outbox, err = outbox.New(filepath.Join(a.dir, "outbox")); err != nil {
		t.Fatal(err)
	}
	target := func(ctx context.Context, f schedule.Fire) error { _, err := a.svc.Dispatch(ctx, f); return err }
	if a.sched, err = localsched.Open(filepath.Join(a.dir, "schedules.db"), clk, target, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.sched.Close() })
	return a
}
