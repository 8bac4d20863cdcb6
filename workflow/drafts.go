package workflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// MaxDraftBytes is the largest draft kept, as JSON.
const MaxDraftBytes = 1 << 20

// draft is a row of table drafts: a form the user has started and not submitted. CaseID 0 is an
// application not yet filed; otherwise it is the form of a later stage or a supplement answer of
// that case.
type draft struct {
	bun.BaseModel `bun:"table:drafts"`

	ID        int64 `bun:",pk,autoincrement"`
	UserID    int64
	ItemCode  string
	CaseID    int64
	Data      map[string]any
	UpdatedAt time.Time
}

var errDraftTooLarge = problem.New(problem.TooLarge, "draft_too_large",
	"草稿内容过多，无法保存。", "The draft is too large to be saved.")

// SaveDraft keeps what the user has typed so far for the item (and case, or 0 for a new
// application), replacing any earlier draft, so that nothing is lost when a session ends or the input
// is not yet valid. It is not validated beyond being at most MaxDraftBytes of JSON. The item must
// exist, and a case must be the user's own (else problem.ErrNotFound); an item booked at an office
// has no draft of a new application (ErrApplyByAppointment).
func (e *Engine) SaveDraft(ctx context.Context, userID int64, itemCode string, caseID int64, data map[string]any) error {
	if userID <= 0 {
		return problem.ErrLoginRequired
	}
	if err := e.draftTarget(ctx, userID, itemCode, caseID); err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return problem.New(problem.BadRequest, "bad_draft", "草稿内容无法保存。", "The draft cannot be stored.")
	}
	if len(b) > MaxDraftBytes {
		return errDraftTooLarge
	}
	var fe problem.Fields
	if checkStorable(&fe, "", data); len(fe) > 0 {
		return fe.Err()
	}
	d := &draft{UserID: userID, ItemCode: itemCode, CaseID: caseID, Data: data, UpdatedAt: e.now()}
	_, err = e.db.NewInsert().Model(d).
		On("CONFLICT (user_id, item_code, case_id) DO UPDATE").
		Set("data = EXCLUDED.data").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("saving the draft of user %d for %s/%d: %w", userID, itemCode, caseID, err)
	}
	return nil
}

// Draft returns the user's draft for the item and case (0 for a new application), or nil when
// there is none. An item booked at an office has no draft of a new application (ErrApplyByAppointment).
func (e *Engine) Draft(ctx context.Context, userID int64, itemCode string, caseID int64) (map[string]any, error) {
	if item, ok := e.current(itemCode); ok && caseID == 0 {
		if err := ApplyOnline(item); err != nil {
			return nil, err
		}
	}
	d := new(draft)
	err := e.db.NewSelect().Model(d).Where("user_id = ? AND item_code = ? AND case_id = ?", userID, itemCode, caseID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the draft of user %d for %s/%d: %w", userID, itemCode, caseID, err)
	}
	if d.Data == nil {
		d.Data = map[string]any{}
	}
	return d.Data, nil
}

// DraftInfo is a saved draft of a new application, as a list of the user's drafts shows it.
type DraftInfo struct {
	ItemCode string    `json:"item_code"`
	SavedAt  time.Time `json:"saved_at"`
}

// Drafts lists the user's drafts of new applications (not yet filed), the latest saved first. Drafts
// of a case's forms are not listed: the case itself leads to them.
func (e *Engine) Drafts(ctx context.Context, userID int64) ([]DraftInfo, error) {
	var rows []draft
	err := e.db.NewSelect().Model(&rows).Column("item_code", "updated_at").Where("user_id = ? AND case_id = 0", userID).
		OrderExpr("updated_at DESC, item_code").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the drafts of user %d: %w", userID, err)
	}
	out := make([]DraftInfo, len(rows))
	for i, d := range rows {
		out[i] = DraftInfo{ItemCode: d.ItemCode, SavedAt: d.UpdatedAt}
	}
	return out, nil
}

// DiscardDraft deletes the user's draft of a new application for the item; problem.ErrNotFound when
// there is none.
func (e *Engine) DiscardDraft(ctx context.Context, userID int64, itemCode string) error {
	res, err := e.db.NewDelete().Model((*draft)(nil)).Where("user_id = ? AND item_code = ? AND case_id = 0", userID, itemCode).Exec(ctx)
	if err != nil {
		return fmt.Errorf("discarding the draft of user %d for %s: %w", userID, itemCode, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("discarding the draft of user %d for %s: %w", userID, itemCode, err)
	}
	if n == 0 {
		return problem.ErrNotFound
	}
	return nil
}

// draftTarget checks that a draft may be kept for the item and case.
func (e *Engine) draftTarget(ctx context.Context, userID int64, itemCode string, caseID int64) error {
	if caseID == 0 {
		item, ok := e.current(itemCode)
		if !ok {
			return problem.ErrNotFound
		}
		return ApplyOnline(item)
	}
	c, err := loadCase(ctx, e.db, caseID)
	if err != nil {
		return err
	}
	if c.ApplicantID != userID || c.ItemCode != itemCode {
		return problem.ErrNotFound
	}
	return nil
}

// deleteDraft removes the user's draft once the form it held is submitted.
func deleteDraft(ctx context.Context, tx bun.IDB, userID int64, itemCode string, caseID int64) error {
	_, err := tx.NewDelete().Model((*draft)(nil)).Where("user_id = ? AND item_code = ? AND case_id = ?", userID, itemCode, caseID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("deleting the draft of user %d for %s/%d: %w", userID, itemCode, caseID, err)
	}
	return nil
}

// checkStorable adds an error at path for each value under v that a draft could not store and read
// back: a NUL character (PostgreSQL's jsonb holds none) or a number beyond float64 (1e5000), which
// would leave the draft, and the application page that shows it, unreadable.
func checkStorable(fe *problem.Fields, path string, v any) {
	switch t := v.(type) {
	case string:
		if strings.ContainsRune(t, 0) {
			fe.Add(path, "invalid_text", "含有无法识别的字符。", "Contains characters that cannot be stored.")
		}
	case json.Number:
		if f, err := t.Float64(); err != nil || math.IsInf(f, 0) {
			fe.Add(path, "invalid_number", "数值超出范围。", "The number is out of range.")
		}
	case []any:
		for i, el := range t {
			checkStorable(fe, fmt.Sprintf("%s[%d]", path, i), el)
		}
	case map[string]any:
		for k, el := range t {
			at := k
			if path != "" {
				at = path + "." + k
			}
			if strings.ContainsRune(k, 0) {
				fe.Add(at, "invalid_text", "含有无法识别的字符。", "Contains characters that cannot be stored.")
			}
			checkStorable(fe, at, el)
		}
	}
}
