package bolt

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/aftercare/aftercare/shared/domain"
)

// TestContactsOnOlderFile opens a file written before contacts existed
// (no contacts bucket): Open adds the bucket, and contacts persist across
// a reopen next to the incidents.
func TestContactsOnOlderFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	inc := put(t, s, "inc_a", time.Unix(100, 0).UTC())
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(contactsBucket) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("EET", 2*60*60))
	c, err := s.UpdateContact(t.Context(), "con_a", func(c *domain.Contact) error {
		c.Key, c.Email, c.Name = "con_a", "ana@example.com", "<Ana & Νίκος>"
		c.LastSeen = at
		return c.ClaimSurvey("inc_a", "c1.csat", time.Hour, at)
	})
	if err != nil {
		t.Fatalf("UpdateContact on an older file: %v", err)
	}
	var raw string
	if err := s.db.View(func(tx *bbolt.Tx) error {
		raw = string(tx.Bucket(contactsBucket).Get([]byte("con_a")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `"name":"<Ana & Νίκος>"`) {
		t.Errorf("stored contact %s: want JSON without HTML escaping", raw)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("second reopen: %v", err)
	}
	defer s.Close()
	got, err := s.GetContact(t.Context(), "con_a")
	if err != nil {
		t.Fatalf("GetContact after reopen: %v", err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("contact after reopen (-want +got):\n%s", diff)
	}
	if got, err := s.Get(t.Context(), "inc_a"); err != nil || got.Version != inc.Version {
		t.Errorf("incident after reopen: v%d, %v", got.Version, err)
	}
}

func TestCorruptContactNamesKey(t *testing.T) {
	s := openTemp(t)
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(contactsBucket).Put([]byte("con_bad"), []byte(`{"key": "con_bad", "version": "x`))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetContact(t.Context(), "con_bad")
	if err == nil || !strings.Contains(err.Error(), `contact "con_bad" is corrupt`) {
		t.Errorf("GetContact(corrupt) error = %v, want one naming the contact", err)
	}
	called := false
	_, err = s.UpdateContact(t.Context(), "con_bad", func(*domain.Contact) error { called = true; return nil })
	if err == nil || called {
		t.Errorf("UpdateContact(corrupt): error %v, fn called %v; want an error and no call", err, called)
	}
}
