package database_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
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

// sqliteBusy is the error of a write to a SQLite file that another connection keeps locked for longer
// than the writer's busy timeout.
func sqliteBusy(t *testing.T) error {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := database.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	writer, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	_, err = writer.ExecContext(ctx, "CREATE TABLE t (x int)")
	return err
}

// The errors of real drivers are told apart: their outages from mistakes and bugs, and the
// application's own errors, whatever they wrap, from the drivers'.
func TestClassify(t *testing.T) {
	ctx := context.Background()
	addr := closedAddr(t)
	pgURL := func(addr string) string { return "postgres://civicflow@" + addr + "/civicflow?sslmode=disable" }
	_, pgDown := database.OpenPostgres(ctx, pgURL(addr), 2*time.Second)
	_, pgHangsUp := database.OpenPostgres(ctx, pgURL(stacktest.ServeTCP(t, func(c net.Conn) { c.Close() })), 2*time.Second)
	_, pgResets := database.OpenPostgres(ctx, pgURL(stacktest.ServeTCP(t, func(c net.Conn) {
		c.(*net.TCPConn).SetLinger(0) //nolint:errcheck // a close with RST
		c.Close()
	})), 2*time.Second)
	_, pgStalls := database.OpenPostgres(ctx, pgURL(stacktest.ServeTCP(t, func(c net.Conn) { time.Sleep(2 * time.Second); c.Close() })), 100*time.Millisecond)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, pgCallerGone := database.OpenPostgres(cancelled, pgURL(addr), 2*time.Second)
	_, appNetErr := net.Dial("tcp", addr) // say, a mail server's
	for _, tc := range []struct {
		name string
		err  error
		want database.Outage
	}{
		{"PostgreSQL not listening", pgDown, database.Unreachable},
		{"PostgreSQL hangs up (EOF)", pgHangsUp, database.Unreachable},
		{"PostgreSQL resets the connection", pgResets, database.Unreachable},
		{"PostgreSQL does not answer within the connect timeout", pgStalls, database.Unreachable},
		{"SQLite locked past its busy timeout", sqliteBusy(t), database.Unreachable},
		{"bad connection", fmt.Errorf("reading: %w", driver.ErrBadConn), database.Unreachable},
		{"the request's deadline", fmt.Errorf("reading: %w", context.DeadlineExceeded), database.Unreachable},
		{"PostgreSQL read-only", &pgconn.PgError{Code: "25006"}, database.ReadOnly},
		{"PostgreSQL disk full", &pgconn.PgError{Code: "53100"}, database.ReadOnly},
		{"PostgreSQL shutting down", &pgconn.PgError{Code: "57P01"}, database.Unreachable},
		{"PostgreSQL starting up", &pgconn.PgError{Code: "57P03"}, database.Unreachable},
		{"PostgreSQL too many clients", &pgconn.PgError{Code: "53300"}, database.Unreachable},
		{"PostgreSQL connection failure", &pgconn.PgError{Code: "08006"}, database.Unreachable},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, database.NoOutage},
		{"PostgreSQL syntax error", &pgconn.PgError{Code: "42601"}, database.NoOutage},
		{"PostgreSQL statement cancelled", &pgconn.PgError{Code: "57014"}, database.NoOutage},
		{"PostgreSQL wrong password", &pgconn.PgError{Code: "28P01"}, database.NoOutage},
		{"caller went away", fmt.Errorf("reading: %w", context.Canceled), database.NoOutage},
		{"caller went away while connecting", pgCallerGone, database.NoOutage},
		{"no rows", fmt.Errorf("reading: %w", sql.ErrNoRows), database.NoOutage},
		{"a connection used after its release (a bug)", sql.ErrConnDone, database.NoOutage},
		{"the application's EOF", fmt.Errorf("reading the upload: %w", io.EOF), database.NoOutage},
		{"the application's network error", fmt.Errorf("sending mail: %w", appNetErr), database.NoOutage},
		{"Redis not listening (not the database's)", redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1}).Ping(ctx).Err(), database.NoOutage},
		{"a problem", problem.ErrNotFound, database.NoOutage},
		{"a bug", errors.New("nil map"), database.NoOutage},
		{"nothing", nil, database.NoOutage},
	} {
		if got := database.Classify(tc.err); got != tc.want {
			t.Errorf("%s (%v): %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
	for _, err := range []error{pgDown, pgHangsUp, pgResets, pgStalls, pgCallerGone, appNetErr} {
		if err == nil {
			t.Fatal("connecting to a closed or broken port succeeded")
		}
	}
}

// A connection that PostgreSQL ends in the middle of a session is an outage of it.
func TestClassifyConnectionEndedByPostgres(t *testing.T) {
	s := stacktest.PostgresOnly(t)
	ctx := context.Background()
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, "SELECT pg_terminate_backend(?)", pid); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, "SELECT 1")
	if o := database.Classify(err); err == nil || o != database.Unreachable {
		t.Errorf("a query on a terminated connection: %v classified %s", err, o)
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

// A query that runs out of its caller's time says nothing certain about the database: the outage log
// stays quiet, though the request answers 503. The readiness probe's deadline passing is an outage.
func TestOutageLogIgnoresCallersDeadlines(t *testing.T) {
	var buf bytes.Buffer
	l := &database.OutageLog{Name: "database", Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	db := database.LogOutages(stacktest.SQLite(t).DB, l)
	late, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := db.NewSelect().ColumnExpr("1").Exec(late); !database.Unavailable(err) {
		t.Fatalf("a query past its deadline: %v, want an error that answers 503", err)
	}
	if strings.Contains(buf.String(), "database unavailable") {
		t.Fatalf("a caller's deadline was logged as an outage:\n%s", buf.String())
	}
	if err := database.Probe(late, db); err == nil {
		t.Fatal("a probe past its deadline succeeded")
	}
	if !strings.Contains(buf.String(), "database unavailable") {
		t.Fatalf("a probe that ran out of its budget was not logged as an outage:\n%s", buf.String())
	}
}
