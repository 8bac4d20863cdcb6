// Package ratings keeps 好差评 (国办发〔2019〕51号): the ratings people give a finished case and a
// visit to a registration office, on five levels with a comment, and the rectification task each
// 差评 opens. Who rates what, once:
//   - a case, by its applicant, once it has ended (a final state of its workflow: closed_at set);
//   - a visit, by the account that booked it, once it was checked in at the office.
//
// A second rating is a conflict (the partial unique indexes of ratings decide it under any
// concurrency); someone else's case or booking is not found. A 差评 (levels 2 and 1) opens, in the
// rating's transaction, a rectification task in the case's (or the office's) jurisdiction due in
// RectifyDays working days on its calendar: call-back, finding, rectification (or an explanation
// when the complaint is unfounded) and the result sent to the rater, in this order, by holders of
// rating:rectify there (rectify.go). The worker reminds before the due date and escalates when it
// has passed (Tick). Statistics per item and department are public (stats.go); names and comments of
// raters are staff's only.
package ratings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// The five levels of 国办发〔2019〕51号, from best to worst.
const (
	VerySatisfied    = 5 // 非常满意
	Satisfied        = 4 // 满意
	FairlySatisfied  = 3 // 基本满意
	Dissatisfied     = 2 // 不满意
	VeryDissatisfied = 1 // 非常不满意
)

// Levels lists the levels in the order forms and tables show them, best first.
var Levels = []int{VerySatisfied, Satisfied, FairlySatisfied, Dissatisfied, VeryDissatisfied}

var levelNames = map[int]lang.Text{
	VerySatisfied:    {ZH: "非常满意", EN: "Very satisfied"},
	Satisfied:        {ZH: "满意", EN: "Satisfied"},
	FairlySatisfied:  {ZH: "基本满意", EN: "Fairly satisfied"},
	Dissatisfied:     {ZH: "不满意", EN: "Dissatisfied"},
	VeryDissatisfied: {ZH: "非常不满意", EN: "Very dissatisfied"},
}

// LevelName names a level in the locale.
func LevelName(level int, locale string) string { return levelNames[level].In(locale) }

// Good reports whether a level is a 好评 (the top two).
func Good(level int) bool { return level >= Satisfied }

// Bad reports whether a level is a 差评 (the bottom two).
func Bad(level int) bool { return level >= VeryDissatisfied && level <= Dissatisfied }

// What is rated: Rating.Subject.
const (
	SubjectCase  = "case"
	SubjectVisit = "visit"
)

// MaxComment bounds a rater's comment, in characters.
const MaxComment = 500

// RectifyDays is the limit of a rectification in working days (国办发〔2019〕51号: 差评 are called back
// and rectified within 15 working days).
const RectifyDays = 15

// The permissions of policies/policy.csv, held in the jurisdiction of the rating.
const (
	object     = "rating"
	actRead    = "read"    // staff read the ratings with their comments and the tasks
	actRectify = "rectify" // staff record the steps of a rectification
)

// Authorizer decides who may do what where and who holds which grants: the casbin enforcer.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	Scopes(userID int64, obj, act string) []string
	AllGrants(ctx context.Context) ([]policies.UserGrant, error)
}

// Rating is one rating, a row of table ratings.
type Rating struct {
	bun.BaseModel `bun:"table:ratings,alias:rt"`

	ID        int64  `bun:",pk,autoincrement" json:"id"`
	Subject   string `json:"subject"` // SubjectCase or SubjectVisit
	CaseID    *int64 `json:"case_id,omitempty"`
	BookingID *int64 `json:"booking_id,omitempty"`
	RaterID   int64  `json:"-"`
	// ItemCode is the service item rated: the case's, or the item the booked service applies for.
	ItemCode string `json:"item_code"`
	// Jurisdiction is the department rated: the case's, or the office's.
	Jurisdiction string `json:"jurisdiction"`
	Level        int    `json:"level"`
	// Comment is the rater's: shown to the rater and to staff, never in public.
	Comment string `json:"comment"`
	// ClerkID is the clerk who checked the visit in, whose own ratings page lists it.
	ClerkID   *int64    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Good reports whether the rating is a 好评.
func (r *Rating) Good() bool { return Good(r.Level) }

// Bad reports whether the rating is a 差评.
func (r *Rating) Bad() bool { return Bad(r.Level) }

// Input is what a rater enters.
type Input struct {
	Level   int    `json:"level"`
	Comment string `json:"comment"`
}

// Problems worded once.
var (
	errAlreadyRated = problem.New(problem.Conflict, "already_rated",
		"您已评价过，每次办理只能评价一次。", "You have rated this already: each service is rated once.")
	errCaseNotEnded = problem.New(problem.Conflict, "case_not_ended",
		"办件办结后才能评价。", "A case can be rated once it has ended.")
	errNotVisited = problem.New(problem.Conflict, "not_visited",
		"到登记机关现场办理（签到）后才能评价该预约。", "A booking can be rated once you have been checked in at the office.")
)

func now(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// checkText records an error on path when s is missing though required, too long, or holds control
// characters other than line breaks and tabs or invisible format characters (forms.InvisibleFormat).
func checkText(fe *problem.Fields, path, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	forms.CheckText(fe, path, s, required, max, true)
	return s
}

// check validates a rater's input: a level of Levels, a comment within MaxComment.
func (in Input) check() (Input, error) {
	var fe problem.Fields
	if !slices.Contains(Levels, in.Level) {
		fe.Add("level", "invalid", "请选择满意程度（1至5）。", "Choose how satisfied you are (1 to 5).")
	}
	in.Comment = checkText(&fe, "comment", in.Comment, false, MaxComment)
	return in, fe.Err()
}

// Subject is what a rating is about, as the rater sees it: the case or the booking.
type subject struct {
	kind         string
	caseID       *int64
	bookingID    *int64
	raterID      int64
	itemCode     string
	jurisdiction string
	clerkID      *int64
	// rateable is nil when the rater may rate it now, else the conflict that says why not.
	rateable error
	// label and phone are for the result sent to the rater: the case number or booking code, and the
	// mobile number of the booking.
	label, phone string
}

// caseSubject reads case id as its applicant sees it for rating; anyone else's is not found.
func caseSubject(ctx context.Context, db bun.IDB, actor audit.Actor, id int64) (*subject, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	c := new(workflow.Case)
	err := db.NewSelect().Model(c).Column("id", "number", "item_code", "jurisdiction", "applicant_id", "closed_at").
		Where("c.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && c.ApplicantID != actor.UserID) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading case %d to rate: %w", id, err)
	}
	s := &subject{kind: SubjectCase, caseID: &c.ID, raterID: c.ApplicantID, itemCode: c.ItemCode, jurisdiction: c.Jurisdiction, label: c.Number}
	if c.ClosedAt == nil {
		s.rateable = errCaseNotEnded
	}
	return s, nil
}

// ItemOf names the item a booked service applies for ("" for none): appointments.Desk.ItemFor.
type ItemOf func(appointments.Service) string

// visitSubject reads booking id as its booker sees it for rating; anyone else's is not found.
func visitSubject(ctx context.Context, db bun.IDB, itemOf ItemOf, actor audit.Actor, id int64) (*subject, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	b := new(appointments.Booking)
	err := db.NewSelect().Model(b).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && b.UserID != actor.UserID) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading booking %d to rate: %w", id, err)
	}
	var jurisdiction string
	if err := db.NewSelect().Table("offices").Column("jurisdiction").Where("id = ?", b.OfficeID).Scan(ctx, &jurisdiction); err != nil {
		return nil, fmt.Errorf("reading the office of booking %d: %w", id, err)
	}
	s := &subject{kind: SubjectVisit, bookingID: &b.ID, raterID: b.UserID, jurisdiction: jurisdiction, label: b.Code, phone: b.Phone}
	if itemOf != nil {
		s.itemCode = itemOf(b.Service)
	}
	if b.Status != appointments.StatusCheckedIn {
		s.rateable = errNotVisited
		return s, nil
	}
	// The clerk who checked the visit in, as the audit log of the check-in records.
	var clerks []int64
	if err := db.NewSelect().Table("audit_log").Column("actor_user_id").
		Where("action = ? AND object_type = ? AND object_id = ? AND actor_user_id IS NOT NULL", "booking.checkin", "booking", strconv.FormatInt(b.ID, 10)).
		OrderExpr("id DESC").Limit(1).Scan(ctx, &clerks); err != nil {
		return nil, fmt.Errorf("reading who checked booking %d in: %w", id, err)
	}
	if len(clerks) == 1 {
		s.clerkID = &clerks[0]
	}
	return s, nil
}

// RateCase records the applicant's rating of case id.
func RateCase(ctx context.Context, db *bun.DB, auth Authorizer, actor audit.Actor, id int64, in Input, at time.Time) (*Rating, error) {
	s, err := caseSubject(ctx, db, actor, id)
	if err != nil {
		return nil, err
	}
	return rate(ctx, db, auth, actor, s, in, at)
}

// RateVisit records the booker's rating of the visit of booking id.
func RateVisit(ctx context.Context, db *bun.DB, auth Authorizer, itemOf ItemOf, actor audit.Actor, id int64, in Input, at time.Time) (*Rating, error) {
	s, err := visitSubject(ctx, db, itemOf, actor, id)
	if err != nil {
		return nil, err
	}
	return rate(ctx, db, auth, actor, s, in, at)
}

// rate records the rating of s once, and for a 差评 opens its rectification task, in one
// transaction. The calendar is read before it (see workflow's schedule).
func rate(ctx context.Context, db *bun.DB, auth Authorizer, actor audit.Actor, s *subject, in Input, at time.Time) (*Rating, error) {
	if s.rateable != nil {
		return nil, s.rateable
	}
	in, err := in.check()
	if err != nil {
		return nil, err
	}
	at = now(at)
	r := &Rating{Subject: s.kind, CaseID: s.caseID, BookingID: s.bookingID, RaterID: s.raterID, ItemCode: s.itemCode,
		Jurisdiction: s.jurisdiction, Level: in.Level, Comment: in.Comment, ClerkID: s.clerkID, CreatedAt: at}
	var task *Rectification
	if r.Bad() {
		today := calendar.DateOf(at)
		sched, err := calendar.New(db).For(ctx, s.jurisdiction)
		if err != nil {
			return nil, fmt.Errorf("reading the calendar of %s: %w", s.jurisdiction, err)
		}
		due, err := sched.AddWorkingDays(today, RectifyDays)
		if err != nil {
			return nil, err
		}
		task = &Rectification{Jurisdiction: s.jurisdiction, Stage: StageCallback, OpenedOn: today.String(), DueOn: due.String()}
	}
	var handlers []int64
	if task != nil {
		if handlers, err = Handlers(ctx, auth, s.jurisdiction, s.raterID); err != nil {
			return nil, err
		}
	}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("recording a rating of %s %s: %w", s.kind, s.label, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errAlreadyRated
		}
		if r.ID == 0 { // SQLite with ON CONFLICT does not always return the id
			if err := tx.NewSelect().Model((*Rating)(nil)).Column("id").Where(subjectWhere(s), subjectID(s)).Scan(ctx, &r.ID); err != nil {
				return fmt.Errorf("reading the new rating's id: %w", err)
			}
		}
		detail := map[string]any{"subject": s.kind, "level": r.Level, "item": r.ItemCode}
		if err := audit.Record(ctx, tx, actor, "rating.submit", "rating", strconv.FormatInt(r.ID, 10), r.Jurisdiction, detail); err != nil {
			return err
		}
		if task == nil {
			return nil
		}
		task.RatingID = r.ID
		if _, err := tx.NewInsert().Model(task).Exec(ctx); err != nil {
			return fmt.Errorf("opening the rectification of rating %d: %w", r.ID, err)
		}
		if err := record(ctx, tx, audit.System, "rating.open", task, map[string]any{"rating": r.ID, "due_on": task.DueOn}); err != nil {
			return err
		}
		return tell(ctx, tx, handlers, "rating_rectification_opened", taskData(task, r, s.label))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func subjectWhere(s *subject) string {
	if s.kind == SubjectCase {
		return "case_id = ?"
	}
	return "booking_id = ?"
}

func subjectID(s *subject) int64 {
	if s.kind == SubjectCase {
		return *s.caseID
	}
	return *s.bookingID
}

// Standing is a rater's view of what they may rate: their rating once given (with the progress of
// its rectification), or whether they may rate now and, if not, why.
type Standing struct {
	Rating   *Rating `json:"rating"`
	Rateable bool    `json:"rateable"`
	// Reason is the code of the conflict that keeps it from being rated now (case_not_ended,
	// not_visited), "" when it is rated or rateable.
	Reason string `json:"reason,omitempty"`
	// Rectification is the progress of the task a 差评 opened, as the rater is told of it.
	Rectification *Progress `json:"rectification,omitempty"`
}

// Progress is what a rater sees of a rectification: its due date and, once closed, the result
// that was sent to them.
type Progress struct {
	Stage    string `json:"stage"`
	DueOn    string `json:"due_on"`
	ClosedOn string `json:"closed_on,omitempty"`
	Result   string `json:"result,omitempty"`
}

// OfCase is the applicant's standing of case id.
func OfCase(ctx context.Context, db bun.IDB, actor audit.Actor, id int64) (*Standing, error) {
	s, err := caseSubject(ctx, db, actor, id)
	if err != nil {
		return nil, err
	}
	return standing(ctx, db, s)
}

// OfVisit is the booker's standing of booking id.
func OfVisit(ctx context.Context, db bun.IDB, itemOf ItemOf, actor audit.Actor, id int64) (*Standing, error) {
	s, err := visitSubject(ctx, db, itemOf, actor, id)
	if err != nil {
		return nil, err
	}
	return standing(ctx, db, s)
}

func standing(ctx context.Context, db bun.IDB, s *subject) (*Standing, error) {
	var found []Rating
	if err := db.NewSelect().Model(&found).Where(subjectWhere(s), subjectID(s)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the rating of %s %s: %w", s.kind, s.label, err)
	}
	out := &Standing{}
	if len(found) == 1 {
		out.Rating = &found[0]
		var tasks []Rectification
		if err := db.NewSelect().Model(&tasks).Where("rating_id = ?", found[0].ID).Scan(ctx); err != nil {
			return nil, fmt.Errorf("reading the rectification of rating %d: %w", found[0].ID, err)
		}
		if len(tasks) == 1 {
			t := tasks[0]
			out.Rectification = &Progress{Stage: t.Stage, DueOn: t.DueOn, ClosedOn: t.ClosedOn, Result: t.Result}
		}
		return out, nil
	}
	if p, ok := problem.As(s.rateable); ok {
		out.Reason = p.Code
	} else {
		out.Rateable = true
	}
	return out, nil
}

// Handlers lists the users who hold rating:rectify in the jurisdiction, except the one excluded (the
// rater: nobody handles their own 差评), sorted.
func Handlers(ctx context.Context, auth Authorizer, jurisdiction string, except int64) ([]int64, error) {
	grants, err := auth.AllGrants(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, g := range grants {
		if g.UserID != except && !slices.Contains(out, g.UserID) && policies.Covers(g.Pattern, jurisdiction) &&
			auth.Allowed(g.UserID, jurisdiction, object, actRectify) {
			out = append(out, g.UserID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// tell sends the template to every user, in the transaction of the change.
func tell(ctx context.Context, tx bun.IDB, users []int64, template string, data map[string]any) error {
	for _, u := range users {
		if err := notify.Send(ctx, tx, notify.Message{UserID: u, Template: template, Data: data}); err != nil {
			return err
		}
	}
	return nil
}

// MayRead reports whether the user is staff reading ratings (with comments) of the jurisdiction.
func MayRead(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID > 0 && auth.Allowed(userID, jurisdiction, object, actRead)
}

// MayRectify reports whether the user records the steps of rectifications of the jurisdiction.
func MayRectify(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID > 0 && auth.Allowed(userID, jurisdiction, object, actRectify)
}
