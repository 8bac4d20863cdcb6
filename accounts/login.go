package accounts

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// Throttle bounds failed logins per login name and per client address within a sliding window.
type Throttle struct {
	MaxPerAccount int
	MaxPerIP      int
	Window        time.Duration
}

// ErrBadCredentials is the one answer to a wrong login name or password, so that the answer does not
// tell whether an account exists.
var ErrBadCredentials = problem.New(problem.Unauthenticated, "bad_credentials",
	"登录名或密码不正确。", "The login name or password is not correct.")

// ErrThrottled is the answer once too many logins failed; it too says nothing about the account.
var ErrThrottled = problem.New(problem.TooManyRequests, "login_throttled",
	"登录失败次数过多，请稍后再试。", "Too many failed logins. Please try again later.")

// dummyHash is checked against when the login name is unknown, so that a wrong name takes as long as
// a wrong password.
var dummyHash, _ = HashPassword("civicflow-no-such-account")

// Authenticate checks a login name and password from the client address ip. Failures are counted per
// login name (whether or not it exists) and per address; past the limits every attempt is refused
// until the window has passed, even with the right password.
func Authenticate(ctx context.Context, db bun.IDB, th Throttle, login, password, ip string) (*User, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	accountKey, ipKey := "login:"+login, "ip:"+ip
	since := time.Now().UTC().Add(-th.Window)
	for _, k := range []struct {
		key string
		max int
	}{{accountKey, th.MaxPerAccount}, {ipKey, th.MaxPerIP}} {
		n, err := db.NewSelect().Table("login_failures").Where("key = ? AND at > ?", k.key, since).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("counting login failures: %w", err)
		}
		if n >= int64(k.max) {
			return nil, ErrThrottled
		}
	}
	u, err := GetByLogin(ctx, db, login)
	hash := dummyHash
	if err == nil {
		hash = u.PasswordHash
	} else if !problem.Is(err, problem.NotFound) {
		return nil, err
	}
	match, cerr := comparePassword(ctx, password, hash)
	if cerr != nil {
		return nil, fmt.Errorf("checking password of %s: %w", login, cerr)
	}
	if err != nil || !match || u.Disabled {
		if ferr := recordFailure(ctx, db, since, accountKey, ipKey); ferr != nil {
			return nil, ferr
		}
		return nil, ErrBadCredentials
	}
	if _, err := db.NewDelete().Table("login_failures").Where("key = ?", accountKey).Exec(ctx); err != nil {
		return nil, fmt.Errorf("clearing login failures: %w", err)
	}
	return u, nil
}

// recordFailure counts one failed login against each key and forgets failures older than the window.
func recordFailure(ctx context.Context, db bun.IDB, since time.Time, keys ...string) error {
	now := time.Now().UTC()
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, k := range keys {
			if _, err := tx.NewInsert().Model(&map[string]any{"key": k, "at": now}).
				TableExpr("login_failures").Exec(ctx); err != nil {
				return fmt.Errorf("recording login failure: %w", err)
			}
			if _, err := tx.NewDelete().Table("login_failures").Where("key = ? AND at <= ?", k, since).Exec(ctx); err != nil {
				return fmt.Errorf("pruning login failures: %w", err)
			}
		}
		return nil
	})
}

// passwordChecks bounds the argon2id comparisons running at once: each takes 19 MiB, so a flood of
// logins must queue rather than exhaust memory.
var passwordChecks = make(chan struct{}, max(4, 2*runtime.NumCPU()))

// comparePassword checks password against an argon2id hash, waiting for a free slot.
func comparePassword(ctx context.Context, password, hash string) (bool, error) {
	select {
	case passwordChecks <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-passwordChecks }()
	return argon2id.ComparePasswordAndHash(password, hash)
}
