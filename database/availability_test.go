package database_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// The errors of real drivers are told apart: outages from mistakes and bugs.
func TestClassify(t *testing.T) {
	ctx := context.Background()
	addr := closedAddr(t)
	_, pgDown := database.OpenPostgres(ctx, "postgres://civicflow@"+addr+"/civicflow?sslmode=disable", 2*time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	redisDown := rdb.Ping(ctx).Err()
	for _, tc := range []struct {
		name string
		err  error
		want database.Outage
	}{
		{"PostgreSQL not listening", pgDown, database.Unreachable},
		{"Redis not listening", fmt.Errorf("enqueueing: %w", redisDown), database.Unreachable},
		{"bad connection", fmt.Errorf("reading: %w", driver.ErrBadConn), database.Unreachable},
		{"deadline", fmt.Errorf("reading: %w", context.DeadlineExceeded), database.Unreachable},
		{"PostgreSQL read-only", &pgconn.PgError{Code: "25006"}, database.ReadOnly},
		{"PostgreSQL disk full", &pgconn.PgError{Code: "53100"}, database.ReadOnly},
		{"PostgreSQL shutting down", &pgconn.PgError{Code: "57P01"}, database.Unreachable},
		{"PostgreSQL too many clients", &pgconn.PgError{Code: "53300"}, database.Unreachable},
		{"PostgreSQL connection failure", &pgconn.PgError{Code: "08006"}, database.Unreachable},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, database.NoOutage},
		{"PostgreSQL syntax error", &pgconn.PgError{Code: "42601"}, database.NoOutage},
		{"caller went away", fmt.Errorf("reading: %w", context.Canceled), database.NoOutage},
		{"a problem", problem.ErrNotFound, database.NoOutage},
		{"a bug", errors.New("nil map"), database.NoOutage},
		{"nothing", nil, database.NoOutage},
	} {
		if pgDown == nil || redisDown == nil {
			t.Fatal("connecting to a closed port succeeded")
		}
		if got := database.Classify(tc.err); got != tc.want {
			t.Errorf("%s (%v): %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
}

// A database that refuses writes (read-only PostgreSQL, a read-only SQLite file) is a read-only
// outage; its other errors are none.
func TestClassifyReadOnlyDatabase(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if err := database.Probe(ctx, s.DB); err != nil {
			t.Fatalf("probe of a writable database: %v", err)
		}
		_, err := s.DB.ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ('x', 'y'), ('x', 'z')")
		if o := database.Classify(err); err == nil || o != database.NoOutage {
			t.Errorf("unique violation: %v classified %s", err, o)
		}
		writable := s.ReadOnly(t)
		err = database.Probe(ctx, s.DB)
		if o := database.Classify(err); o != database.ReadOnly {
			t.Errorf("probe of a read-only database: %v classified %s", err, o)
		}
		writable()
		if err := database.Probe(ctx, s.DB); err != nil {
			t.Fatalf("probe of the database writable again: %v", err)
		}
	})
}

// SQLite's full disk is a read-only outage.
func TestClassifyFullSQLite(t *testing.T) {
	s := stacktest.SQLite(t)
	ctx := context.Background()
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The file may not grow by a page: as good as a full disk.
	if _, err := conn.ExecContext(ctx, "PRAGMA max_page_count = 1"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ('big', ?)", strings.Repeat("x", 1<<20))
	if o := database.Classify(err); o != database.ReadOnly {
		t.Errorf("full database: %v classified %s", err, o)
	}
}

// An outage is logged once when it starts and once when it ends, however many requests meet it; a
// read-only outage ends with the first write that succeeds, not with reads.
func TestOutageLogLogsOnceEach(t *testing.T) {
	var buf bytes.Buffer // slog's handler serialises the writes
	l := &database.OutageLog{Name: "database", Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx := context.Background()
	lines := func(msg string) int { return strings.Count(buf.String(), `msg="`+msg+`"`) }
	down := fmt.Errorf("reading: %w", driver.ErrBadConn)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			l.Observe(ctx, down, false)
			l.Observe(ctx, errors.New("a bug"), false) // says nothing about availability
		})
	}
	wg.Wait()
	if n := lines("database unavailable"); n != 1 {
		t.Fatalf("%d outage lines for 50 failures, want 1:\n%s", n, buf.String())
	}
	for range 5 {
		l.Observe(ctx, nil, false)
	}
	if n := lines("database available again"); n != 1 {
		t.Fatalf("%d end lines for 5 successes, want 1:\n%s", n, buf.String())
	}

	readOnly := &pgconn.PgError{Code: "25006"}
	l.Observe(ctx, readOnly, true)
	l.Observe(ctx, nil, false) // a read: the database still refuses writes
	l.Observe(ctx, readOnly, true)
	if n, m := lines("database unavailable"), lines("database available again"); n != 2 || m != 1 {
		t.Fatalf("read-only outage: %d outage and %d end lines, want 2 and 1:\n%s", n, m, buf.String())
	}
	l.Observe(ctx, nil, true)
	if n := lines("database available again"); n != 2 {
		t.Fatalf("a write that succeeds ends a read-only outage:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "outage=read-only") || !strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("the outage line names its kind at error level:\n%s", buf.String())
	}
}
