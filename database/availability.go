package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Outage says how a store (the database, or Redis) is failing: not at all, not answering, or
// answering but refusing to write.
type Outage int

// The outages Classify tells apart.
const (
	NoOutage    Outage = iota
	Unreachable        // no connection, a dropped connection, no answer in time, a server shutting down or full of clients
	ReadOnly           // reads work, writes are refused: read-only mode or file, disk full
)

// String is the outage as /readyz reports it.
func (o Outage) String() string {
	switch o {
	case Unreachable:
		return "unreachable"
	case ReadOnly:
		return "read-only"
	}
	return "ok"
}

// Classify tells whether err means that the database cannot be reached or cannot write right now:
// an outage that retrying later cures, as opposed to a mistake in the request or a bug. It is the one
// place that knows the drivers' errors, and it classifies only what comes from them (or from
// database/sql): an application's own error is never an outage, whatever it wraps.
//
// Outages are a request's deadline passing while it waits for the database; database/sql finding no
// working connection; PostgreSQL refusing connections (class 08, 57P01–57P03 shutting down or
// starting, 53300 too many clients) or writes (25006 read-only, 53100 disk full); pgx failing to
// connect or losing its connection (refused, reset, EOF, timed out); SQLite's full disk, read-only
// file, I/O errors, a file it cannot open, and a database still locked when its busy timeout is over
// (an immediate SQLITE_BUSY_SNAPSHOT is a conflict of transactions, no outage). A cancelled context
// is no outage: the caller went away.
func Classify(err error) Outage {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return NoOutage
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn):
		return Unreachable
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return postgresOutage(pg.Code)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return sqliteOutage(lite.Code())
	}
	if lostConnection(err) {
		return Unreachable
	}
	return NoOutage
}

// postgresOutage classifies a SQLSTATE that PostgreSQL answered.
func postgresOutage(code string) Outage {
	switch {
	case code == "25006", code == "53100":
		return ReadOnly
	case strings.HasPrefix(code, "08"), code == "53300", code == "57P01", code == "57P02", code == "57P03":
		return Unreachable
	}
	return NoOutage
}

// sqliteOutage classifies an (extended) SQLite result code.
func sqliteOutage(code int) Outage {
	switch code & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL:
		return ReadOnly
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return Unreachable
	case sqlite3.SQLITE_BUSY:
		if code == sqlite3.SQLITE_BUSY {
			return Unreachable // the busy timeout is over: the database is locked for longer than requests wait
		}
	}
	return NoOutage
}

// lostConnection reports whether err is pgx failing to connect or losing its connection: a
// pgconn.ConnectError, or one of pgconn's own errors (they alone have SafeToRetry) around a network
// error, an EOF, a timeout or a closed connection. A network error or an EOF that pgx did not report
// is someone else's.
func lostConnection(err error) bool {
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var fromPgx interface{ SafeToRetry() bool }
	if !errors.As(err, &fromPgx) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err)
}

// Unavailable reports whether err is an outage (see Classify): the web layer answers 503 for it.
func Unavailable(err error) bool { return Classify(err) != NoOutage }

// Probe checks that db answers and can write, cheaply: it updates the one row of readiness_probe.
// Its context's deadline is a budget for finding a database that does not answer, so the outage log
// takes that deadline passing for an outage (see queryHook).
func Probe(ctx context.Context, db bun.IDB) error {
	ctx = context.WithValue(ctx, probing{}, true)
	if _, err := db.ExecContext(ctx, "INSERT INTO readiness_probe (id, checked_at) VALUES (1, ?) "+
		"ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at", time.Now().UTC()); err != nil {
		return fmt.Errorf("writing the readiness probe: %w", err)
	}
	return nil
}

// OutageLog logs once when a store becomes unavailable (at error level, with the first error) and
// once when it is back (at info level, with how long it was out), so that an outage is two lines in
// the log and not one per request. It is safe for concurrent use.
type OutageLog struct {
	// Name is the store ("database", "redis").
	Name string
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// Classify tells the store's outages from its other errors; nil is the database's (Classify).
	Classify func(error) Outage

	state atomic.Int32 // the Outage in progress
	mu    sync.Mutex
	since time.Time
}

// Observe records the outcome of one use of the store: err nil for a success; write says whether the
// use wrote, since only a write proves a read-only outage over. Errors that are no outage say
// nothing about the store and change nothing.
func (l *OutageLog) Observe(ctx context.Context, err error, write bool) {
	classify := l.Classify
	if classify == nil {
		classify = Classify
	}
	o := classify(err)
	if err != nil && o == NoOutage {
		return
	}
	l.Report(ctx, o, err, write)
}

// Report records the outcome of one use of the store that the caller classified itself: outage o
// with err behind it, or NoOutage (and err nil) for a success. It is Observe for failures known only
// by their text, such as the ones asynq logs.
func (l *OutageLog) Report(ctx context.Context, o Outage, err error, write bool) {
	current := Outage(l.state.Load())
	if o == current || o == NoOutage && current == ReadOnly && !write {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if current = Outage(l.state.Load()); o == current {
		return // another goroutine logged it meanwhile
	}
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	if o == NoOutage {
		log.InfoContext(ctx, l.Name+" available again", "outage", current.String(), "after", time.Since(l.since).Round(time.Millisecond).String())
	} else {
		if current == NoOutage {
			l.since = time.Now()
		}
		log.ErrorContext(ctx, l.Name+" unavailable", "outage", o.String(), "error", err)
	}
	l.state.Store(int32(o))
}

// probing marks the context of Probe.
type probing struct{}

// queryHook feeds every query's outcome to an OutageLog. A query that ran out of its caller's time
// (a request's deadline) is not reported: a slow query on a healthy database would log a false
// outage. Only Probe's deadline passing counts, so a database that stops answering is logged by the
// readiness checks (and requests still answer 503 for it: Classify is unchanged).
type queryHook struct{ log *OutageLog }

func (h queryHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h queryHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if errors.Is(e.Err, context.DeadlineExceeded) && ctx.Value(probing{}) == nil {
		return
	}
	switch e.Operation() {
	case "INSERT", "UPDATE", "DELETE":
		h.log.Observe(ctx, e.Err, true)
	default:
		h.log.Observe(ctx, e.Err, false)
	}
}

// LogOutages returns db logging its outages through l (see OutageLog). The Open functions do it with
// a log named "database".
func LogOutages(db *bun.DB, l *OutageLog) *bun.DB { return db.WithQueryHook(queryHook{l}) }
