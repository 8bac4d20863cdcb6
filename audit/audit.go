// Package audit writes the append-only log of changes and of staff reads of personal data. Every
// entry is written in the same transaction as the change it records.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/problem"
)

// Actor is who does something: a user, or the system itself (a worker, the CLI, a timer).
type Actor struct {
	UserID    int64  // 0 for the system
	Label     string // login name, or a description such as "cli" or "system"
	RequestID string
	IP        string
}

// System is the actor of work nobody asked for in person: start-up seeding, workers, timers.
var System = Actor{Label: "system"}

// Entry is one row of the audit log.
type Entry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID           int64          `bun:",pk,autoincrement" json:"id"`
	At           time.Time      `json:"at"`
	ActorUserID  *int64         `json:"actor_user_id,omitempty"`
	Actor        string         `json:"actor"`
	Action       string         `json:"action"`
	ObjectType   string         `json:"object_type"`
	ObjectID     string         `json:"object_id"`
	Jurisdiction string         `json:"jurisdiction,omitempty"`
	Detail       map[string]any `json:"detail,omitempty"`
	RequestID    string         `json:"request_id,omitempty"`
	IP           string         `json:"ip,omitempty"`
}

// Record appends one entry for actor. db is usually the transaction of the change being recorded.
func Record(ctx context.Context, db bun.IDB, actor Actor, action, objectType, objectID, jurisdiction string, detail map[string]any) error {
	e := &Entry{
		At: time.Now().UTC(), Actor: actor.Label, Action: action, ObjectType: objectType, ObjectID: objectID,
		Jurisdiction: jurisdiction, Detail: detail, RequestID: actor.RequestID, IP: actor.IP,
	}
	if actor.UserID != 0 {
		id := actor.UserID
		e.ActorUserID = &id
	}
	if _, err := db.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("writing audit entry %s %s/%s: %w", action, objectType, objectID, err)
	}
	return nil
}

// errReadNotRecorded answers a staff read whose audit entry could not be written.
var errReadNotRecorded = problem.New(problem.Unavailable, "audit_unavailable",
	"本次查阅无法记入审计日志，因此暂不显示。请稍后再试。",
	"This read could not be recorded in the audit log, so it is not shown. Please try again later.")

// RecordRead appends the entry of a staff read of personal data. A read that cannot be recorded must
// not be shown: when the database is out (database.Unavailable), the answer is a 503 problem
// (audit_unavailable) that says so and asks to try again, with the failure behind it for the log; any
// other failure is a bug, an internal error (500).
func RecordRead(ctx context.Context, db bun.IDB, actor Actor, action, objectType, objectID, jurisdiction string, detail map[string]any) error {
	err := Record(ctx, db, actor, action, objectType, objectID, jurisdiction, detail)
	if database.Unavailable(err) {
		return errReadNotRecorded.Because(err)
	}
	return err
}

// List returns the latest entries, newest first, optionally for one object type, limited to the rows
// that match where (an SQL condition with its arguments, such as policies.ScopeFilter gives).
func List(ctx context.Context, db bun.IDB, objectType string, limit int, where string, args ...any) ([]Entry, error) {
	var out []Entry
	q := db.NewSelect().Model(&out).Where(where, args...).OrderExpr("id DESC").Limit(int64(limit))
	if objectType != "" {
		q = q.Where("object_type = ?", objectType)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	return out, nil
}
