package links

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

var (
	keyA = bytes.Repeat([]byte("a"), 32)
	keyB = bytes.Repeat([]byte("b"), 32)
	now  = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
)

func claims() Claims {
	return Claims{Incident: "inc_abc", Step: "csat-1", Survey: domain.SurveyCSAT, Score: 4, Expires: now.Add(time.Hour)}
}

func TestRoundTrip(t *testing.T) {
	s, err := NewSigner(keyA)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Sign(claims())
	if strings.ContainsAny(tok, "/+=?&#") {
		t.Fatalf("token %q is not URL-safe", tok)
	}
	got, err := s.Verify(tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if got != claims() {
		t.Fatalf("claims = %+v", got)
	}
}

func TestRejects(t *testing.T) {
	s, _ := NewSigner(keyA)
	other, _ := NewSigner(keyB)
	tok := s.Sign(claims())
	forged := claims()
	forged.Score = 1
	p, _, _ := strings.Cut(s.Sign(forged), ".")
	_, m, _ := strings.Cut(tok, ".")
	tests := map[string]struct {
		token string
		at    time.Time
		want  error
	}{
		"expired":                {tok, now.Add(time.Hour), ErrExpired},
		"other key":              {other.Sign(claims()), now, ErrInvalid},
		"score swapped, old mac": {p + "." + m, now, ErrInvalid},
		"truncated":              {tok[:len(tok)-2], now, ErrInvalid},
		"no dot":                 {strings.ReplaceAll(tok, ".", ""), now, ErrInvalid},
		"garbage":                {"%%%.%%%", now, ErrInvalid},
		"empty":                  {"", now, ErrInvalid},
		"huge":                   {strings.Repeat("a", 600) + "." + m, now, ErrInvalid},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(tt.token, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old, _ := NewSigner(keyA)
	rotated, _ := NewSigner(keyB, keyA)
	if _, err := rotated.Verify(old.Sign(claims()), now); err != nil {
		t.Fatalf("a link signed with the previous key must still work: %v", err)
	}
	if _, err := old.Verify(rotated.Sign(claims()), now); !errors.Is(err, ErrInvalid) {
		t.Fatal("new links are signed with the newest key")
	}
}

func TestKeyLength(t *testing.T) {
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Fatal("a short key must be refused")
	}
	if _, err := NewSigner(); err == nil {
		t.Fatal("no key must be refused")
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner(keyA)
	f.Add(s.Sign(claims()))
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok, now)
		if err != nil {
			return
		}
		// Whatever verifies must survive a round trip unchanged.
		if c2, err := s.Verify(s.Sign(c), now); err != nil || c2 != c {
			t.Fatalf("accepted %q as %+v, re-signed gives %+v, %v", tok, c, c2, err)
		}
	})
}
