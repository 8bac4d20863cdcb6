// Package closed keeps table statistics_closed: the figures of closed cases per jurisdiction,
// service item and month of receipt in China ('YYYY-MM'). A closed case's figures never change (no
// action leaves a final state), so package statistics adds up these rows instead of counting a city's
// closed cases one by one. The engine adds a case in the transaction that closes it, and the
// migration that makes the table counts those already closed; both import this package, which needs
// nothing of the policies the statistics are filtered by (the migrations cannot import them).
package closed

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar/china"
	"github.com/civicflow/civicflow/database"
)

// The SQL conditions on a clock k that make its case late: it stopped after its promised or
// statutory due date. A clock without that due date does not make a case late.
const (
	latePromised  = "k.promised_due <> '' AND k.stopped_on <> '' AND k.stopped_on > k.promised_due"
	lateStatutory = "k.statutory_due <> '' AND k.stopped_on <> '' AND k.stopped_on > k.statutory_due"
)

// AnyClock is the SQL test that one of case c's clocks meets cond (indexes case_clocks_late and the
// clocks' unique (case_id, …) find them).
func AnyClock(cond string) string {
	return "EXISTS (SELECT 1 FROM case_clocks AS k WHERE k.case_id = c.id AND " + cond + ")"
}

// Figures adds to q, a query of cases c grouped by item and jurisdiction, the closed ones'
// figures: finished, within_promised and within_statutory.
func Figures(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ColumnExpr("COUNT(*) AS finished").
		ColumnExpr("SUM(CASE WHEN " + AnyClock(latePromised) + " THEN 0 ELSE 1 END) AS within_promised").
		ColumnExpr("SUM(CASE WHEN " + AnyClock(lateStatutory) + " THEN 0 ELSE 1 END) AS within_statutory").
		Where("c.closed_at IS NOT NULL")
}

// MonthStart is the instant the month (in China) of t begins.
func MonthStart(t time.Time) time.Time {
	c := t.In(china.Zone)
	return time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, china.Zone)
}

// Month names the month (in China) of t as statistics_closed does: 'YYYY-MM'.
func Month(t time.Time) string { return t.In(china.Zone).Format("2006-01") }

// Add adds the figures of case id, just closed, to statistics_closed, in the transaction that
// closes it: one upsert into the row of its jurisdiction, item and month of receipt. received is
// when the case was created.
func Add(ctx context.Context, tx bun.IDB, id int64, received time.Time) error {
	if err := addTo(ctx, tx, casesByMonth(tx, received).Where("c.id = ?", id)); err != nil {
		return fmt.Errorf("counting closed case %d: %w", id, err)
	}
	return nil
}

// Rebuild counts again into statistics_closed every closed case from table cases, a month at a time,
// for the migration that makes the table and for tools that write cases without the engine. It does
// so in a transaction (a savepoint of db's, if db is one) that locks the table against writes until
// the outermost ends (on SQLite the transaction's first write locks the whole database), so a case
// closed meanwhile is added after the rebuild commits and is not counted by both — under
// PostgreSQL's read committed, a month's count reads what committed before it, a row inserted by a
// closing after the table was emptied included.
func Rebuild(ctx context.Context, db bun.IDB) error {
	return db.RunInTx(ctx, nil, rebuild)
}

// rebuild is Rebuild in its transaction.
func rebuild(ctx context.Context, db bun.Tx) error {
	if database.IsPostgres(db) {
		if _, err := db.ExecContext(ctx, "LOCK TABLE statistics_closed IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("locking statistics_closed: %w", err)
		}
	}
	if _, err := db.NewDelete().TableExpr("statistics_closed").Where("1 = 1").Exec(ctx); err != nil {
		return fmt.Errorf("emptying statistics_closed: %w", err)
	}
	var first, last bun.NullTime
	if err := db.NewSelect().TableExpr("cases").ColumnExpr("MIN(created_at), MAX(created_at)").
		Where("closed_at IS NOT NULL").Scan(ctx, &first, &last); err != nil {
		return fmt.Errorf("reading the period of the closed cases: %w", err)
	}
	if first.IsZero() {
		return nil
	}
	for m := MonthStart(first.Time); !m.After(last.Time); m = m.AddDate(0, 1, 0) {
		q := casesByMonth(db, m).Where("c.created_at >= ? AND c.created_at < ?", m.UTC(), m.AddDate(0, 1, 0).UTC())
		if err := addTo(ctx, db, q); err != nil {
			return fmt.Errorf("counting the closed cases received in %s: %w", Month(m), err)
		}
	}
	return nil
}

// casesByMonth selects from cases c the columns of statistics_closed for cases received in the month
// of received.
func casesByMonth(db bun.IDB, received time.Time) *bun.SelectQuery {
	return Figures(db.NewSelect().TableExpr("cases AS c").
		ColumnExpr("c.jurisdiction, c.item_code, ? AS month", Month(received))).GroupExpr("c.jurisdiction, c.item_code")
}

// addTo adds the rows of q, in the columns of statistics_closed, to its rows.
func addTo(ctx context.Context, db bun.IDB, q *bun.SelectQuery) error {
	_, err := db.NewRaw(`INSERT INTO statistics_closed (jurisdiction, item_code, month, finished, within_promised, within_statutory) ?
		ON CONFLICT (jurisdiction, item_code, month) DO UPDATE SET finished = statistics_closed.finished + excluded.finished,
		within_promised = statistics_closed.within_promised + excluded.within_promised,
		within_statutory = statistics_closed.within_statutory + excluded.within_statutory`, q).Exec(ctx)
	return err
}
