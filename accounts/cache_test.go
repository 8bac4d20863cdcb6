package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/stacktest"
)

// liveCache is a cache of a long lifetime (only evictions make it forget) on broker, in use when it
// returns, as in a process whose subscription has started.
func liveCache(t *testing.T, broker *queue.Broker) *accounts.Cache {
	t.Helper()
	c := accounts.NewCache(time.Hour, broker)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Listen(ctx) //nolint:errcheck // returns nil once ctx ends
	stacktest.Eventually(t, "the cache's subscription", c.Live)
	return c
}

// signIns are the statements of q that read or write sessions, API tokens or users.
func signIns(q []string) []string { return stacktest.On(q, "sessions", "api_tokens", "users") }

// A session or API token seen once is let in again without a statement, and its expiry and last use
// are written on the first request as without the cache; with the cache off, every request reads.
func TestCacheLetsRepeatsInWithoutTheDatabase(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		log := &stacktest.Statements{}
		db := s.DB.WithQueryHook(log)
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "repeat", Password: "a long password"})
		if err != nil {
			t.Fatal(err)
		}
		session, _ := accounts.StartSession(ctx, s.DB, u.ID, time.Hour, "", "")
		secret, _, err := accounts.CreateToken(ctx, s.DB, audit.System, u.ID, "repeat", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*accounts.Cache{nil, liveCache(t, s.Broker(t))} {
			for i := range 3 {
				q := log.During(func() {
					if got, err := accounts.SessionUser(ctx, db, c, session, time.Hour); err != nil || got.ID != u.ID || got.PasswordHash != "" {
						t.Fatalf("session: %+v %v", got, err)
					}
					if got, err := accounts.TokenUser(ctx, db, c, secret); err != nil || got.ID != u.ID {
						t.Fatalf("token: %+v %v", got, err)
					}
				})
				switch want := 2; {
				case c == nil && len(q) < want:
					t.Errorf("without the cache, request %d sent %d statements, want a read each", i, len(q))
				case c != nil && i > 0 && len(signIns(q)) > 0:
					t.Errorf("request %d of a seen session and token sent:\n  %s", i, strings.Join(q, "\n  "))
				}
			}
		}
		var used *time.Time
		if err := s.DB.NewSelect().Table("api_tokens").Column("last_used_at").Where("user_id = ?", u.ID).Scan(ctx, &used); err != nil || used == nil {
			t.Fatalf("the token's use is not recorded: %v %v", used, err)
		}
	})
}

// What one process ends, revokes or changes, the other forgets at once (a cache lifetime of an hour
// would keep it otherwise).
func TestCacheForgetsWhatAnotherProcessChanged(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		broker := s.Broker(t)
		here, there := liveCache(t, broker), liveCache(t, broker)
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "elsewhere", Password: "a long password"})
		if err != nil {
			t.Fatal(err)
		}
		session, _ := accounts.StartSession(ctx, s.DB, u.ID, time.Hour, "", "")
		secret, tok, err := accounts.CreateToken(ctx, s.DB, audit.System, u.ID, "elsewhere", 0)
		if err != nil {
			t.Fatal(err)
		}
		sessionUser := func() (*accounts.User, error) { return accounts.SessionUser(ctx, s.DB, there, session, time.Hour) }
		if got, err := sessionUser(); err != nil || got.Locale != "zh-CN" {
			t.Fatalf("session: %+v %v", got, err)
		}
		if _, err := accounts.TokenUser(ctx, s.DB, there, secret); err != nil {
			t.Fatal(err)
		}

		if err := accounts.SetLocale(ctx, s.DB, here, u.ID, "en"); err != nil {
			t.Fatal(err)
		}
		stacktest.Eventually(t, "the new language there", func() bool { got, err := sessionUser(); return err == nil && got.Locale == "en" })
		if err := accounts.RevokeToken(ctx, s.DB, here, audit.System, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		stacktest.Eventually(t, "the revoked token refused there", func() bool {
			_, err := accounts.TokenUser(ctx, s.DB, there, secret)
			return err == problem.ErrLoginRequired
		})
		if err := accounts.EndSession(ctx, s.DB, here, session); err != nil {
			t.Fatal(err)
		}
		stacktest.Eventually(t, "the ended session refused there", func() bool { _, err := sessionUser(); return err == problem.ErrLoginRequired })
	})
}

// A process whose subscription is lost reads the database again for every request, and starts its
// cache empty when it subscribes again: what it missed meanwhile does not linger.
func TestCacheIsNotUsedWhileDeaf(t *testing.T) {
	ctx := context.Background()
	s := stacktest.SQLite(t)
	m := miniredis.RunT(t)
	broker, err := queue.Open(ctx, "redis://"+m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	c := liveCache(t, broker)
	log := &stacktest.Statements{}
	db := s.DB.WithQueryHook(log)
	u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "deaf", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := accounts.CreateToken(ctx, s.DB, audit.System, u.ID, "deaf", 0)
	if err != nil {
		t.Fatal(err)
	}
	reads := func() int {
		return len(signIns(log.During(func() {
			if _, err := accounts.TokenUser(ctx, db, c, secret); err != nil {
				t.Fatal(err)
			}
		})))
	}
	reads()
	if n := reads(); n != 0 {
		t.Fatalf("a seen token read %d times", n)
	}
	m.Close()
	stacktest.Eventually(t, "reading the token while Redis is away", func() bool { return reads() > 0 })
	// Revoked by a process whose message nobody heard:
	if err := accounts.RevokeToken(ctx, s.DB, nil, audit.System, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	stacktest.Eventually(t, "the subscription again", c.Live)
	if _, err := accounts.TokenUser(ctx, db, c, secret); err != problem.ErrLoginRequired {
		t.Fatalf("a token revoked while Redis was away: %v", err)
	}
}
