package accounts_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

var throttle = accounts.Throttle{MaxPerAccount: 3, MaxPerIP: 5, Window: time.Minute}

func TestCreateValidatesEveryField(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		_, err := accounts.Create(context.Background(), s.DB, audit.System, accounts.NewUser{
			Login: "A", Password: "short", Email: "nope", Phone: "12345", Locale: "fr"})
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			t.Fatalf("want Invalid, got %v", err)
		}
		got := map[string]bool{}
		for _, f := range p.Fields {
			got[f.Path] = true
		}
		for _, path := range []string{"login", "password", "email", "phone", "locale"} {
			if !got[path] {
				t.Errorf("no error on %s: %v", path, p.Fields)
			}
		}
		var n int
		if err := s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("users").Where("id <> 0").Scan(context.Background(), &n); err != nil || n != 0 { // user 0: workflow.NoApplicant
			t.Fatalf("users after refused create: %d %v", n, err)
		}
	})
}

func TestLoginThrottleAndSessions(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		c := liveCache(t, s.Broker(t))
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "alice", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "Alice", Password: "another password"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("duplicate login: %v", err)
		}
		// Unknown account and wrong password get the same answer.
		_, errUnknown := accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "nobody", Password: "whatever123", IP: "10.0.0.1"})
		_, errWrong := accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "alice", Password: "wrong password", IP: "10.0.0.2"})
		if errUnknown != accounts.ErrBadCredentials || errWrong != accounts.ErrBadCredentials {
			t.Fatalf("answers differ: %v / %v", errUnknown, errWrong)
		}
		if got, err := accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "ALICE", Password: "correct horse battery", IP: "10.0.0.2"}); err != nil || got.ID != u.ID {
			t.Fatalf("good login: %v", err)
		}
		// Per account: three failures from different addresses lock the account, even for the right
		// password; the one before the good login still counts (a success does not reset the count).
		for i, ip := range []string{"10.1.0.1", "10.1.0.2"} {
			if _, err := accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "alice", Password: "wrong", IP: ip}); err != accounts.ErrBadCredentials {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, err := accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "alice", Password: "correct horse battery", IP: "10.1.0.9"}); err != accounts.ErrThrottled {
			t.Fatalf("locked account: %v", err)
		}
		// Per address: five failures on different names block the address.
		for _, name := range []string{"a1", "a2", "a3", "a4", "a5"} {
			accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: name, Password: "x", IP: "10.9.9.9"})
		}
		if _, err := accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "someone", Password: "x", IP: "10.9.9.9"}); err != accounts.ErrThrottled {
			t.Fatalf("blocked address: %v", err)
		}

		token, err := accounts.StartSession(ctx, s.DB, u.ID, time.Hour, "10.0.0.2", "test")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := accounts.SessionUser(ctx, s.DB, c, token, time.Hour); err != nil || got.ID != u.ID {
			t.Fatalf("session user: %v", err)
		}
		if err := accounts.EndSession(ctx, s.DB, c, token); err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.SessionUser(ctx, s.DB, c, token, time.Hour); err != problem.ErrLoginRequired {
			t.Fatalf("ended session still works: %v", err)
		}
		expired, _ := accounts.StartSession(ctx, s.DB, u.ID, -time.Second, "", "")
		if _, err := accounts.SessionUser(ctx, s.DB, c, expired, time.Hour); err != problem.ErrLoginRequired {
			t.Fatalf("expired session works: %v", err)
		}
	})
}

// TestLoginThrottleHoldsUnderConcurrency fires a hundred guesses at once: however they interleave, no
// more passwords are compared than the limit allows, per account and per address, and the right
// password is refused once the limit is reached.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	th := accounts.Throttle{MaxPerAccount: 5, MaxPerIP: 20, Window: time.Minute}
	attempt := func(t *testing.T, n int, try func(i int) error) (answers map[error]int, compared int64) {
		t.Helper()
		before := accounts.Comparisons()
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs <- try(i) })
		}
		wg.Wait()
		close(errs)
		answers = map[error]int{}
		for err := range errs {
			if err != accounts.ErrBadCredentials && err != accounts.ErrThrottled {
				t.Fatalf("unexpected answer: %v", err)
			}
			answers[err]++
		}
		return answers, accounts.Comparisons() - before
	}
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "target", Password: "the right password"}); err != nil {
			t.Fatal(err)
		}
		// One account, a hundred addresses.
		answers, compared := attempt(t, 100, func(i int) error {
			_, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "target", Password: "guess-" + strconv.Itoa(i), IP: "10.2.0." + strconv.Itoa(i)})
			return err
		})
		if compared > 5 || answers[accounts.ErrBadCredentials] != 5 {
			t.Fatalf("per account: %d passwords compared, answers %v; want 5", compared, answers)
		}
		answers, compared = attempt(t, 10, func(i int) error {
			_, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "target", Password: "the right password", IP: "10.3.0." + strconv.Itoa(i)})
			return err
		})
		if compared != 0 || answers[accounts.ErrThrottled] != 10 {
			t.Fatalf("the right password after the limit: %d compared, answers %v", compared, answers)
		}
		// One address, a hundred login names (existing or not, they are counted alike).
		answers, compared = attempt(t, 100, func(i int) error {
			_, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "name-" + strconv.Itoa(i), Password: "guess", IP: "10.4.0.1"})
			return err
		})
		if compared > 20 || answers[accounts.ErrBadCredentials] != 20 {
			t.Fatalf("per address: %d passwords compared, answers %v; want 20", compared, answers)
		}
	})
}

// TestLoginThrottleLetsRightPasswordsThroughAtOnce logs a dozen staff in at once from one address
// (an office behind one NAT) and one account from a dozen browsers at once: only failures count
// against the limits, so every right password succeeds, while wrong guesses stay bounded.
func TestLoginThrottleLetsRightPasswordsThroughAtOnce(t *testing.T) {
	th := accounts.Throttle{MaxPerAccount: 2, MaxPerIP: 3, Window: time.Minute}
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for i := range 12 {
			if _, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "staff-" + strconv.Itoa(i), Password: "the right password"}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 24)
		for i := range 12 {
			wg.Go(func() {
				_, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "staff-" + strconv.Itoa(i), Password: "the right password", IP: "10.5.0.1"})
				errs <- err
			})
			wg.Go(func() {
				_, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "staff-0", Password: "the right password", IP: "10.6.0." + strconv.Itoa(i)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a right password sent at once: %v", err)
			}
		}
		before := accounts.Comparisons()
		for i := range 10 {
			wg.Go(func() {
				_, _ = accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "staff-" + strconv.Itoa(i), Password: "wrong", IP: "10.5.0.1"})
			})
		}
		wg.Wait()
		if n := accounts.Comparisons() - before; n > 3 {
			t.Fatalf("%d wrong guesses checked from one address, want at most 3", n)
		}
	})
}

func TestAPITokens(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		c := liveCache(t, s.Broker(t))
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "robot", Password: "machine password"})
		if err != nil {
			t.Fatal(err)
		}
		secret, tok, err := accounts.CreateToken(ctx, s.DB, audit.System, u.ID, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := s.DB.NewSelect().ColumnExpr("token_hash").TableExpr("api_tokens").Where("id = ?", tok.ID).Scan(ctx, &stored); err != nil {
			t.Fatal(err)
		}
		if stored == secret || len(stored) != 64 {
			t.Fatalf("token stored in clear or oddly: %q", stored)
		}
		if got, err := accounts.TokenUser(ctx, s.DB, c, secret); err != nil || got.ID != u.ID {
			t.Fatalf("token user: %v", err)
		}
		if err := accounts.RevokeToken(ctx, s.DB, c, audit.System, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.TokenUser(ctx, s.DB, c, secret); err != problem.ErrLoginRequired {
			t.Fatalf("revoked token works: %v", err)
		}
		if err := accounts.RevokeToken(ctx, s.DB, c, audit.System, u.ID+1, tok.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("revoking another's token: %v", err)
		}
	})
}

func TestPurgeForgetsWhatNothingReads(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "purge.me", Password: "a long password"})
		if err != nil {
			t.Fatal(err)
		}
		live, _ := accounts.StartSession(ctx, s.DB, u.ID, time.Hour, "", "")
		accounts.StartSession(ctx, s.DB, u.ID, -time.Minute, "", "") // already expired
		accounts.Authenticate(ctx, s.DB, throttle, accounts.Credentials{Login: "purge.me", Password: "wrong", IP: "10.0.0.1"})
		count := func(table string) int {
			n, err := s.DB.NewSelect().TableExpr(table).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		if err := accounts.Purge(ctx, s.DB, time.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if count("sessions") != 1 || count("login_failures") != 2 || count("login_throttle") != 2 {
			t.Fatalf("purged too much: %d sessions, %d failures, %d throttle keys", count("sessions"), count("login_failures"), count("login_throttle"))
		}
		if err := accounts.Purge(ctx, s.DB, time.Now().Add(2*time.Hour), time.Minute); err != nil {
			t.Fatal(err)
		}
		if count("sessions") != 0 || count("login_failures") != 0 || count("login_throttle") != 0 {
			t.Fatalf("left behind: %d sessions, %d failures, %d throttle keys", count("sessions"), count("login_failures"), count("login_throttle"))
		}
		if _, err := accounts.SessionUser(ctx, s.DB, nil, live, time.Hour); err == nil {
			t.Fatal("a purged session still works")
		}
	})
}

func TestSecretIsGeneratedOnceAndShared(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		first, err := accounts.Secret(ctx, s.DB, "csrf_secret")
		if err != nil || len(first) < 32 {
			t.Fatalf("first secret %q: %v", first, err)
		}
		again, err := accounts.Secret(ctx, s.DB, "csrf_secret")
		if err != nil || string(again) != string(first) {
			t.Fatalf("second read gave another secret: %v", err)
		}
		if other, _ := accounts.Secret(ctx, s.DB, "another"); string(other) == string(first) {
			t.Fatal("two names share a secret")
		}
	})
}

// An attempt whose password was never checked (its request ran out of time in the queue of checks)
// is taken back, not left pending to count as a failure later; a success clears the account's
// failures but not the reservation of another attempt still being checked.
func TestLoginThrottleCountsOnlyChecks(t *testing.T) {
	th := accounts.Throttle{MaxPerAccount: 2, MaxPerIP: 20, Window: time.Minute}
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "queued", Password: "the right password"}); err != nil {
			t.Fatal(err)
		}
		release := accounts.HoldPasswordChecks()
		for i := range 3 {
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, err := accounts.Authenticate(short, s.DB, th, accounts.Credentials{Login: "queued", Password: "the right password", IP: "10.7.0." + strconv.Itoa(i)})
			cancel()
			if err == nil {
				t.Fatal("a login got through while every password check was taken")
			}
		}
		release()
		soon, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := accounts.Authenticate(soon, s.DB, th, accounts.Credentials{Login: "queued", Password: "the right password", IP: "10.7.1.1"}); err != nil {
			t.Fatalf("after attempts that were never checked, the right password: %v", err)
		}

		inFlight, err := accounts.ReserveAttempt(ctx, s.DB, th, "login:queued", "ip:10.7.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "queued", Password: "the right password", IP: "10.7.1.1"}); err != nil {
			t.Fatal(err)
		}
		n, err := s.DB.NewSelect().Table("login_failures").Where("id IN (?) AND pending", bun.List(inFlight)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(n) != len(inFlight) {
			t.Fatalf("a success removed %d of the %d reservations of an attempt still being checked", len(inFlight)-int(n), len(inFlight))
		}
	})
}

// A known-device token is honoured for DeviceTokenAge after the login that issued it, not for ever:
// an old one counts its attempts under the login name like any stranger's.
func TestKnownDeviceTokensExpire(t *testing.T) {
	th := accounts.Throttle{MaxPerAccount: 2, MaxPerIP: 20, Window: time.Minute, DeviceSecret: []byte("a test secret of enough length...")}
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "kept", Password: "the right password"}); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if _, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "kept", Password: "wrong", IP: "10.8.0." + strconv.Itoa(i)}); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("a stranger's guess: %v", err)
			}
		}
		fresh := accounts.DeviceToken(th, "kept", time.Now())
		old := accounts.DeviceToken(th, "kept", time.Now().Add(-accounts.DeviceTokenAge-time.Hour))
		if _, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "kept", Password: "the right password", IP: "10.8.1.1", Device: old}); !errors.Is(err, accounts.ErrThrottled) {
			t.Fatalf("an expired device token on a locked account: %v, want throttled", err)
		}
		if _, err := accounts.Authenticate(ctx, s.DB, th, accounts.Credentials{Login: "kept", Password: "the right password", IP: "10.8.1.1", Device: fresh}); err != nil {
			t.Fatalf("a fresh device token on a locked account: %v", err)
		}
	})
}
