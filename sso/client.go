// Package sso signs people in through the province's unified identity platform (统一身份认证), an
// OpenID Connect provider: the authorization code flow with PKCE, state and nonce (Client), and the
// accounts it creates and links by the platform's subject identifier (SignIn, LinkAccount,
// UnlinkAccount). An
// account is found by its link alone, never by a matching phone or ID number.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/uptrace/bun"
	"golang.org/x/oauth2"

	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
)

// attemptTTL is how long a person may take at the platform between leaving and coming back.
const attemptTTL = 10 * time.Minute

// Purpose is what a sign-in at the platform is for.
type Purpose string

// The purposes of a sign-in.
const (
	// ForLogin logs in to the linked account, creating one on the first sign-in.
	ForLogin Purpose = "login"
	// ForLink links the identity to the account of the logged-in person who started it.
	ForLink Purpose = "link"
)

// Client talks to the identity platform. The platform's discovery document is fetched on first use
// and again after a failure, so that CivicFlow starts while the platform is down.
type Client struct {
	cfg         config.OIDC
	redirectURL string

	mu       sync.Mutex
	provider *oidc.Provider
}

// New returns the client of the configured platform, whose callback is redirectURL; nil when single
// sign-on is not configured.
func New(cfg config.OIDC, redirectURL string) *Client {
	if !cfg.Enabled() {
		return nil
	}
	return &Client{cfg: cfg, redirectURL: redirectURL}
}

// Issuer is the platform's issuer identifier, which with a subject names a person.
func (c *Client) Issuer() string { return c.cfg.Issuer }

// Origin is the scheme and host of the issuer, where the browser is sent to sign in: the platform's
// authorization endpoint is expected there.
func (c *Client) Origin() string {
	u, err := url.Parse(c.cfg.Issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ErrUnavailable is the problem of a platform that cannot be reached.
var ErrUnavailable = problem.New(problem.Unavailable, "sso_unavailable",
	"暂时无法连接统一身份认证平台，请稍后再试或用账号密码登录。",
	"The unified identity platform cannot be reached just now. Try again later, or log in with your password.")

// ErrFailed is the problem of a sign-in that did not prove who the person is: a callback that does
// not belong to a sign-in started in this browser, an expired or used one, or an answer of the
// platform that does not verify. The details go to the log, not to the person.
var ErrFailed = problem.New(problem.BadRequest, "sso_failed",
	"统一身份认证登录未能完成，请重新登录。",
	"Signing in through the unified identity platform did not complete. Please try again.")

func (c *Client) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, c.cfg.Issuer)
	if err != nil {
		slog.WarnContext(ctx, "sso: discovering the identity platform", "issuer", c.cfg.Issuer, "error", err)
		return nil, ErrUnavailable.Because(err)
	}
	c.provider = p
	return p, nil
}

func (c *Client) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.redirectURL, Scopes: c.cfg.Scopes}
}

// attempt is a sign-in under way, stored until its callback: the nonce and PKCE verifier never
// leave this side except as the nonce in the request and the verifier at the token endpoint.
type attempt struct {
	bun.BaseModel `bun:"table:sso_attempts"`

	StateHash string `bun:",pk"`
	Nonce     string
	Verifier  string
	Purpose   Purpose
	UserID    *int64
	Next      string
	ExpiresAt time.Time
}

func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// Start begins a sign-in at the platform for purpose (userID is the logged-in person linking, 0 to
// log in; next is where to go afterwards). It returns the state, which the caller binds to the
// browser (a cookie) and hands back to Finish, and the address of the platform to send the browser to.
func (c *Client) Start(ctx context.Context, db bun.IDB, purpose Purpose, userID int64, next string) (state, authURL string, err error) {
	p, err := c.discover(ctx)
	if err != nil {
		return "", "", err
	}
	state, now := rand.Text(), time.Now().UTC()
	a := &attempt{StateHash: hashState(state), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Purpose: purpose,
		Next: next, ExpiresAt: now.Add(attemptTTL)}
	if userID != 0 {
		a.UserID = &userID
	}
	if _, err := db.NewDelete().Model((*attempt)(nil)).Where("expires_at < ?", now).Exec(ctx); err != nil {
		return "", "", fmt.Errorf("removing expired sign-ins: %w", err)
	}
	if _, err := db.NewInsert().Model(a).Exec(ctx); err != nil {
		return "", "", fmt.Errorf("storing a sign-in: %w", err)
	}
	return state, c.oauth(p).AuthCodeURL(state, oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)), nil
}

// Attempt is a finished sign-in: what it was for, and who started it.
type Attempt struct {
	Purpose Purpose
	// UserID is the logged-in person who started a link, 0 for a login.
	UserID int64
	Next   string
}

// Identity is what the platform vouches for about the person who signed in.
type Identity struct {
	Issuer, Subject string
	Name, Phone     string
	// IDNumber is the resident ID number, when the platform vouches for it (and it is well-formed): it
	// counts as verified.
	IDNumber string
}

// Finish ends the sign-in of state, once: it exchanges code for tokens with the PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry) and its nonce, and reads the person's
// claims from the ID token and the platform's userinfo endpoint. Anything that does not verify is
// ErrFailed, logged with its reason.
func (c *Client) Finish(ctx context.Context, db bun.IDB, state, code string) (Attempt, Identity, error) {
	a, err := takeAttempt(ctx, db, state)
	if err != nil {
		return Attempt{}, Identity{}, err
	}
	out := Attempt{Purpose: a.Purpose, Next: a.Next}
	if a.UserID != nil {
		out.UserID = *a.UserID
	}
	p, err := c.discover(ctx)
	if err != nil {
		return Attempt{}, Identity{}, err
	}
	tok, err := c.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return Attempt{}, Identity{}, failed(ctx, "exchanging the code", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Attempt{}, Identity{}, failed(ctx, "reading the token response", errors.New("no id_token"))
	}
	idt, err := p.VerifierContext(ctx, &oidc.Config{ClientID: c.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return Attempt{}, Identity{}, failed(ctx, "verifying the ID token", err)
	}
	if idt.Subject == "" {
		return Attempt{}, Identity{}, failed(ctx, "verifying the ID token", errors.New("no subject"))
	}
	if idt.Nonce != a.Nonce {
		return Attempt{}, Identity{}, failed(ctx, "checking the nonce", errors.New("the ID token's nonce is not the sign-in's"))
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return Attempt{}, Identity{}, failed(ctx, "reading the ID token's claims", err)
	}
	if p.UserInfoEndpoint() != "" {
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Attempt{}, Identity{}, failed(ctx, "asking for userinfo", err)
		}
		if info.Subject != idt.Subject {
			return Attempt{}, Identity{}, failed(ctx, "asking for userinfo", errors.New("userinfo names another subject"))
		}
		more := map[string]any{}
		if err := info.Claims(&more); err != nil {
			return Attempt{}, Identity{}, failed(ctx, "reading userinfo", err)
		}
		for k, v := range more {
			if _, signed := claims[k]; !signed {
				claims[k] = v
			}
		}
	}
	return out, c.identity(idt.Issuer, idt.Subject, claims), nil
}

// takeAttempt finds the unexpired sign-in of state and removes it, so that a callback works once.
func takeAttempt(ctx context.Context, db bun.IDB, state string) (*attempt, error) {
	if state == "" {
		return nil, ErrFailed
	}
	a := new(attempt)
	err := db.NewSelect().Model(a).Where("state_hash = ?", hashState(state)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, failed(ctx, "finding the sign-in", errors.New("unknown or used state"))
	}
	if err != nil {
		return nil, fmt.Errorf("reading a sign-in: %w", err)
	}
	res, err := db.NewDelete().Model((*attempt)(nil)).Where("state_hash = ?", a.StateHash).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("ending a sign-in: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, failed(ctx, "ending the sign-in", errors.New("used at the same time by another request"))
	}
	if time.Now().After(a.ExpiresAt) {
		return nil, failed(ctx, "finding the sign-in", errors.New("expired"))
	}
	return a, nil
}

func failed(ctx context.Context, step string, err error) error {
	slog.WarnContext(ctx, "sso: sign-in refused", "step", step, "error", err)
	return ErrFailed.Because(fmt.Errorf("%s: %w", step, err))
}

// identity maps the claims onto what CivicFlow keeps: the name, a well-formed mobile number, and the
// ID number only where the platform's verified claim vouches for it.
func (c *Client) identity(issuer, subject string, claims map[string]any) Identity {
	str := func(name string) string {
		if name == "" {
			return ""
		}
		s, _ := claims[name].(string)
		return strings.TrimSpace(s)
	}
	id := Identity{Issuer: issuer, Subject: subject, Name: str(c.cfg.ClaimName)} // accounts.CreateExternal shortens a long name
	phone := strings.NewReplacer(" ", "", "-", "").Replace(str(c.cfg.ClaimPhone))
	phone = strings.TrimPrefix(strings.TrimPrefix(phone, "+86"), "86")
	if len(phone) == 11 && phone[0] == '1' && strings.Trim(phone, "0123456789") == "" {
		id.Phone = phone
	}
	verified := false
	switch v := claims[c.cfg.ClaimIDVerified].(type) {
	case bool:
		verified = v
	case string:
		verified = v == "true"
	}
	if n := strings.ToUpper(str(c.cfg.ClaimIDNumber)); verified && n != "" {
		if _, err := forms.ParseIDCard(n); err == nil {
			id.IDNumber = n
		}
	}
	return id
}
