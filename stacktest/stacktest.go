// Package stacktest runs a test on each storage stack CivicFlow supports: SQLite with an in-process
// Redis always, and PostgreSQL with a Redis server when CIVICFLOW_TEST_DATABASE_URL and
// CIVICFLOW_TEST_REDIS_URL are set (CI sets both). Every run gets a clean, migrated schema of its own,
// so tests may run in parallel.
package stacktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/queue"
)

// Stack is one database plus the Redis that goes with it.
type Stack struct {
	Name string // "sqlite" or "postgres"
	DB   *bun.DB
	// DatabaseURL reaches the same database from another process or connection pool.
	DatabaseURL string
	redisURL    string
}

// Each runs fn once per available stack as a subtest named after the stack.
func Each(t *testing.T, fn func(t *testing.T, s *Stack)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if HasPostgres(t) {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// EachBench runs fn once per available stack as a sub-benchmark named after the stack, as Each does
// for tests.
func EachBench(b *testing.B, fn func(b *testing.B, s *Stack)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, SQLite(b)) })
	if HasPostgres(b) {
		b.Run("postgres", func(b *testing.B) { fn(b, Postgres(b)) })
	}
}

// HasPostgres reports whether the PostgreSQL stack is configured (CIVICFLOW_TEST_DATABASE_URL). On a
// machine without it the PostgreSQL tests are left out; with CIVICFLOW_TEST_REQUIRE_POSTGRES set (CI
// sets it) its absence fails the test instead, so that CI can never leave them out.
func HasPostgres(t testing.TB) bool {
	t.Helper()
	if os.Getenv("CIVICFLOW_TEST_DATABASE_URL") != "" {
		return true
	}
	if os.Getenv("CIVICFLOW_TEST_REQUIRE_POSTGRES") != "" {
		t.Fatal("CIVICFLOW_TEST_REQUIRE_POSTGRES is set but CIVICFLOW_TEST_DATABASE_URL is not")
	}
	return false
}

// PostgresOnly is Postgres for a test that only PostgreSQL can run (its plans, its connections): the
// test is skipped where PostgreSQL is not configured, and fails where it is required (HasPostgres).
func PostgresOnly(t testing.TB) *Stack {
	t.Helper()
	if !HasPostgres(t) {
		t.Skip("needs PostgreSQL: set CIVICFLOW_TEST_DATABASE_URL")
	}
	return Postgres(t)
}

// SQLite returns a migrated SQLite stack in a temporary directory.
func SQLite(t testing.TB) *Stack {
	t.Helper()
	path := filepath.Join(t.TempDir(), "civicflow.db")
	db, err := database.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return &Stack{Name: "sqlite", DB: db, DatabaseURL: "sqlite:" + path}
}

// Postgres returns a migrated PostgreSQL stack in a fresh schema of the test database. It fails the
// test when the server configured by CIVICFLOW_TEST_DATABASE_URL cannot be reached.
func Postgres(t testing.TB) *Stack {
	t.Helper()
	base := os.Getenv("CIVICFLOW_TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("CIVICFLOW_TEST_DATABASE_URL is not set")
	}
	ctx := context.Background()
	admin, err := database.OpenPostgres(ctx, base, 5*time.Second)
	if err != nil {
		t.Fatalf("CIVICFLOW_TEST_DATABASE_URL: %v", err)
	}
	schema := "test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := database.OpenPostgres(ctx, u.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return &Stack{Name: "postgres", DB: db, DatabaseURL: u.String(), redisURL: os.Getenv("CIVICFLOW_TEST_REDIS_URL")}
}

func migrate(t testing.TB, db *bun.DB) {
	t.Helper()
	if _, err := migrations.Up(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}

// Broker returns the stack's Redis: an in-process one for SQLite, and for PostgreSQL a database of
// the Redis server at CIVICFLOW_TEST_REDIS_URL that this test holds alone until it ends.
func (s *Stack) Broker(t testing.TB) *queue.Broker {
	t.Helper()
	ctx := context.Background()
	if s.Name == "sqlite" {
		m := miniredis.RunT(t)
		b, err := queue.Open(ctx, "redis://"+m.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b
	}
	if s.redisURL == "" {
		t.Fatal("CIVICFLOW_TEST_REDIS_URL must be set together with CIVICFLOW_TEST_DATABASE_URL")
	}
	b, err := queue.Open(ctx, claimRedisDB(t, s.redisURL))
	if err != nil {
		t.Fatalf("CIVICFLOW_TEST_REDIS_URL: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// BrokerURL is the Redis URL the stack's Broker uses, for starting another process or client on it.
func BrokerURL(b *queue.Broker) string {
	o := b.Opt.(asynq.RedisClientOpt)
	return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
}

// claimRedisDB takes one of the Redis server's databases 1–15 for this test, empties it and frees it
// when the test ends, so that test processes running at once never see each other's tasks.
func claimRedisDB(t testing.TB, base string) string {
	t.Helper()
	opt, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("CIVICFLOW_TEST_REDIS_URL: %v", err)
	}
	opt.DB = 0
	ctl := redis.NewClient(opt)
	t.Cleanup(func() { ctl.Close() })
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := fmt.Sprintf("civicflow-test:db:%d", n)
			ok, err := ctl.SetNX(ctx, key, t.Name(), 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("CIVICFLOW_TEST_REDIS_URL: %v", err)
			}
			if !ok {
				continue
			}
			o := *opt
			o.DB = n
			c := redis.NewClient(&o)
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			c.Close()
			t.Cleanup(func() { ctl.Del(context.Background(), key) })
			u, _ := url.Parse(base)
			u.Path = fmt.Sprintf("/%d", n)
			return u.String()
		}
		if time.Now().After(deadline) {
			t.Fatal("no free Redis test database within 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ReadOnly makes the stack's database refuse every write from now on, as a PostgreSQL server in
// read-only mode or a read-only SQLite file does, while reads go on: it narrows the pool to one
// connection and sets that session read-only (SET SESSION CHARACTERISTICS … READ ONLY, PRAGMA
// query_only). It waits until the connections in use beyond that one have come back and closed,
// so that the session it sets is the only one left even while a worker polls. The returned
// function makes the database writable again.
func (s *Stack) ReadOnly(t testing.TB) (writable func()) {
	t.Helper()
	ctx := context.Background()
	maxOpen := s.DB.Stats().MaxOpenConnections
	s.DB.SetMaxIdleConns(1)
	s.DB.SetMaxOpenConns(1)
	for deadline := time.Now().Add(10 * time.Second); s.DB.Stats().OpenConnections > 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("making the database read-only: %d connections stay open", s.DB.Stats().OpenConnections)
		}
	}
	on, off := "PRAGMA query_only = 1", "PRAGMA query_only = 0"
	if s.Name == "postgres" {
		on, off = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"
	}
	if _, err := s.DB.ExecContext(ctx, on); err != nil {
		t.Fatalf("making the database read-only: %v", err)
	}
	return func() {
		t.Helper()
		if _, err := s.DB.ExecContext(ctx, off); err != nil {
			t.Fatalf("making the database writable again: %v", err)
		}
		s.DB.SetMaxOpenConns(maxOpen)
		s.DB.SetMaxIdleConns(maxOpen)
	}
}
