package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
)

// Session is a login session; the browser holds the token, the database only its hash.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	IDHash     string `bun:",pk"`
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	User       *User `bun:"rel:belongs-to,join:user_id=id"`
}

// APIToken is a bearer token for machine clients; only its hash is stored.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID         int64      `bun:",pk,autoincrement" json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	TokenHash  string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	User       *User      `bun:"rel:belongs-to,join:user_id=id" json:"-"`
}

// TokenPrefix marks CivicFlow API tokens so that secret scanners and people recognise them.
const TokenPrefix = "cft_"

// sessionRefresh is how stale last_seen_at may get before a request moves the expiry forward; it keeps
// most requests free of writes.
const sessionRefresh = time.Minute

func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the platform cannot work without randomness
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is the stored form of a session or API token: high-entropy secrets need no slow hash.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// StartSession creates a session for user and returns the token for the cookie.
func StartSession(ctx context.Context, db bun.IDB, userID int64, ttl time.Duration, ip, userAgent string) (string, error) {
	token := newSecret()
	now := time.Now().UTC()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	s := &Session{IDHash: hashSecret(token), UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl), IP: ip, UserAgent: userAgent}
	if _, err := db.NewInsert().Model(s).Exec(ctx); err != nil {
		return "", fmt.Errorf("starting session for user %d: %w", userID, err)
	}
	return token, nil
}

// SessionUser returns the user of a live session token and slides its expiry forward. An unknown or
// expired token, or a disabled user, gives problem.ErrLoginRequired. Session and user come in one
// query, or from c for a session it has seen (this runs on every request); the expiry is written at
// most once a sessionRefresh either way.
func SessionUser(ctx context.Context, db bun.IDB, c *Cache, token string, ttl time.Duration) (*User, error) {
	if token == "" {
		return nil, problem.ErrLoginRequired
	}
	now := time.Now().UTC()
	hash := hashSecret(token)
	e, gen, hit := c.get(sessionKey(hash), now)
	if !hit {
		s := new(Session)
		err := db.NewSelect().Model(s).Relation("User").Where("session.id_hash = ?", hash).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, problem.ErrLoginRequired
		}
		if err != nil {
			return nil, fmt.Errorf("reading session: %w", err)
		}
		if !now.Before(s.ExpiresAt) || s.User == nil || s.User.Disabled {
			return nil, problem.ErrLoginRequired
		}
		e = cached{key: sessionKey(hash), user: *s.User, expires: s.ExpiresAt, used: s.LastSeenAt}
		e.user.PasswordHash = "" // nothing after authentication needs it
	}
	if now.Sub(e.used) > sessionRefresh {
		// A database that refuses writes for now (database.Unavailable) keeps the session as it is:
		// its user may still read.
		_, err := db.NewUpdate().Model((*Session)(nil)).Set("last_seen_at = ?", now).Set("expires_at = ?", now.Add(ttl)).
			Where("id_hash = ?", hash).Exec(ctx)
		switch {
		case err == nil:
			e.used, e.expires = now, now.Add(ttl)
			hit = false // store the entry again, with the new times
		case !database.Unavailable(err):
			return nil, fmt.Errorf("refreshing session: %w", err)
		}
	}
	if !hit {
		c.put(gen, e, now)
	}
	return &e.user, nil
}

// SessionBinding is a stable, non-secret value derived from a session token, for binding CSRF tokens
// to the session without storing the token itself anywhere else.
func SessionBinding(token string) string { return hashSecret(token) }

// EndSession deletes the session of token (logout), and c forgets it in every process. Ending an
// unknown session is not an error.
func EndSession(ctx context.Context, db bun.IDB, c *Cache, token string) error {
	hash := hashSecret(token)
	if _, err := db.NewDelete().Model((*Session)(nil)).Where("id_hash = ?", hash).Exec(ctx); err != nil {
		return fmt.Errorf("ending session: %w", err)
	}
	c.evict(ctx, sessionKey(hash))
	return nil
}

// CreateToken issues an API token for user and returns its secret, which is shown once and never
// stored. ttl 0 means it does not expire.
func CreateToken(ctx context.Context, db bun.IDB, actor audit.Actor, userID int64, name string, ttl time.Duration) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	var fe problem.Fields
	switch {
	case name == "":
		fe.Add("name", "required", "请为令牌起一个名称（最多100个字符）。", "Give the token a name (at most 100 characters).")
	case utf8.RuneCountInString(name) > 100:
		fe.Add("name", "too_long", "令牌名称最多100个字符。", "The token name may have at most 100 characters.")
	}
	if len(fe) > 0 {
		return "", nil, fe.Err()
	}
	secret := TokenPrefix + newSecret()
	now := time.Now().UTC()
	t := &APIToken{UserID: userID, Name: name, TokenHash: hashSecret(secret), CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return fmt.Errorf("creating API token: %w", err)
		}
		return audit.Record(ctx, tx, actor, "token.create", "user", strconv.FormatInt(userID, 10), "", map[string]any{"token_id": t.ID, "name": name})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// TokenUser returns the user of a valid API token, token and user in one query, or from c for a token
// it has seen.
func TokenUser(ctx context.Context, db bun.IDB, c *Cache, secret string) (*User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, problem.ErrLoginRequired
	}
	now := time.Now().UTC()
	hash := hashSecret(secret)
	e, gen, hit := c.get(tokenKey(hash), now)
	if !hit {
		t := new(APIToken)
		err := db.NewSelect().Model(t).Relation("User").Where("api_token.token_hash = ?", hash).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, problem.ErrLoginRequired
		}
		if err != nil {
			return nil, fmt.Errorf("reading API token: %w", err)
		}
		if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || t.User == nil || t.User.Disabled {
			return nil, problem.ErrLoginRequired
		}
		e = cached{key: tokenKey(hash), user: *t.User, tokenID: t.ID}
		e.user.PasswordHash = "" // nothing after authentication needs it
		if t.ExpiresAt != nil {
			e.expires = *t.ExpiresAt
		}
		if t.LastUsedAt != nil {
			e.used = *t.LastUsedAt
		}
	}
	if now.Sub(e.used) > sessionRefresh {
		wrote, err := recordTokenUse(ctx, db, e.tokenID, now)
		if err != nil {
			return nil, err
		}
		if wrote {
			e.used = now
			hit = false // store the entry again, with the new time
		}
	}
	if !hit {
		c.put(gen, e, now)
	}
	return &e.user, nil
}

// tokenUseWrites bounds the writes of a token's last use in flight. The time a token was last used
// only informs its owner's list of tokens, so a request never queues for it: at the start of a burst
// (two thousand citizens' first requests at once on a hot booking day) those writes queued for the
// database's connections ahead of the requests themselves. A request that finds the bound full leaves
// the write to a later request of the token.
var tokenUseWrites = make(chan struct{}, 2)

// recordTokenUse writes that token id was used at now, unless tokenUseWrites is full, and tells
// whether it did. As for sessions, a database that refuses writes for now leaves the token usable.
func recordTokenUse(ctx context.Context, db bun.IDB, id int64, now time.Time) (bool, error) {
	select {
	case tokenUseWrites <- struct{}{}:
		defer func() { <-tokenUseWrites }()
	default:
		return false, nil
	}
	_, err := db.NewUpdate().Model((*APIToken)(nil)).Set("last_used_at = ?", now).Where("id = ?", id).Exec(ctx)
	switch {
	case err == nil:
		return true, nil
	case database.Unavailable(err):
		return false, nil
	}
	return false, fmt.Errorf("recording API token use: %w", err)
}

// ListTokens returns a user's API tokens, newest first.
func ListTokens(ctx context.Context, db bun.IDB, userID int64) ([]APIToken, error) {
	var out []APIToken
	if err := db.NewSelect().Model(&out).Where("user_id = ?", userID).OrderExpr("id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing API tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes one of the user's own tokens, and c forgets the user's tokens in every process.
func RevokeToken(ctx context.Context, db bun.IDB, c *Cache, actor audit.Actor, userID, tokenID int64) error {
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*APIToken)(nil)).Set("revoked_at = ?", time.Now().UTC()).
			Where("id = ? AND user_id = ? AND revoked_at IS NULL", tokenID, userID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("revoking API token %d: %w", tokenID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.ErrNotFound
		}
		return audit.Record(ctx, tx, actor, "token.revoke", "user", strconv.FormatInt(userID, 10), "", map[string]any{"token_id": tokenID})
	})
	if err != nil {
		return err
	}
	c.evictUser(ctx, userID)
	return nil
}

// Purge deletes expired sessions and phone codes, and login failures and throttle keys older than the throttle window,
// which nothing reads any more; without it these tables would only grow. Workers run it now and then.
// A Cache needs no word of it: it refuses an entry past the session's expiry it read, never later
// than the one deleted.
func Purge(ctx context.Context, db bun.IDB, now time.Time, window time.Duration) error {
	if _, err := db.NewDelete().Model((*Session)(nil)).Where("expires_at < ?", now.UTC()).Exec(ctx); err != nil {
		return fmt.Errorf("deleting expired sessions: %w", err)
	}
	if _, err := db.NewDelete().Table("login_failures").Where("at < ?", now.UTC().Add(-window)).Exec(ctx); err != nil {
		return fmt.Errorf("deleting old login failures: %w", err)
	}
	// A key's lock row goes with its last attempt; an attempt running now has just renewed its own.
	if _, err := db.NewDelete().Table("login_throttle").Where("last_at < ?", now.UTC().Add(-window)).Exec(ctx); err != nil {
		return fmt.Errorf("deleting old login throttle keys: %w", err)
	}
	if _, err := db.NewDelete().Model((*phoneCode)(nil)).Where("expires_at < ?", now.UTC()).Exec(ctx); err != nil {
		return fmt.Errorf("deleting expired phone codes: %w", err)
	}
	return nil
}

// ListSessions returns the user's live login sessions, most recently used first.
func ListSessions(ctx context.Context, db bun.IDB, userID int64) ([]Session, error) {
	var out []Session
	if err := db.NewSelect().Model(&out).Where("user_id = ? AND expires_at > ?", userID, time.Now().UTC()).
		OrderExpr("last_seen_at DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the sessions of user %d: %w", userID, err)
	}
	return out, nil
}

// IsSession reports whether s is the session of token.
func (s *Session) IsSession(token string) bool { return token != "" && s.IDHash == hashSecret(token) }

// EndOtherSessions ends every session of the user but the one of token ("log out everywhere else"),
// audited and, when there were any, notified in one transaction, and c forgets them in every process;
// it returns how many ended.
func EndOtherSessions(ctx context.Context, db bun.IDB, c *Cache, actor audit.Actor, userID int64, token string) (int, error) {
	var ended int
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if ended, err = endSessions(ctx, tx, userID, token); err != nil || ended == 0 {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "session.end_others", "user", strconv.FormatInt(userID, 10), "",
			map[string]any{"sessions_ended": ended}); err != nil {
			return err
		}
		return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: "sessions_ended", Data: map[string]any{"count": ended},
			Channels: []notify.Channel{notify.Inbox}})
	})
	if err == nil && ended > 0 {
		c.evictUser(ctx, userID)
	}
	return ended, err
}

// endSessions deletes the sessions of the user but the one of keep ("" for none) and counts them.
func endSessions(ctx context.Context, tx bun.IDB, userID int64, keep string) (int, error) {
	q := tx.NewDelete().Model((*Session)(nil)).Where("user_id = ?", userID)
	if keep != "" {
		q = q.Where("id_hash <> ?", hashSecret(keep))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("ending the sessions of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
