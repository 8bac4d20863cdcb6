package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// OverrideKind is what a local override makes of a day.
type OverrideKind string

// The kinds of local override.
const (
	Closed  OverrideKind = "closed"  // no working day there: a local holiday, a closure for a storm
	Working OverrideKind = "working" // a working day there, whatever the national schedule says
)

// MaxNoteLength is the longest note of an override, in characters.
const MaxNoteLength = 200

// Override is a local correction of the national schedule for one day in a jurisdiction and
// everything below it.
type Override struct {
	ID           int64        `json:"id"`
	Jurisdiction string       `json:"jurisdiction"`
	Day          Date         `json:"day"`
	Kind         OverrideKind `json:"kind"`
	Note         string       `json:"note"`
	CreatedBy    string       `json:"created_by"`
	CreatedAt    time.Time    `json:"created_at"`
}

// overrideRow is an override as stored: the day as text, so that neither database shifts it by a
// time zone.
type overrideRow struct {
	bun.BaseModel `bun:"table:calendar_overrides"`

	ID           int64 `bun:",pk,autoincrement"`
	Jurisdiction string
	Day          string
	Kind         string
	Note         string
	CreatedBy    string
	CreatedAt    time.Time
}

func (r overrideRow) override() (Override, error) {
	d, err := ParseDate(r.Day)
	if err != nil {
		return Override{}, fmt.Errorf("calendar override %d: %w", r.ID, err)
	}
	return Override{ID: r.ID, Jurisdiction: r.Jurisdiction, Day: d, Kind: OverrideKind(r.Kind), Note: r.Note,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}, nil
}

// Authorizer decides whether a user may do act on obj in a jurisdiction; *policies.Enforcer is one.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
}

// Operator lets every change through: for the command line, run by whoever runs the server.
var Operator Authorizer = operator{}

type operator struct{}

func (operator) Allowed(int64, string, string, string) bool { return true }

// mayWrite reports whether the actor may change the calendar of the jurisdiction.
func mayWrite(auth Authorizer, actor audit.Actor, code string) bool {
	return auth != nil && auth.Allowed(actor.UserID, code, "calendar", "write")
}

// overrideKey validates the jurisdiction and day of an override input.
func overrideKey(fields *problem.Fields, jurisdiction, day string) Date {
	if !jurisdictions.ValidCode(jurisdiction) {
		invalidCode(fields)
	}
	d, err := ParseDate(strings.TrimSpace(day))
	if err != nil {
		fields.Add("day", "invalid_date", "请按 YYYY-MM-DD 格式填写日期。", "Enter the date as YYYY-MM-DD.")
	}
	return d
}

// SetOverride makes day a closed or a working day in the jurisdiction and everything below it,
// replacing the override the day had there. The actor needs calendar:write in the jurisdiction
// (auth decides; Operator for the command line). The change and its audit entry are one
// transaction; setting what is already set changes nothing.
func SetOverride(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, jurisdiction, day, kind, note string) (*Override, error) {
	var fields problem.Fields
	d := overrideKey(&fields, jurisdiction, day)
	k := OverrideKind(kind)
	if k != Closed && k != Working {
		fields.Add("kind", "invalid_kind", "请选择“停止办公”或“照常办公”。", "Choose closed or working.")
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxNoteLength {
		fields.Add("note", "too_long", fmt.Sprintf("说明不能超过%d个字。", MaxNoteLength),
			fmt.Sprintf("The note may have at most %d characters.", MaxNoteLength))
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	if !mayWrite(auth, actor, jurisdiction) {
		return nil, problem.ErrForbidden
	}
	var out Override
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := checkJurisdiction(ctx, tx, jurisdiction, &fields); err != nil {
			return err
		}
		if err := fields.Err(); err != nil {
			return err
		}
		prev, err := findOverride(ctx, tx, jurisdiction, d)
		if err != nil {
			return err
		}
		if prev != nil && prev.Kind == string(k) && prev.Note == note {
			out, err = prev.override()
			return err
		}
		row := &overrideRow{Jurisdiction: jurisdiction, Day: d.String(), Kind: string(k), Note: note,
			CreatedBy: actor.Label, CreatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (jurisdiction, day) DO UPDATE").
			Set("kind = EXCLUDED.kind, note = EXCLUDED.note, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at").
			Returning("id").Exec(ctx); err != nil {
			return err
		}
		detail := map[string]any{"day": d.String(), "kind": string(k), "note": note}
		if prev != nil {
			detail["previous_kind"], detail["previous_note"] = prev.Kind, prev.Note
		}
		if err := audit.Record(ctx, tx, actor, "calendar.override.set", "calendar_override", objectID(jurisdiction, d), jurisdiction, detail); err != nil {
			return err
		}
		out, err = row.override()
		return err
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("setting the calendar override of %s on %s: %w", jurisdiction, d, err)
	}
	return &out, nil
}

// RemoveOverride deletes the override of day in the jurisdiction, so that the day follows the
// schedule above it again. The actor needs calendar:write in the jurisdiction; an override that
// does not exist is problem.ErrNotFound. The removal and its audit entry are one transaction.
func RemoveOverride(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, jurisdiction, day string) error {
	var fields problem.Fields
	d := overrideKey(&fields, jurisdiction, day)
	if err := fields.Err(); err != nil {
		return err
	}
	if !mayWrite(auth, actor, jurisdiction) {
		return problem.ErrForbidden
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		prev, err := findOverride(ctx, tx, jurisdiction, d)
		if err != nil {
			return err
		}
		if prev == nil {
			return problem.ErrNotFound
		}
		if _, err := tx.NewDelete().Model((*overrideRow)(nil)).Where("id = ?", prev.ID).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "calendar.override.remove", "calendar_override", objectID(jurisdiction, d), jurisdiction,
			map[string]any{"day": d.String(), "kind": prev.Kind, "note": prev.Note})
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return err
		}
		return fmt.Errorf("removing the calendar override of %s on %s: %w", jurisdiction, d, err)
	}
	return nil
}

// objectID names an override in the audit log: "210100/2026-12-31".
func objectID(jurisdiction string, d Date) string { return jurisdiction + "/" + d.String() }

// findOverride returns the override of day in the jurisdiction, or nil.
func findOverride(ctx context.Context, db bun.IDB, jurisdiction string, day Date) (*overrideRow, error) {
	row := new(overrideRow)
	err := db.NewSelect().Model(row).Where("jurisdiction = ?", jurisdiction).Where("day = ?", day.String()).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the calendar override of %s on %s: %w", jurisdiction, day, err)
	}
	return row, nil
}

// Overrides lists, by day, the overrides that apply in the jurisdictions of the grant patterns (as
// policies.Enforcer.Scopes gives them): those entered in the jurisdictions the patterns cover and
// those of the jurisdictions above them. A year other than 0 limits the list to that year.
func Overrides(ctx context.Context, db bun.IDB, patterns []string, year int) ([]Override, error) {
	where, args := policies.ScopeFilter("jurisdiction", patterns)
	above := map[string]bool{}
	for _, p := range patterns {
		if p == "*" {
			continue
		}
		for _, code := range ancestry(policies.Representative(p))[1:] {
			above[code] = true
		}
	}
	var rows []overrideRow
	q := db.NewSelect().Model(&rows).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where(where, args...)
		for code := range above {
			q = q.WhereOr("jurisdiction = ?", code)
		}
		return q
	})
	if year != 0 {
		q = q.Where("day >= ?", NewDate(year, 1, 1).String()).Where("day <= ?", NewDate(year, 12, 31).String())
	}
	if err := q.Order("day", "jurisdiction").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing calendar overrides: %w", err)
	}
	out := make([]Override, 0, len(rows))
	for _, r := range rows {
		o, err := r.override()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
