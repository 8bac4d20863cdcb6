package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/forms"
)

// The scenarios that need more data than the API makes in minutes (campaign, province) write it
// straight into the server's database, as years of work would have left it: with COPY on PostgreSQL
// and multi-row INSERTs on SQLite.

// openBenchDB opens the server's database at url, written as CIVICFLOW_DATABASE_URL is.
func openBenchDB(ctx context.Context, url string) (*bun.DB, error) {
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		return database.OpenSQLite(ctx, path)
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return database.OpenPostgres(ctx, url, 10*time.Second)
	}
	return nil, fmt.Errorf("-database-url %q: want postgres://… or sqlite:path, as CIVICFLOW_DATABASE_URL", url)
}

// loadChunk is how many rows the loaders write at a time.
const loadChunk = 20000

// loader writes rows of one table.
type loader interface {
	write(ctx context.Context, table string, cols []string, rows [][]any) error
}

// loaderFor is COPY on PostgreSQL, INSERTs on SQLite.
func loaderFor(db *bun.DB) loader {
	if database.IsPostgres(db) {
		return pgCopy{db}
	}
	return sqliteInsert{db}
}

// pgCopy writes with COPY through pgx, the driver under bun.
type pgCopy struct{ db *bun.DB }

func (l pgCopy) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copying %d rows into %s: %w", len(rows), table, err)
		}
		return nil
	})
}

// sqliteInsert writes with INSERTs of as many rows as SQLite's 32,766 variables allow, in one
// transaction per call.
type sqliteInsert struct{ db *bun.DB }

func (l sqliteInsert) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	per := 32000 / len(cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	return l.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for len(rows) > 0 {
			n := min(per, len(rows))
			args := make([]any, 0, n*len(cols))
			for _, r := range rows[:n] {
				args = append(args, r...)
			}
			q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("inserting %d rows into %s: %w", n, table, err)
			}
			rows = rows[n:]
		}
		return nil
	})
}

// codeChars are the characters of a credit code's body (GB 32100: digits and capitals but I, O, S, V, Z).
const codeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// runTag is four capitals naming this run's organisations in their credit codes (see benchUSCC), so
// that runs on one database never collide and each finds its own.
func runTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeChars[10+int(b[i])%(len(codeChars)-10)]
	}
	return string(b)
}

// benchUSCC is the valid credit code of the i-th organisation (i < 31⁴) of the run tagged tag,
// registered by the civil affairs bureau (5) as an organisation of kind digit in division: its
// organisation code is the tag and i in base 31.
func benchUSCC(tag string, digit byte, division string, i int) string {
	body := []byte(tag + "0000")
	for p := len(body) - 1; i > 0; p-- {
		body[p] = codeChars[i%len(codeChars)]
		i /= len(codeChars)
	}
	org, _ := forms.OrgCodeCheckChar(string(body))
	first17 := "5" + string(digit) + division + string(body) + string(org)
	check, _ := forms.USCCCheckChar(first17)
	return first17 + string(check)
}

// benchIndex is the i that benchUSCC made code from.
func benchIndex(code string) int {
	i := 0
	for _, c := range code[12:16] {
		i = i*len(codeChars) + strings.IndexRune(codeChars, c)
	}
	return i
}
