// Package database opens CivicFlow's database: the embedded SQLite file (pure-Go driver, no cgo) by
// default, or PostgreSQL when a postgres:// URL is configured. Both are reached through bun.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite" // also registers the pure-Go "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// likeWildcards are LIKE's wildcards and its escape character.
var likeWildcards = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EscapeLike makes the wildcards of a LIKE pattern literal, with backslash as the escape character
// (write the query's LIKE with ESCAPE '\').
func EscapeLike(s string) string { return likeWildcards.Replace(s) }

// IsUniqueViolation reports whether err is a unique or primary-key constraint's refusal, on either
// database: the answer to a race that a constraint, not a read, decides.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsDeadlock reports whether PostgreSQL ended the transaction of err to break a deadlock (or a
// serialisation failure): two transactions took the same rows in different orders, and the other one
// goes on.
func IsDeadlock(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// OpenPostgres connects to PostgreSQL at url and checks that it answers. Opening a connection may
// take connectTimeout at most (unless url sets connect_timeout): a server that stops answering
// without closing its connections would otherwise keep a dial waiting for minutes. Its outages are
// logged once each (see OutageLog).
func OpenPostgres(ctx context.Context, url string, connectTimeout time.Duration) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	// bun writes the arguments into the SQL text, so every statement is new to the server: preparing
	// and caching them would cost a round trip each and fill the cache for nothing.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	// JIT compiling pays off for analytics over hours, not for queries that answer in milliseconds:
	// on a table of a million cases PostgreSQL's cost estimates reach its threshold and a statistics
	// query spent 3.4 s compiling to save a few milliseconds (unless url sets it).
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(32)
	sqldb.SetMaxIdleConns(16)
	db := LogOutages(bun.NewDB(sqldb, pgdialect.New()), &OutageLog{Name: "database"})
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return db, nil
}

// OpenSQLite opens (creating if needed) the SQLite file at path. Write transactions start with
// BEGIN IMMEDIATE and wait for a busy database instead of failing, so that concurrent requests queue
// up rather than erroring; WAL lets readers go on while one writer works. Its outages (a full disk, a
// read-only file) are logged once each (see OutageLog).
func OpenSQLite(ctx context.Context, path string) (*bun.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening SQLite %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	db := LogOutages(bun.NewDB(sqldb, sqlitedialect.New()), &OutageLog{Name: "database"})
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening SQLite %s: %w", path, err)
	}
	return db, nil
}

// IsPostgres reports whether db speaks PostgreSQL (otherwise it is SQLite).
func IsPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }
