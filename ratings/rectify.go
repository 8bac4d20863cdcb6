package ratings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// The stages of a rectification: the step it waits for, in the order they must come, and closed
// once the result was sent to the rater.
const (
	StageCallback      = "callback"      // 回访: date, who was reached, summary
	StageFinding       = "finding"       // 核实情况: whether the complaint is founded
	StageRectification = "rectification" // 整改措施, or the explanation of an unfounded complaint
	StageResult        = "result"        // the result sent to the rater
	StageClosed        = "closed"
)

// Stages lists the steps in their order.
var Stages = []string{StageCallback, StageFinding, StageRectification, StageResult}

// Bounds of the texts staff write, in characters.
const (
	MaxReached = 100
	MaxText    = 2000
)

// MaxListed bounds the staff lists.
const MaxListed = 500

// Rectification is the task a 差评 opens, a row of table rating_rectifications. Dates are
// YYYY-MM-DD in China.
type Rectification struct {
	bun.BaseModel `bun:"table:rating_rectifications,alias:rr"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	RatingID     int64  `json:"rating_id"`
	Jurisdiction string `json:"jurisdiction"`
	Stage        string `json:"stage"`
	OpenedOn     string `json:"opened_on"`
	DueOn        string `json:"due_on"`

	CallbackOn      string     `json:"callback_on,omitempty"`
	CallbackReached string     `json:"callback_reached,omitempty"`
	CallbackSummary string     `json:"callback_summary,omitempty"`
	CallbackBy      *int64     `json:"callback_by,omitempty"`
	CallbackAt      *time.Time `json:"callback_at,omitempty"`
	Founded         *bool      `json:"founded,omitempty"`
	Finding         string     `json:"finding,omitempty"`
	FindingBy       *int64     `json:"finding_by,omitempty"`
	FindingAt       *time.Time `json:"finding_at,omitempty"`
	Measures        string     `json:"measures,omitempty"`
	MeasuresBy      *int64     `json:"measures_by,omitempty"`
	MeasuresAt      *time.Time `json:"measures_at,omitempty"`
	Result          string     `json:"result,omitempty"`
	ResultBy        *int64     `json:"result_by,omitempty"`
	ResultAt        *time.Time `json:"result_at,omitempty"`
	ClosedOn        string     `json:"closed_on,omitempty"`

	RemindedAt  *time.Time `json:"-"`
	EscalatedAt *time.Time `json:"-"`

	Rating *Rating `bun:"rel:belongs-to,join:rating_id=id" json:"rating,omitempty"`
}

// Closed reports whether the result was sent.
func (t *Rectification) Closed() bool { return t.Stage == StageClosed }

// Overdue reports whether the task is open past its due date on day today, or was closed after it.
func (t *Rectification) Overdue(today calendar.Date) bool {
	if t.Closed() {
		return t.ClosedOn > t.DueOn
	}
	return today.String() > t.DueOn
}

// IsFounded reports whether the finding found the complaint founded.
func (t *Rectification) IsFounded() bool { return t.Founded != nil && *t.Founded }

// OnTime reports whether a closed task was closed within its limit.
func (t *Rectification) OnTime() bool { return t.Closed() && t.ClosedOn <= t.DueOn }

// Done reports whether the step is behind the task.
func (t *Rectification) Done(step string) bool {
	for _, s := range Stages {
		if s == t.Stage {
			return false
		}
		if s == step {
			return true
		}
	}
	return t.Closed()
}

var (
	errClosed = problem.New(problem.Conflict, "rectification_closed",
		"该整改已办结，结果已告知评价人。", "This rectification is closed: its result has been sent to the rater.")
)

// outOfOrder is the conflict of a step taken before its turn, naming the step due.
func outOfOrder(stage string) error {
	names := map[string][2]string{
		StageCallback:      {"回访", "the call-back"},
		StageFinding:       {"核实情况", "the finding"},
		StageRectification: {"整改措施", "the rectification"},
		StageResult:        {"告知结果", "the result"},
	}
	n := names[stage]
	return &problem.Error{Kind: problem.Conflict, Code: "step_out_of_order",
		Message: problem.Text{ZH: "整改须按顺序记录，当前应记录：" + n[0] + "。", EN: "The steps are recorded in order: " + n[1] + " comes next."},
		Detail:  map[string]string{"stage": stage}}
}

// Task is a rectification with what staff see of its rating, for its page.
type Task struct {
	*Rectification
	// Label is the case number or the booking code rated.
	Label string `json:"label"`
}

// loadTask reads task id with its rating, for staff reading ratings in its jurisdiction (else not
// found).
func loadTask(ctx context.Context, db bun.IDB, auth Authorizer, userID int64, id int64) (*Rectification, error) {
	if userID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	t := new(Rectification)
	err := db.NewSelect().Model(t).Relation("Rating").Where("rr.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading rectification %d: %w", id, err)
	}
	if !MayRead(auth, userID, t.Jurisdiction) {
		return nil, problem.ErrNotFound
	}
	return t, nil
}

// label is the case number or booking code of the rating.
func label(ctx context.Context, db bun.IDB, r *Rating) (string, error) {
	ls, err := labels(ctx, db, []*Rating{r})
	return ls[r.ID], err
}

// labels reads the case numbers and booking codes of the ratings, by rating ID, in two queries.
func labels(ctx context.Context, db bun.IDB, rs []*Rating) (map[int64]string, error) {
	out := map[int64]string{}
	var cases, bookings []int64
	for _, r := range rs {
		if r.CaseID != nil {
			cases = append(cases, *r.CaseID)
		} else if r.BookingID != nil {
			bookings = append(bookings, *r.BookingID)
		}
	}
	type row struct {
		ID    int64
		Label string
	}
	read := func(table, column string, ids []int64) (map[int64]string, error) {
		m := map[int64]string{}
		if len(ids) == 0 {
			return m, nil
		}
		var rows []row
		if err := db.NewSelect().Table(table).ColumnExpr("id, ? AS label", bun.Ident(column)).Where("id IN (?)", bun.List(ids)).
			Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("reading the %s rated: %w", table, err)
		}
		for _, r := range rows {
			m[r.ID] = r.Label
		}
		return m, nil
	}
	numbers, err := read("cases", "number", cases)
	if err != nil {
		return nil, err
	}
	codes, err := read("bookings", "code", bookings)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.CaseID != nil {
			out[r.ID] = numbers[*r.CaseID]
		} else if r.BookingID != nil {
			out[r.ID] = codes[*r.BookingID]
		}
	}
	return out, nil
}

// Get returns task id for its page (staff reading ratings in its jurisdiction).
func Get(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64) (*Task, error) {
	t, err := loadTask(ctx, db, auth, actor.UserID, id)
	if err != nil {
		return nil, err
	}
	l, err := label(ctx, db, t.Rating)
	if err != nil {
		return nil, err
	}
	return &Task{Rectification: t, Label: l}, nil
}

// Callback is the 回访 record: the day of the call, who was reached and what was said.
type Callback struct {
	On      string `json:"on"`
	Reached string `json:"reached"`
	Summary string `json:"summary"`
}

// Finding says whether the complaint is founded (核实情况) and why.
type Finding struct {
	Founded *bool  `json:"founded"`
	Finding string `json:"finding"`
}

// Step is one step of a rectification as staff enter it; the fields of the step due are read.
type Step struct {
	Callback
	Finding
	// Measures are the 整改措施 of a founded complaint or the explanation of an unfounded one.
	Measures string `json:"measures"`
	// Result is what is sent to the rater, closing the task.
	Result string `json:"result"`
}

// Record records the step of task id (one of Stages) by the actor, who must hold rating:rectify in
// its jurisdiction. A step before its turn, or any after the task closed, is a conflict; the result
// closes the task and is sent to the rater (inbox, e-mail and SMS where they have an address, the
// booking's number for a visit) in the same transaction.
func Record(ctx context.Context, db *bun.DB, auth Authorizer, actor audit.Actor, id int64, step string, in Step, at time.Time) (*Rectification, error) {
	if !slices.Contains(Stages, step) {
		return nil, problem.ErrNotFound
	}
	t, err := loadTask(ctx, db, auth, actor.UserID, id)
	if err != nil {
		return nil, err
	}
	if !MayRectify(auth, actor.UserID, t.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	if t.Closed() {
		return nil, errClosed
	}
	if t.Stage != step {
		return nil, outOfOrder(t.Stage)
	}
	at = now(at)
	today := calendar.DateOf(at)
	by := actor.UserID
	var fe problem.Fields
	var columns []string
	next := ""
	detail := map[string]any{}
	var log func(ctx context.Context, tx bun.IDB) error // the audit entry of the step
	switch step {
	case StageCallback:
		t.CallbackOn = checkDay(&fe, "on", in.On, t.OpenedOn, today)
		t.CallbackReached = checkText(&fe, "reached", in.Reached, true, MaxReached)
		t.CallbackSummary = checkText(&fe, "summary", in.Summary, true, MaxText)
		t.CallbackBy, t.CallbackAt = &by, &at
		columns, next = []string{"callback_on", "callback_reached", "callback_summary", "callback_by", "callback_at"}, StageFinding
		detail["on"] = t.CallbackOn
		log = func(ctx context.Context, tx bun.IDB) error {
			return record(ctx, tx, actor, "rating.callback", t, detail)
		}
	case StageFinding:
		if in.Founded == nil {
			fe.Add("founded", "required", "请选择投诉是否属实。", "Say whether the complaint is founded.")
		}
		t.Founded = in.Founded
		t.Finding = checkText(&fe, "finding", in.Finding.Finding, true, MaxText)
		t.FindingBy, t.FindingAt = &by, &at
		columns, next = []string{"founded", "finding", "finding_by", "finding_at"}, StageRectification
		log = func(ctx context.Context, tx bun.IDB) error {
			return record(ctx, tx, actor, "rating.finding", t, detail)
		}
		if in.Founded != nil {
			detail["founded"] = *in.Founded
		}
	case StageRectification:
		t.Measures = checkText(&fe, "measures", in.Measures, true, MaxText)
		t.MeasuresBy, t.MeasuresAt = &by, &at
		columns, next = []string{"measures", "measures_by", "measures_at"}, StageResult
		log = func(ctx context.Context, tx bun.IDB) error {
			return record(ctx, tx, actor, "rating.rectification", t, detail)
		}
	case StageResult:
		t.Result = checkText(&fe, "result", in.Result, true, MaxText)
		t.ResultBy, t.ResultAt, t.ClosedOn = &by, &at, today.String()
		columns, next = []string{"result", "result_by", "result_at", "closed_on"}, StageClosed
		detail["on_time"] = t.ClosedOn <= t.DueOn
		log = func(ctx context.Context, tx bun.IDB) error { return record(ctx, tx, actor, "rating.result", t, detail) }
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	t.Stage = next
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model(t).Column(append(columns, "stage")...).WherePK().Where("stage = ?", step).Exec(ctx)
		if err != nil {
			return fmt.Errorf("recording the %s of rectification %d: %w", step, t.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return outOfOrder(next) // another step came first
		}
		if err := log(ctx, tx); err != nil {
			return err
		}
		if step == StageResult {
			return sendResult(ctx, tx, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// record writes the audit entry of a step of rectification t.
func record(ctx context.Context, tx bun.IDB, actor audit.Actor, action string, t *Rectification, detail map[string]any) error {
	return audit.Record(ctx, tx, actor, action, "rating_rectification", strconv.FormatInt(t.ID, 10), t.Jurisdiction, detail)
}

// sendResult tells the rater the result of the rectification of their 差评.
func sendResult(ctx context.Context, tx bun.IDB, t *Rectification) error {
	r := t.Rating
	l, err := label(ctx, tx, r)
	if err != nil {
		return err
	}
	data := map[string]any{"subject": r.Subject, "label": l, "result": t.Result, "founded": t.Founded != nil && *t.Founded}
	msg := notify.Message{UserID: r.RaterID, Template: "rating_result", Data: data}
	if r.BookingID != nil {
		data["path"] = "/appointments/mine/" + strconv.FormatInt(*r.BookingID, 10)
		if err := tx.NewSelect().Table("bookings").Column("phone").Where("id = ?", *r.BookingID).Scan(ctx, &msg.Phone); err != nil {
			return fmt.Errorf("reading the number of booking %d: %w", *r.BookingID, err)
		}
	} else {
		data["path"] = "/cases/" + strconv.FormatInt(*r.CaseID, 10)
	}
	return notify.Send(ctx, tx, msg)
}

// checkDay reads the day of a call-back: a date from the task's opening to today.
func checkDay(fe *problem.Fields, path, s, opened string, today calendar.Date) string {
	d, err := calendar.ParseDate(s)
	switch {
	case s == "":
		fe.Add(path, "required", "请填写回访日期。", "Enter the day of the call-back.")
	case err != nil:
		fe.Add(path, "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
	case d.String() < opened || d.After(today):
		fe.Add(path, "out_of_range", "回访日期须在差评之后、不晚于今天。", "The call-back is on a day from the rating to today.")
	}
	return s
}

// Open lists the rectifications of the jurisdictions where the user reads ratings: the open ones,
// the earliest due first, or with closed all of them, the latest opened first.
func Open(ctx context.Context, db bun.IDB, auth Authorizer, userID int64, closed bool) ([]Task, error) {
	out := []Task{}
	scopes := auth.Scopes(userID, object, actRead)
	if len(scopes) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("rr.jurisdiction", scopes)
	var rows []Rectification
	q := db.NewSelect().Model(&rows).Relation("Rating").Where(where, args...)
	if closed {
		q = q.OrderExpr("rr.opened_on DESC, rr.id DESC")
	} else {
		q = q.Where("rr.stage <> ?", StageClosed).OrderExpr("rr.due_on, rr.id")
	}
	if err := q.Limit(MaxListed).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing rectifications for user %d: %w", userID, err)
	}
	rs := make([]*Rating, len(rows))
	for i := range rows {
		rs[i] = rows[i].Rating
	}
	ls, err := labels(ctx, db, rs)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		out = append(out, Task{Rectification: &rows[i], Label: ls[rows[i].RatingID]})
	}
	return out, nil
}
