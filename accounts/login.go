package accounts

import (
	"context"
	"crypto/hmac"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	// DeviceSecret signs known-device tokens (DeviceToken); without it no device is known.
	DeviceSecret []byte
}

// Credentials are what a login attempt presents: a login name and password, from the client address
// IP, with the known-device token that the client holds (DeviceToken), if any.
type Credentials struct {
	Login, Password, IP, Device string
}

// ErrBadCredentials is the one answer to a wrong login name or password, so that the answer does not
// tell whether an account exists.
var ErrBadCredentials = problem.New(problem.Unauthenticated, "bad_credentials",
	"登录名或密码不正确。", "The login name or password is not correct.")

// ErrThrottled is the answer once too many logins failed; it too says nothing about the account.
var ErrThrottled = problem.New(problem.TooManyRequests, "login_throttled",
	"登录失败次数过多，请稍后再试。", "Too many failed logins. Please try again later.")

// dummyHash is checked against when the login name is unknown, so that a wrong name takes as long as
// a wrong password. It is made on the first unknown name, not at start-up: hashing takes argon2's
// 19 MB, which an idle server would otherwise keep as garbage.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("civicflow-no-such-account")
	return h
})

// Authenticate checks a login name and password from the client address ip; a name or password
// longer than any account can have is refused first (422), before anything is hashed. Before its password is
// checked, each attempt reserves a place under the limits per login name (whether or not it exists)
// and per address; the reservation becomes a failure when the check fails, and is taken back when it
// succeeds (earlier failures stay: a success does not reset the count). Past the limits every attempt is refused until the window has passed, even with the right
// password. Reserving first means that attempts made at once cannot check more passwords than the
// limits allow: one that finds the limit taken up by attempts still being checked waits for their
// outcome (reserveAttempt), so right passwords sent at once from one address (an office behind one
// NAT) all succeed. An attempt cut short counts as failed once pendingFor has passed.
//
// The attempts of a device known to the account (one holding a token of DeviceToken for this login
// name) count under that device instead of the login name: others failing on the account cannot lock
// it out, only its own failures can.
func Authenticate(ctx context.Context, db bun.IDB, th Throttle, cr Credentials) (*User, error) {
	login := strings.ToLower(strings.TrimSpace(cr.Login))
	var fe problem.Fields
	if checkLengths(&fe, login, cr.Password); len(fe) > 0 {
		return nil, fe.Err()
	}
	accountKey, ipKey := "login:"+login, "ip:"+cr.IP
	if device, ok := knownDevice(th, login, cr.Device); ok {
		accountKey = "device:" + device
	}
	reserved, err := reserveAttempt(ctx, db, th, accountKey, ipKey)
	if err != nil {
		return nil, err
	}
	// The outcome is recorded even when the request's deadline has passed meanwhile: a reservation
	// left pending would count as a failure later.
	record := context.WithoutCancel(ctx)
	u, match, err := checkPassword(ctx, db, login, cr.Password)
	if err != nil {
		// No comparison ran to its end (a queue too long, a database gone): nothing was learnt, so
		// the attempt is taken back rather than counted.
		if _, derr := db.NewDelete().Table("login_failures").Where("id IN (?)", bun.List(reserved)).Exec(record); derr != nil {
			return nil, fmt.Errorf("taking back login attempt: %w", derr)
		}
		return nil, err
	}
	if !match {
		if _, err := db.NewUpdate().Table("login_failures").Set("pending = FALSE").Where("id IN (?)", bun.List(reserved)).Exec(record); err != nil {
			return nil, fmt.Errorf("recording login failure: %w", err)
		}
		return nil, ErrBadCredentials
	}
	// Success takes back this attempt only: earlier failures stay until the window has passed, so that
	// guesses slipped between the owner's logins still count.
	if _, err := db.NewDelete().Table("login_failures").Where("id IN (?)", bun.List(reserved)).Exec(record); err != nil {
		return nil, fmt.Errorf("taking back a successful login attempt: %w", err)
	}
	return u, nil
}

// checkPassword returns the account of login and whether password is its password; an unknown or
// disabled account never matches, after as long a check as a known one.
func checkPassword(ctx context.Context, db bun.IDB, login, password string) (*User, bool, error) {
	u, err := GetByLogin(ctx, db, login)
	var hash string
	switch {
	case err == nil:
		hash = u.PasswordHash
	case problem.Is(err, problem.NotFound):
		hash = dummyHash()
	default:
		return nil, false, err
	}
	match, cerr := comparePassword(ctx, password, hash)
	if cerr != nil {
		return nil, false, fmt.Errorf("checking password of %s: %w", login, cerr)
	}
	return u, err == nil && match && !u.Disabled, nil
}

// pendingFor is how long a reservation may stay pending: longer than any password check, queue
// included. One older than that was cut short, and counts as a failure.
const pendingFor = 30 * time.Second

// errWait says that the limit of a key is taken up by attempts still being checked.
var errWait = errors.New("login throttle: waiting for pending attempts")

// reserveAttempt reserves one pending attempt under the address key and the account key and returns
// the ids of the two reservations. It refuses (ErrThrottled) when either key has reached its limit of
// failures within the window, and waits, polling, while failures and pending attempts together reach
// it: the pending ones may yet succeed and be taken back.
func reserveAttempt(ctx context.Context, db bun.IDB, th Throttle, accountKey, ipKey string) ([]int64, error) {
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		reserved, err := tryReserve(ctx, db, th, accountKey, ipKey)
		if !errors.Is(err, errWait) {
			return reserved, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause + rand.N(pause)):
		}
	}
}

// tryReserve is one try of reserveAttempt. Each key's row of login_throttle is upserted first, which
// locks it until the transaction ends (SQLite's write transactions take turns anyway), so attempts on
// one key count in turn and each sees the reservations of those before it. Every attempt locks the
// address key first ("ip:" sorts before "login:"), so two attempts never wait for each other in a
// circle (the account key is a login name or a device; never an address).
func tryReserve(ctx context.Context, db bun.IDB, th Throttle, accountKey, ipKey string) ([]int64, error) {
	now := time.Now().UTC()
	since, staleBefore := now.Add(-th.Window), now.Add(-pendingFor)
	var reserved []int64
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		wait := false
		for _, k := range []struct {
			key string
			max int
		}{{ipKey, th.MaxPerIP}, {accountKey, th.MaxPerAccount}} {
			failed, pending, err := lockAndCount(ctx, tx, k.key, now, since, staleBefore)
			if err != nil {
				return err
			}
			if failed >= k.max {
				return ErrThrottled
			}
			wait = wait || failed+pending >= k.max
		}
		if wait {
			return errWait
		}
		for _, key := range []string{ipKey, accountKey} {
			var id int64
			if err := tx.QueryRowContext(ctx, "INSERT INTO login_failures (key, at, pending) VALUES (?, ?, TRUE) RETURNING id", key, now).Scan(&id); err != nil {
				return fmt.Errorf("recording login attempt: %w", err)
			}
			reserved = append(reserved, id)
			if err := prune(ctx, tx, key, since); err != nil {
				return err
			}
		}
		return nil
	})
	return reserved, err
}

// lockAndCount upserts the throttle row of key, which locks it until tx ends, and counts the key's
// failures and its pending attempts since the start of the window (a pending one older than
// staleBefore was cut short and counts as failed).
func lockAndCount(ctx context.Context, tx bun.Tx, key string, now, since, staleBefore time.Time) (failed, pending int, err error) {
	if _, err := tx.ExecContext(ctx, "INSERT INTO login_throttle (key, last_at) VALUES (?, ?) "+
		"ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at", key, now); err != nil {
		return 0, 0, fmt.Errorf("locking throttle key: %w", err)
	}
	if err := tx.NewSelect().Table("login_failures").
		ColumnExpr("COUNT(CASE WHEN NOT pending OR at <= ? THEN 1 END)", staleBefore).
		ColumnExpr("COUNT(CASE WHEN pending AND at > ? THEN 1 END)", staleBefore).
		Where("key = ? AND at > ?", key, since).Scan(ctx, &failed, &pending); err != nil {
		return 0, 0, fmt.Errorf("counting failures: %w", err)
	}
	return failed, pending, nil
}

// prune deletes the failures of key that the window has left behind.
func prune(ctx context.Context, tx bun.Tx, key string, since time.Time) error {
	if _, err := tx.NewDelete().Table("login_failures").Where("key = ? AND at <= ?", key, since).Exec(ctx); err != nil {
		return fmt.Errorf("pruning failures: %w", err)
	}
	return nil
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

// DeviceTokenAge is how long a device stays known after the login that made it known.
const DeviceTokenAge = 180 * 24 * time.Hour

// DeviceToken is a new token, issued at now and valid for DeviceTokenAge, that marks the client holding it as a device
// known to the account of login: Authenticate then throttles its attempts by themselves (see there).
// The web layer gives it to a browser in a cookie after a successful login.
func DeviceToken(th Throttle, login string, now time.Time) string {
	b := make([]byte, 16)
	_, _ = cryptorand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b) + "." + strconv.FormatInt(now.Unix(), 10)
	return id + "." + deviceMAC(th, strings.ToLower(strings.TrimSpace(login)), id)
}

// knownDevice returns the id of a device token signed for login and issued within DeviceTokenAge.
func knownDevice(th Throttle, login, token string) (string, bool) {
	cut := strings.LastIndexByte(token, '.')
	if cut < 0 || len(th.DeviceSecret) == 0 {
		return "", false
	}
	id, mac := token[:cut], token[cut+1:]
	if !hmac.Equal([]byte(mac), []byte(deviceMAC(th, login, id))) {
		return "", false
	}
	_, issued, _ := strings.Cut(id, ".")
	at, err := strconv.ParseInt(issued, 10, 64)
	if err != nil || time.Since(time.Unix(at, 0)) > DeviceTokenAge {
		return "", false
	}
	return id, true
}

func deviceMAC(th Throttle, login, id string) string {
	m := hmac.New(sha256.New, th.DeviceSecret)
	m.Write([]byte("known-device\x00" + login + "\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
