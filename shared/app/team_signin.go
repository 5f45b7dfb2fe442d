package app

// team_signin.go signs team members in to the dashboard without
// passwords: a single-use link by email to the addresses on the team list,
// confirmed by a POST, then a session kept in the store.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/links"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/draft"
	"github.com/aftercare/aftercare/shared/store"
)

// Sign-in limits. The link is short-lived and single-use; the session
// lasts a working day.
const (
	SignInLinkLife = 15 * time.Minute
	SessionLife    = 12 * time.Hour
	// Requests for a link per address and per client in a window: enough
	// for a typo and a retry, too few to flood a mailbox or probe a list.
	SignInPerAddress = 5
	SignInPerClient  = 20
	signInWindow     = 15 * time.Minute
)

// Errors of signing in. The web layer answers ErrRateLimited with 429 and
// every other failure with the same "link no longer works" page.
var (
	ErrRateLimited = errors.New("too many sign-in requests; try again in a few minutes")
	ErrNoSession   = errors.New("not signed in")
	ErrSignInLink  = errors.New("this sign-in link is used, expired or unknown")
	ErrNotTeam     = errors.New("the team's dashboard is not configured (no team addresses)")
	errTeamStore   = errors.New("this composition's store keeps no sessions")
)

// Names in the store and in signed tokens: a session cookie is a link
// token of its own step, so it never verifies as a rating link.
const (
	sessionStep     = "team-session"
	sessionEphemera = "session:"
	signInEphemera  = "signin:"
)

// Session is a signed-in team member.
type Session struct {
	// Member is the team member's address, as on the team list.
	Member string `json:"member"`
	// CSRF is the token every form of this session carries.
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	// id is the session's secret id, the cookie's content.
	id string
}

// teamStore is the store's team side, or an error naming why there is none.
func (s *Service) teamStore() (store.Team, error) {
	t, ok := s.cfg.Store.(store.Team)
	if !ok {
		return nil, errTeamStore
	}
	return t, nil
}

// TeamMember returns the team list's spelling of addr, if it is on it.
func (s *Service) TeamMember(addr string) (string, bool) {
	for _, m := range s.cfg.TeamMembers {
		if mail.SameAddress(m, addr) {
			return m, true
		}
	}
	return "", false
}

// RequestSignIn emails a sign-in link to addr if, and only if, it is on
// the team list. Its answer is the same either way, so the page cannot be
// used to learn who is on the team; only the rate limits, per address and
// per client (the caller's IP), refuse, and they refuse alike.
func (s *Service) RequestSignIn(ctx context.Context, addr, client string) error {
	if len(s.cfg.TeamMembers) == 0 {
		return ErrNotTeam
	}
	ts, err := s.teamStore()
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	addr = strings.TrimSpace(addr)
	for _, lim := range []struct {
		key string
		max int
	}{
		{"rate:signin:client:" + digest(client), SignInPerClient},
		{"rate:signin:addr:" + digest(domain.NormaliseEmail(addr)), SignInPerAddress},
	} {
		n, err := ts.CountEphemeral(ctx, lim.key, now.Add(signInWindow), now)
		if err != nil {
			return fmt.Errorf("sign-in: rate limit: %w", err)
		}
		if n > lim.max {
			s.log.WarnContext(ctx, "sign-in rate limited", "limit", lim.key[:strings.LastIndexByte(lim.key, ':')])
			return ErrRateLimited
		}
	}
	member, ok := s.TeamMember(addr)
	if !ok {
		s.log.InfoContext(ctx, "sign-in requested for an address not on the team list")
		return nil
	}
	token := rand.Text() // 128 random bits, URL-safe
	rec, _ := json.Marshal(Session{Member: member})
	if err := ts.PutEphemeral(ctx, signInEphemera+digest(token), rec, now.Add(SignInLinkLife)); err != nil {
		return fmt.Errorf("sign-in: keep the link: %w", err)
	}
	out, err := s.cfg.Renderer.Render(ctx, draft.Request{
		Template: "team_signin", Locale: s.cfg.TeamLocale, TimelineURL: s.cfg.PublicURL + "/team/signin/" + token,
	})
	if err != nil {
		return fmt.Errorf("sign-in: render: %w", err)
	}
	msg := mail.Message{
		From: s.cfg.From, To: netmail.Address{Address: member}, Subject: out.Subject, HTML: out.HTML, Text: out.Text,
		MessageID: fmt.Sprintf("<signin.%s@%s>", digest(token)[:24], domainOf(s.cfg.From.Address)), Date: now,
		Tags: map[string]string{"step": "team-signin"},
	}
	if _, err := s.cfg.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("sign-in: send the link: %w", err)
	}
	s.log.InfoContext(ctx, "sign-in link sent", "member", memberRef(member))
	return nil
}

// SignInPending reports whether token is a sign-in link that still works,
// for the page the link opens; it uses nothing up (a link scanner's GET
// signs no one in).
func (s *Service) SignInPending(ctx context.Context, token string) error {
	ts, err := s.teamStore()
	if err != nil {
		return err
	}
	if _, err := ts.GetEphemeral(ctx, signInEphemera+digest(token), s.cfg.Clock.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrSignInLink
		}
		return fmt.Errorf("sign-in: %w", err)
	}
	return nil
}

// ConfirmSignIn uses a sign-in link up and opens a session: it returns the
// cookie value (signed with the link secret, so rotating that secret signs
// everybody out) and the session.
func (s *Service) ConfirmSignIn(ctx context.Context, token string) (string, Session, error) {
	ts, err := s.teamStore()
	if err != nil {
		return "", Session{}, err
	}
	now := s.cfg.Clock.Now()
	raw, err := ts.TakeEphemeral(ctx, signInEphemera+digest(token), now)
	if errors.Is(err, store.ErrNotFound) {
		return "", Session{}, ErrSignInLink
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("sign-in: %w", err)
	}
	var pending Session
	if err := json.Unmarshal(raw, &pending); err != nil {
		return "", Session{}, fmt.Errorf("sign-in: stored link: %w", err)
	}
	member, ok := s.TeamMember(pending.Member)
	if !ok { // taken off the team list since the link was sent
		return "", Session{}, ErrSignInLink
	}
	sess := Session{Member: member, CSRF: rand.Text(), Created: now, id: rand.Text()}
	rec, _ := json.Marshal(sess)
	expires := now.Add(SessionLife)
	if err := ts.PutEphemeral(ctx, sessionEphemera+digest(sess.id), rec, expires); err != nil {
		return "", Session{}, fmt.Errorf("sign-in: keep the session: %w", err)
	}
	cookie := s.cfg.Links.Sign(links.Claims{Incident: sess.id, Step: sessionStep, Expires: expires})
	s.log.InfoContext(ctx, "team member signed in", "member", memberRef(member))
	return cookie, sess, nil
}

// TeamSession returns the session a cookie stands for: its signature
// verified with the current link secret, its record still in the store,
// its member still on the team list.
func (s *Service) TeamSession(ctx context.Context, cookie string) (Session, error) {
	if cookie == "" {
		return Session{}, ErrNoSession
	}
	now := s.cfg.Clock.Now()
	c, err := s.cfg.Links.Verify(cookie, now)
	if err != nil || c.Step != sessionStep || c.Incident == "" {
		return Session{}, ErrNoSession
	}
	ts, err := s.teamStore()
	if err != nil {
		return Session{}, err
	}
	raw, err := ts.GetEphemeral(ctx, sessionEphemera+digest(c.Incident), now)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(raw, &sess); err != nil {
		return Session{}, fmt.Errorf("session: stored record: %w", err)
	}
	if _, ok := s.TeamMember(sess.Member); !ok {
		return Session{}, ErrNoSession
	}
	sess.id = c.Incident
	return sess, nil
}

// CheckCSRF compares a form's token with the session's in constant time.
func (sess Session) CheckCSRF(token string) bool {
	return sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(token)) == 1
}

// SignOut ends a session at once.
func (s *Service) SignOut(ctx context.Context, sess Session) error {
	ts, err := s.teamStore()
	if err != nil {
		return err
	}
	if err := ts.DeleteEphemeral(ctx, sessionEphemera+digest(sess.id)); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// digest is how secrets and addresses are named in the store: only their
// SHA-256, so a leaked table holds no usable token and no address.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// memberRef names a team member in logs without their address: their
// position's hash, enough to tell two apart.
func memberRef(member string) string { return "member-" + digest(strings.ToLower(member))[:8] }
