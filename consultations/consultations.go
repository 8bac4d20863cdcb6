// Package consultations puts drafts to public comment (征求意见, domain.md §10): staff write a draft
// rule (规章草案) or normative document (行政规范性文件) with its explanation (起草说明), attachments
// and a comment period no shorter than the legal minimum on the jurisdiction's calendar; a publisher
// of the jurisdiction who did not write it approves it (保密审查) before it is public. While the
// period runs anyone comments, without an account; comments are shown only once the author or a
// publisher approved them, and a hidden comment is kept and counted but never shown. After the period
// staff answer every shown comment (adopted, partly adopted, not adopted, with the reason), alone or
// grouped with others, and publish the adoption report (意见采纳情况), again through the publisher's
// review. Handlers, the worker and the command line call the same operations.
package consultations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// The kinds of draft, with the minimum comment period of each (Minimums).
const (
	KindNormative = "normative" // 行政规范性文件: at least 7 working days (国办发〔2018〕37号)
	KindRule      = "rule"      // 规章草案: at least 30 days (规章制定程序条例 art. 16)
)

// Kinds lists the kinds in the order forms offer them.
var Kinds = []string{KindNormative, KindRule}

// The statuses of a consultation. It is public from StatusPublished on.
const (
	StatusDraft     = "draft"     // written, or returned by the publisher
	StatusReview    = "review"    // the draft waits for the publisher's review
	StatusPublished = "published" // public: before, during or (until the worker closes it) after its period
	StatusClosed    = "closed"    // the period ended; the adoption report is being written, or was returned
	StatusReport    = "report"    // the adoption report waits for the publisher's review
	StatusConcluded = "concluded" // the adoption report is published
)

// Public reports whether status is one the public may read.
func Public(status string) bool {
	return slices.Contains([]string{StatusPublished, StatusClosed, StatusReport, StatusConcluded}, status)
}

// Minimums are the shortest comment periods, counted with both ends included: NormativeWorkingDays
// working days of the jurisdiction's calendar for a normative document, RuleDays days for a draft rule.
type Minimums struct {
	NormativeWorkingDays int
	RuleDays             int
}

// DefaultMinimums are the periods of domain.md §10.
var DefaultMinimums = Minimums{NormativeWorkingDays: 7, RuleDays: 30}

// Consultation is one draft put to public comment.
type Consultation struct {
	bun.BaseModel `bun:"table:consultations,alias:pc"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	Jurisdiction string `json:"jurisdiction"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	Explanation  string `json:"explanation"`
	// StartsOn and EndsOn are the first and last day of the comment period, YYYY-MM-DD, in China.
	StartsOn      string     `json:"starts_on"`
	EndsOn        string     `json:"ends_on"`
	AuthorID      *int64     `json:"-"`
	ReviewerID    *int64     `json:"-"`
	ReviewComment string     `json:"-"`
	CreatedAt     time.Time  `json:"-"`
	UpdatedAt     time.Time  `json:"updated_at"`
	PublishedAt   *time.Time `json:"published_at,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	// Comments counts every comment received, hidden ones included; each comment's number is its place.
	Comments          int        `json:"comment_count"`
	Report            string     `json:"-"` // the adoption report's general part; public once published
	ReportBy          *int64     `json:"-"`
	ReportReviewerID  *int64     `json:"-"`
	ReportComment     string     `json:"-"`
	ReportPublishedAt *time.Time `json:"report_published_at,omitempty"`
}

// Path is the address of the consultation's public page, which messages give.
func (c *Consultation) Path() string { return fmt.Sprintf("/consultations/%d", c.ID) }

// StaffPath is the address of the consultation's staff page.
func (c *Consultation) StaffPath() string { return fmt.Sprintf("/admin/consultations/%d", c.ID) }

// The phases of a public consultation's period on a day, as the public pages name them.
const (
	PhaseUpcoming = "upcoming"
	PhaseOpen     = "open"
	PhaseEnded    = "ended"
)

// Phase is where day falls in the consultation's period ("" before it is public).
func (c *Consultation) Phase(day calendar.Date) string {
	if !Public(c.Status) {
		return ""
	}
	if c.Status != StatusPublished || c.EndsOn < day.String() {
		return PhaseEnded
	}
	if day.String() < c.StartsOn {
		return PhaseUpcoming
	}
	return PhaseOpen
}

// Authorizer decides who may do what where, and says who holds which grant: the casbin enforcer.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	AllGrants(ctx context.Context) ([]policies.UserGrant, error)
}

// The permissions of policies/policy.csv that consultations check, in the consultation's jurisdiction.
const (
	permObject  = "consultation"
	actRead     = "read"     // see drafts not yet public, comments not shown, contacts
	actWrite    = "write"    // write drafts, answer comments, write the adoption report
	actReview   = "review"   // 保密审查 of the draft and of the adoption report
	actModerate = "moderate" // approve or hide comments of any consultation (the author may on its own)
)

// MayRead reports whether the user is staff reading consultations of the jurisdiction.
func MayRead(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, permObject, actRead)
}

// MayWrite reports whether the user may write consultations of the jurisdiction.
func MayWrite(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, permObject, actWrite)
}

// MayReview reports whether the user is a publisher of the jurisdiction.
func MayReview(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, permObject, actReview)
}

// MayModerate reports whether the user may approve or hide the consultation's comments: a
// moderator of its jurisdiction, or its author while still writing consultations there.
func MayModerate(auth Authorizer, userID int64, c *Consultation) bool {
	if userID == 0 || auth == nil {
		return false
	}
	if auth.Allowed(userID, c.Jurisdiction, permObject, actModerate) {
		return true
	}
	return c.AuthorID != nil && *c.AuthorID == userID && MayWrite(auth, userID, c.Jurisdiction)
}

// Limits on what staff type, in characters.
const (
	MaxTitle       = 200
	MaxBody        = 50000
	MaxExplanation = 20000
	MaxComment     = 2000 // a review comment, a reason, a public comment
	MaxReport      = 20000
)

// Draft is what staff type into a consultation.
type Draft struct {
	Jurisdiction string `json:"jurisdiction"` // only when creating
	Kind         string `json:"kind"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	Explanation  string `json:"explanation"`
	StartsOn     string `json:"starts_on"`
	EndsOn       string `json:"ends_on"`
	// Attachments are uploads (materials of AttachmentItem, not yet attached) to attach.
	Attachments []int64 `json:"-"`
	// Remove are attached materials to take off the draft.
	Remove []int64 `json:"-"`
}

// Problems worded once.
var (
	errNotDraft = problem.New(problem.Conflict, "not_draft",
		"只能修改或提交草稿。", "Only a draft can be changed or submitted.")
	errNotInReview = problem.New(problem.Conflict, "not_in_review",
		"没有待审查的内容。", "Nothing waits for review.")
	errOwnText = problem.New(problem.Forbidden, "own_text",
		"不能审查自己撰写的内容，须由本辖区的其他发布审核人员审查。",
		"You cannot review a text you wrote: another publisher of the jurisdiction must.")
	errStartPassed = problem.New(problem.Conflict, "period_start_passed",
		"征求意见的开始日期已过，请退回起草人修改期限。",
		"The comment period's first day has passed: return the draft so that its author sets a new period.")
	errNotOpen = problem.New(problem.Conflict, "consultation_not_open",
		"征求意见尚未开始，请在征求意见期内提交意见。", "The comment period has not started yet: comment while it runs.")
	errClosed = problem.New(problem.Conflict, "consultation_closed",
		"征求意见期已结束，不再接收意见。", "The comment period has ended: no more comments are taken.")
	errNotEnded = problem.New(problem.Conflict, "period_not_ended",
		"征求意见期结束后才能答复意见和发布采纳情况。", "Comments are answered, and the adoption report written, after the comment period.")
)

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func ptr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Service runs the operations of consultations over a database, with the permissions of auth and
// the minimum periods of Min.
type Service struct {
	DB   bun.IDB
	Auth Authorizer
	Min  Minimums
}

// clean trims what staff typed and checks it, the period against the minimum of its kind on the
// jurisdiction's calendar (known by then) and today.
func (s Service) clean(ctx context.Context, db bun.IDB, fe *problem.Fields, d *Draft, jurisdiction string, today calendar.Date) error {
	d.Kind, d.Title, d.Body, d.Explanation = strings.TrimSpace(d.Kind), strings.TrimSpace(d.Title), strings.TrimSpace(d.Body), strings.TrimSpace(d.Explanation)
	d.StartsOn, d.EndsOn = strings.TrimSpace(d.StartsOn), strings.TrimSpace(d.EndsOn)
	if !slices.Contains(Kinds, d.Kind) {
		fe.Add("kind", "invalid", "请选择草案类别。", "Choose the kind of draft.")
	}
	forms.CheckText(fe, "title", d.Title, true, MaxTitle, false)
	forms.CheckText(fe, "body", d.Body, true, MaxBody, true)
	forms.CheckText(fe, "explanation", d.Explanation, true, MaxExplanation, true)
	start, errStart := calendar.ParseDate(d.StartsOn)
	end, errEnd := calendar.ParseDate(d.EndsOn)
	if errStart != nil {
		fe.Add("starts_on", "invalid", "请填写开始日期（年-月-日）。", "Enter the first day (YYYY-MM-DD).")
	} else if start.Before(today) {
		fe.Add("starts_on", "in_past", "开始日期不能早于今天。", "The first day cannot be before today.")
	}
	if errEnd != nil {
		fe.Add("ends_on", "invalid", "请填写截止日期（年-月-日）。", "Enter the last day (YYYY-MM-DD).")
	}
	if errStart != nil || errEnd != nil || jurisdiction == "" || !slices.Contains(Kinds, d.Kind) {
		return nil
	}
	if end.Before(start) {
		fe.Add("ends_on", "before_start", "截止日期不能早于开始日期。", "The last day cannot be before the first.")
		return nil
	}
	if end.Sub(start) > calendar.MaxDays/2 {
		fe.Add("ends_on", "too_long", "征求意见期过长。", "The comment period is too long.")
		return nil
	}
	earliest, err := s.earliestEnd(ctx, db, jurisdiction, d.Kind, start)
	if err != nil {
		return err
	}
	if end.Before(earliest) {
		min := s.min()
		if d.Kind == KindRule {
			fe.Add("ends_on", "period_too_short",
				fmt.Sprintf("规章草案征求意见期不少于%d日，截止日期最早为%s。", min.RuleDays, earliest),
				fmt.Sprintf("A draft rule is open for comment at least %d days: the last day can be %s at the earliest.", min.RuleDays, earliest))
		} else {
			fe.Add("ends_on", "period_too_short",
				fmt.Sprintf("行政规范性文件征求意见期不少于%d个工作日，截止日期最早为%s。", min.NormativeWorkingDays, earliest),
				fmt.Sprintf("A normative document is open for comment at least %d working days: the last day can be %s at the earliest.", min.NormativeWorkingDays, earliest))
		}
	}
	return nil
}

func (s Service) min() Minimums {
	m := s.Min
	if m.NormativeWorkingDays <= 0 {
		m.NormativeWorkingDays = DefaultMinimums.NormativeWorkingDays
	}
	if m.RuleDays <= 0 {
		m.RuleDays = DefaultMinimums.RuleDays
	}
	return m
}

// EarliestEnd is the first day a comment period of kind starting on start may end on: the last of
// the minimum number of working days of the jurisdiction's calendar, start included, for a normative
// document; the last of the minimum number of days for a draft rule.
func (s Service) EarliestEnd(ctx context.Context, jurisdiction, kind string, start calendar.Date) (calendar.Date, error) {
	return s.earliestEnd(ctx, s.DB, jurisdiction, kind, start)
}

func (s Service) earliestEnd(ctx context.Context, db bun.IDB, jurisdiction, kind string, start calendar.Date) (calendar.Date, error) {
	min := s.min()
	if kind == KindRule {
		return start.AddDays(min.RuleDays - 1), nil
	}
	sch, err := calendar.New(db).For(ctx, jurisdiction)
	if err != nil {
		return calendar.Date{}, fmt.Errorf("reading the calendar of %s: %w", jurisdiction, err)
	}
	return sch.AddWorkingDays(start.AddDays(-1), min.NormativeWorkingDays)
}

// record writes the audit entry of a change to consultation c.
func record(ctx context.Context, tx bun.IDB, actor audit.Actor, action string, c *Consultation, detail map[string]any) error {
	return audit.Record(ctx, tx, actor, action, "consultation", fmt.Sprint(c.ID), c.Jurisdiction, detail)
}

// Create writes a new draft in a jurisdiction where the actor may write.
func (s Service) Create(ctx context.Context, actor audit.Actor, d Draft) (*Consultation, error) {
	var fe problem.Fields
	d.Jurisdiction = strings.TrimSpace(d.Jurisdiction)
	known := ""
	if !jurisdictions.ValidCode(d.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "请选择征求意见的机关。", "Choose the authority that consults.")
	} else if _, err := jurisdictions.Get(ctx, s.DB, d.Jurisdiction); errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "unknown", "没有该行政区划。", "There is no such jurisdiction.")
	} else if err != nil {
		return nil, fmt.Errorf("creating a consultation: %w", err)
	} else {
		known = d.Jurisdiction
	}
	if err := s.clean(ctx, s.DB, &fe, &d, known, calendar.Today()); err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if !MayWrite(s.Auth, actor.UserID, d.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	t := now()
	c := &Consultation{Jurisdiction: d.Jurisdiction, Kind: d.Kind, Status: StatusDraft, Title: d.Title, Body: d.Body,
		Explanation: d.Explanation, StartsOn: d.StartsOn, EndsOn: d.EndsOn, AuthorID: ptr(actor.UserID), CreatedAt: t, UpdatedAt: t}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		if err := attach(ctx, tx, actor.UserID, c, d.Attachments); err != nil {
			return err
		}
		return record(ctx, tx, actor, "consultation.create", c, map[string]any{"kind": c.Kind, "starts_on": c.StartsOn, "ends_on": c.EndsOn})
	})
	if err != nil {
		return nil, fmt.Errorf("creating a consultation: %w", err)
	}
	return c, nil
}

// Get returns the consultation with id, or problem.ErrNotFound. It does not check who asks: see Visible.
func Get(ctx context.Context, db bun.IDB, id int64) (*Consultation, error) {
	c := new(Consultation)
	err := db.NewSelect().Model(c).Where("pc.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading consultation %d: %w", id, err)
	}
	return c, nil
}

// getForChange reads the consultation with id in tx for a change, locking its row on PostgreSQL
// (SQLite runs one writing transaction at a time): changes to one consultation run in turn, so that
// answers given at once are numbered apart, a comment is not shown while the report is submitted,
// and a change that finds the period ended sees the close of another that got there first.
func getForChange(ctx context.Context, tx bun.IDB, id int64) (*Consultation, error) {
	c := new(Consultation)
	q := tx.NewSelect().Model(c).Where("pc.id = ?", id)
	if database.IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading consultation %d: %w", id, err)
	}
	return c, nil
}

// Visible returns the consultation with id when the user may see it: the public once published,
// staff reading consultations of its jurisdiction always; else problem.ErrNotFound.
func Visible(ctx context.Context, db bun.IDB, auth Authorizer, userID, id int64) (*Consultation, error) {
	c, err := Get(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !Public(c.Status) && !MayRead(auth, userID, c.Jurisdiction) {
		return nil, problem.ErrNotFound
	}
	return c, nil
}

// change runs fn in a transaction over the consultation with id, after checking that the actor reads
// consultations of its jurisdiction (else not found, even when it is public) and holds act there
// (else forbidden).
func (s Service) change(ctx context.Context, actor audit.Actor, id int64, act string, fn func(tx bun.Tx, c *Consultation, t time.Time) error) (*Consultation, error) {
	var out *Consultation
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		c, err := getForChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if !MayRead(s.Auth, actor.UserID, c.Jurisdiction) {
			return problem.ErrNotFound // staff of other jurisdictions are told no more than that
		}
		if act != "" && !s.Auth.Allowed(actor.UserID, c.Jurisdiction, permObject, act) {
			return problem.ErrForbidden
		}
		if err := fn(tx, c, now()); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// update writes c's columns when its status is still from: a concurrent change that got there first
// makes it a conflict.
func update(ctx context.Context, tx bun.IDB, c *Consultation, from string, columns ...string) error {
	res, err := tx.NewUpdate().Model(c).Column(append(columns, "updated_at")...).Where("id = ? AND status = ?", c.ID, from).Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating consultation %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return problem.New(problem.Conflict, "stale", "该征求意见刚被他人修改，请刷新后重试。",
			"Someone else changed the consultation just now; reload and try again.")
	}
	return nil
}

// Edit changes the draft (while it is a draft: written, or returned).
func (s Service) Edit(ctx context.Context, actor audit.Actor, id int64, d Draft) (*Consultation, error) {
	return s.change(ctx, actor, id, actWrite, func(tx bun.Tx, c *Consultation, t time.Time) error {
		if c.Status != StatusDraft {
			return errNotDraft
		}
		var fe problem.Fields
		if err := s.clean(ctx, tx, &fe, &d, c.Jurisdiction, calendar.Today()); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		c.Kind, c.Title, c.Body, c.Explanation, c.StartsOn, c.EndsOn, c.UpdatedAt = d.Kind, d.Title, d.Body, d.Explanation, d.StartsOn, d.EndsOn, t
		if err := update(ctx, tx, c, StatusDraft, "kind", "title", "body", "explanation", "starts_on", "ends_on"); err != nil {
			return err
		}
		if err := detach(ctx, tx, c, d.Remove); err != nil {
			return err
		}
		if err := attach(ctx, tx, actor.UserID, c, d.Attachments); err != nil {
			return err
		}
		detail := map[string]any{"kind": c.Kind, "starts_on": c.StartsOn, "ends_on": c.EndsOn}
		if len(d.Remove) > 0 {
			detail["removed_attachments"] = d.Remove
		}
		return record(ctx, tx, actor, "consultation.edit", c, detail)
	})
}

// Submit sends the draft to the publishers of the jurisdiction for review; its period must still
// be valid from today.
func (s Service) Submit(ctx context.Context, actor audit.Actor, id int64) (*Consultation, error) {
	return s.change(ctx, actor, id, actWrite, func(tx bun.Tx, c *Consultation, t time.Time) error {
		if c.Status != StatusDraft {
			return errNotDraft
		}
		d := Draft{Kind: c.Kind, Title: c.Title, Body: c.Body, Explanation: c.Explanation, StartsOn: c.StartsOn, EndsOn: c.EndsOn}
		var fe problem.Fields
		if err := s.clean(ctx, tx, &fe, &d, c.Jurisdiction, calendar.Today()); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		c.Status, c.UpdatedAt = StatusReview, t
		if err := update(ctx, tx, c, StatusDraft, "status"); err != nil {
			return err
		}
		if err := s.notifyReviewers(ctx, tx, c, c.AuthorID, "consultation_review_requested"); err != nil {
			return err
		}
		return record(ctx, tx, actor, "consultation.submit", c, nil)
	})
}

// notifyReviewers tells the publishers of the consultation's jurisdiction, but the one who wrote
// what waits, that it waits for their review, through the outbox in tx.
func (s Service) notifyReviewers(ctx context.Context, tx bun.IDB, c *Consultation, writer *int64, template string) error {
	grants, err := s.Auth.AllGrants(ctx)
	if err != nil {
		return fmt.Errorf("finding the publishers of %s: %w", c.Jurisdiction, err)
	}
	told := map[int64]bool{}
	for _, g := range grants {
		if told[g.UserID] || !policies.Covers(g.Pattern, c.Jurisdiction) || (writer != nil && *writer == g.UserID) ||
			!MayReview(s.Auth, g.UserID, c.Jurisdiction) {
			continue
		}
		told[g.UserID] = true
		if err := notify.Send(ctx, tx, notify.Message{UserID: g.UserID, Template: template,
			Data: map[string]any{"title": c.Title, "path": c.StaffPath()}}); err != nil {
			return err
		}
	}
	if len(told) == 0 {
		slog.WarnContext(ctx, "consultations: nobody may review", "consultation", c.ID, "jurisdiction", c.Jurisdiction)
	}
	return nil
}

// tell sends template about c to the user, if any.
func tell(ctx context.Context, tx bun.IDB, userID *int64, template string, c *Consultation, comment string) error {
	if userID == nil {
		return nil
	}
	return notify.Send(ctx, tx, notify.Message{UserID: *userID, Template: template,
		Data: map[string]any{"title": c.Title, "path": c.StaffPath(), "comment": comment, "ends_on": c.EndsOn}})
}

// checkComment checks a publisher's comment, required on a return.
func checkComment(comment string, required bool) (string, error) {
	comment = strings.TrimSpace(comment)
	var fe problem.Fields
	forms.CheckText(&fe, "comment", comment, required, MaxComment, true)
	return comment, fe.Err()
}

// Approve publishes the draft in review: a publisher of the jurisdiction who did not write it, on or
// before the first day of its period.
func (s Service) Approve(ctx context.Context, actor audit.Actor, id int64, comment string) (*Consultation, error) {
	return s.reviewDraft(ctx, actor, id, comment, true)
}

// Return sends the draft in review back to its author, with the publisher's comment (required).
func (s Service) Return(ctx context.Context, actor audit.Actor, id int64, comment string) (*Consultation, error) {
	return s.reviewDraft(ctx, actor, id, comment, false)
}

func (s Service) reviewDraft(ctx context.Context, actor audit.Actor, id int64, comment string, approve bool) (*Consultation, error) {
	comment, err := checkComment(comment, !approve)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, actReview, func(tx bun.Tx, c *Consultation, t time.Time) error {
		if c.Status != StatusReview {
			return errNotInReview
		}
		if c.AuthorID != nil && *c.AuthorID == actor.UserID {
			return errOwnText
		}
		c.ReviewerID, c.ReviewComment, c.UpdatedAt = ptr(actor.UserID), comment, t
		action, template := "consultation.return", "consultation_returned"
		if approve {
			if c.StartsOn < calendar.Today().String() {
				return errStartPassed
			}
			action, template = "consultation.publish", "consultation_published"
			c.Status, c.PublishedAt = StatusPublished, &t
		} else {
			c.Status = StatusDraft
		}
		if err := update(ctx, tx, c, StatusReview, "status", "reviewer_id", "review_comment", "published_at"); err != nil {
			return err
		}
		if err := tell(ctx, tx, c.AuthorID, template, c, comment); err != nil {
			return err
		}
		return record(ctx, tx, actor, action, c, map[string]any{"comment": comment})
	})
}

// Returned reports whether the draft came back from the publisher, who said why.
func (c *Consultation) Returned() bool { return c.Status == StatusDraft && c.ReviewerID != nil }

// ReportReturned reports whether the adoption report came back from the publisher.
func (c *Consultation) ReportReturned() bool {
	return c.Status == StatusClosed && c.ReportReviewerID != nil
}

// ended reports whether c's period is over on today: closed by the worker, or past its last day.
func (c *Consultation) ended(today calendar.Date) bool {
	return c.Status != StatusPublished || c.EndsOn < today.String()
}

// closeIfEnded closes a published consultation whose period ended (what the worker would do) in tx,
// so that staff need not wait for the worker to answer comments. It reports whether it closed it.
func closeIfEnded(ctx context.Context, tx bun.IDB, c *Consultation, today calendar.Date, t time.Time) (bool, error) {
	if c.Status != StatusPublished || c.EndsOn >= today.String() {
		return false, nil
	}
	res, err := tx.NewUpdate().Model((*Consultation)(nil)).Set("status = ?", StatusClosed).Set("closed_at = ?", t).Set("updated_at = ?", t).
		Where("id = ? AND status = ?", c.ID, StatusPublished).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("closing consultation %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil // another worker closed it
	}
	c.Status, c.ClosedAt, c.UpdatedAt = StatusClosed, &t, t
	if err := tell(ctx, tx, c.AuthorID, "consultation_closed", c, ""); err != nil {
		return false, err
	}
	return true, record(ctx, tx, audit.System, "consultation.close", c, map[string]any{"comments": c.Comments})
}

// Tick is the worker's periodic work: it closes every published consultation whose period ended
// before today and reminds its author to answer the comments and publish the adoption report. Run
// by several workers at once, it closes each once. It returns how many it closed.
func Tick(ctx context.Context, db *bun.DB, now time.Time) (int, error) {
	today := calendar.DateOf(now)
	var due []Consultation
	if err := db.NewSelect().Model(&due).Where("pc.status = ? AND pc.ends_on < ?", StatusPublished, today.String()).
		OrderExpr("pc.id").Limit(500).Scan(ctx); err != nil {
		return 0, fmt.Errorf("reading consultations whose period ended: %w", err)
	}
	closed := 0
	for i := range due {
		var done bool
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) (err error) {
			done, err = closeIfEnded(ctx, tx, &due[i], today, now.UTC().Truncate(time.Microsecond))
			return err
		})
		if err != nil {
			return closed, err
		}
		if done {
			closed++
		}
	}
	if closed > 0 {
		slog.InfoContext(ctx, "consultations: comment periods closed", "closed", closed)
	}
	return closed, nil
}
