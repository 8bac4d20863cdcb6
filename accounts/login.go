package accounts

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
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

// Authenticate checks a login name and password from the client address ip. Each attempt is counted
// as a failure per login name (whether or not it exists) and per address before its password is
// checked, and taken back only when it succeeds; past the limits every attempt is refused until the
// window has passed, even with the right password. Counting first means that attempts made at once
// cannot check more passwords than the limits allow, and that an attempt cut short counts as failed.
func Authenticate(ctx context.Context, db bun.IDB, th Throttle, login, password, ip string) (*User, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	accountKey, ipKey := "login:"+login, "ip:"+ip
	ipAttempt, err := reserveAttempt(ctx, db, th, accountKey, ipKey)
	if err != nil {
		return nil, err
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
		return nil, ErrBadCredentials
	}
	if _, err := db.NewDelete().Table("login_failures").Where("key = ? OR id = ?", accountKey, ipAttempt).Exec(ctx); err != nil {
		return nil, fmt.Errorf("clearing login failures: %w", err)
	}
	return u, nil
}

// reserveAttempt records one failed login against the address key and the account key, unless
// either has reached its limit within the window (ErrThrottled), and returns the id of the address
// key's record. Each key's row of login_throttle is upserted first, which locks it until the
// transaction ends (SQLite's write transactions take turns anyway), so attempts on one key count in
// turn and each sees the records of those before it. Every attempt locks the address key first
// ("ip:" sorts before "login:"), so two attempts never wait for each other in a circle.
func reserveAttempt(ctx context.Context, db bun.IDB, th Throttle, accountKey, ipKey string) (int64, error) {
	now := time.Now().UTC()
	since := now.Add(-th.Window)
	var ipAttempt int64
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, k := range []struct {
			key string
			max int
		}{{ipKey, th.MaxPerIP}, {accountKey, th.MaxPerAccount}} {
			if _, err := tx.ExecContext(ctx, "INSERT INTO login_throttle (key, last_at) VALUES (?, ?) "+
				"ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at", k.key, now); err != nil {
				return fmt.Errorf("locking login throttle key: %w", err)
			}
			n, err := tx.NewSelect().Table("login_failures").Where("key = ? AND at > ?", k.key, since).Count(ctx)
			if err != nil {
				return fmt.Errorf("counting login failures: %w", err)
			}
			if n >= int64(k.max) {
				return ErrThrottled
			}
		}
		for _, key := range []string{ipKey, accountKey} {
			var id int64
			if err := tx.QueryRowContext(ctx, "INSERT INTO login_failures (key, at) VALUES (?, ?) RETURNING id", key, now).Scan(&id); err != nil {
				return fmt.Errorf("recording login attempt: %w", err)
			}
			if key == ipKey {
				ipAttempt = id
			}
			if _, err := tx.NewDelete().Table("login_failures").Where("key = ? AND at <= ?", key, since).Exec(ctx); err != nil {
				return fmt.Errorf("pruning login failures: %w", err)
			}
		}
		return nil
	})
	return ipAttempt, err
}

// comparisons counts the password comparisons made, so that tests can tell how many guesses the
// throttle let through.
var comparisons atomic.Int64

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
	comparisons.Add(1)
	return argon2id.ComparePasswordAndHash(password, hash)
}
