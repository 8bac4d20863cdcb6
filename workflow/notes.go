package workflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
)

// Internal notes are what staff write down about a case for each other: visible to staff who read
// the case, never to its people (not on the case page, not in the API, not in the progress
// lookup). They are kept in table case_notes rather than in the case's events, so that writing one
// does not change the case's version under a colleague's open form; a note is never changed or
// deleted, so the notes are a history of their own.

// MaxNoteLength is the longest internal note, in characters.
const MaxNoteLength = 2000

// Note is an internal note on a case, a row of table case_notes.
type Note struct {
	bun.BaseModel `bun:"table:case_notes,alias:n"`

	ID        int64     `bun:",pk,autoincrement" json:"id"`
	CaseID    int64     `json:"case_id"`
	AuthorID  int64     `json:"author_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// readsAsStaff reports whether the actor reads the case as staff: case:read in its jurisdiction,
// and not one of its people (who see their case as applicants, whatever roles they hold).
func (e *Engine) readsAsStaff(actor audit.Actor, c *Case) bool {
	return actor.UserID > 0 && !c.isParty(actor.UserID) && e.enf.Allowed(actor.UserID, c.Jurisdiction, "case", "read")
}

// staffCase loads the case for an actor who reads it as staff; anyone else gets problem.ErrNotFound.
func (e *Engine) staffCase(ctx context.Context, actor audit.Actor, caseID int64) (*Case, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	c, err := loadCase(ctx, e.db, caseID)
	if err != nil {
		return nil, err
	}
	if !e.readsAsStaff(actor, c) {
		return nil, problem.ErrNotFound
	}
	return c, nil
}

// Notes returns the internal notes of the case, oldest first, to staff who read it; the case's
// people and everyone else get problem.ErrNotFound.
func (e *Engine) Notes(ctx context.Context, viewer audit.Actor, caseID int64) ([]Note, error) {
	if _, err := e.staffCase(ctx, viewer, caseID); err != nil {
		return nil, err
	}
	out := []Note{}
	if err := e.db.NewSelect().Model(&out).Where("case_id = ?", caseID).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the notes of case %d: %w", caseID, err)
	}
	return out, nil
}

// AddNote writes an internal note on the case for staff holding case:note in its jurisdiction
// (those who only read, such as auditors, get problem.ErrForbidden; those who may not read it as
// staff problem.ErrNotFound). The body, trimmed, must not be empty nor longer than MaxNoteLength
// (field "body"). The note is audited (case.note) and the case's assignee, if someone else,
// notified.
func (e *Engine) AddNote(ctx context.Context, actor audit.Actor, caseID int64, body string) (*Note, error) {
	c, err := e.staffCase(ctx, actor, caseID)
	if err != nil {
		return nil, err
	}
	if !e.enf.Allowed(actor.UserID, c.Jurisdiction, "case", "note") {
		return nil, problem.ErrForbidden
	}
	body = strings.TrimSpace(body)
	var fe problem.Fields
	switch {
	case body == "":
		fe.Add("body", "required", "请填写备注内容。", "Write the note.")
	case utf8.RuneCountInString(body) > MaxNoteLength:
		fe.Add("body", "too_long", fmt.Sprintf("备注不能超过 %d 个字。", MaxNoteLength),
			fmt.Sprintf("A note may be at most %d characters long.", MaxNoteLength))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	n := &Note{CaseID: c.ID, AuthorID: actor.UserID, Body: body, CreatedAt: e.now()}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return fmt.Errorf("writing the note: %w", err)
		}
		if err := audit.Record(ctx, tx, actor, "case.note", "case", strconv.FormatInt(c.ID, 10), c.Jurisdiction,
			map[string]any{"number": c.Number, "note": n.ID}); err != nil {
			return err
		}
		if c.AssigneeID == nil || *c.AssigneeID == actor.UserID {
			return nil
		}
		return notify.Send(ctx, tx, notify.Message{UserID: *c.AssigneeID, Template: "case_note_added",
			Data: noticeData(c, item, nil, "")})
	})
	if err != nil {
		return nil, fmt.Errorf("adding a note to case %d: %w", c.ID, err)
	}
	return n, nil
}
