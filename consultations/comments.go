package consultations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
)

// The statuses of a comment: moderated before anyone but staff sees it.
const (
	CommentPending  = "pending"  // waits for moderation
	CommentApproved = "approved" // shown on the public page (without the contact)
	CommentHidden   = "hidden"   // kept and counted, never shown
)

// The decisions on a shown comment, in the adoption report.
const (
	DecisionAdopted    = "adopted"     // 采纳
	DecisionPartly     = "partly"      // 部分采纳
	DecisionNotAdopted = "not_adopted" // 未采纳
)

// Decisions lists the decisions in the order forms offer them.
var Decisions = []string{DecisionAdopted, DecisionPartly, DecisionNotAdopted}

// Comment is one comment of the public on a draft.
type Comment struct {
	bun.BaseModel `bun:"table:consultation_comments,alias:cc"`

	ID             int64  `bun:",pk,autoincrement" json:"id"`
	ConsultationID int64  `json:"-"`
	Number         int    `json:"number"` // its place among the consultation's comments, from 1
	Body           string `json:"body"`
	Name           string `json:"name,omitempty"`
	// Contact is for staff only: the public pages and answers never show it.
	Contact     string     `json:"contact,omitempty"`
	UserID      *int64     `json:"-"`
	Status      string     `json:"status,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ModeratedBy *int64     `json:"-"`
	ModeratedAt *time.Time `json:"-"`
	// Decision and Reason answer the comment; Group numbers the answers, comments answered together
	// sharing one.
	Decision  string     `json:"decision,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Group     int        `bun:"response_group" json:"group,omitempty"`
	DecidedBy *int64     `json:"-"`
	DecidedAt *time.Time `json:"-"`
}

// PublicView is the comment as the public sees it: without the contact, the status, and the answer
// until the adoption report is published.
func (cm Comment) PublicView(reportPublished bool) Comment {
	out := Comment{ID: cm.ID, Number: cm.Number, Body: cm.Body, Name: cm.Name, CreatedAt: cm.CreatedAt}
	if reportPublished {
		out.Decision, out.Reason, out.Group = cm.Decision, cm.Reason, cm.Group
	}
	return out
}

// Limits on what the public types, in characters.
const (
	MaxName    = 50
	MaxContact = 100
)

// NewComment is what the public sends.
type NewComment struct {
	Body    string `json:"body"`
	Name    string `json:"name"`
	Contact string `json:"contact"`
}

// Sender is who sends a comment: the address it came from and the account, 0 for none.
type Sender struct {
	UserID int64
	IP     string
}

// Throttle bounds the comments from one address, and from one account, within Window.
type Throttle struct {
	Max    int
	Window time.Duration
}

// Send takes a comment of the public on the consultation with id while its period runs: the text
// is required (at most MaxComment characters), the name and contact are optional; none may hold
// control or invisible formatting characters. Before or after the period the answer is a Conflict
// (consultation_not_open, consultation_closed). Each address, and each account, may send th.Max
// comments within th.Window (TooManyRequests after that). The comment waits for moderation. Each of
// within is called in the transaction that inserts the comment, after the insert (to claim an
// idempotency key with it); an error from one rolls the comment back.
func Send(ctx context.Context, db bun.IDB, th Throttle, from Sender, id int64, in NewComment,
	within ...func(ctx context.Context, tx bun.Tx, cm *Comment) error) (*Comment, error) {
	in.Body, in.Name, in.Contact = strings.TrimSpace(in.Body), strings.TrimSpace(in.Name), strings.TrimSpace(in.Contact)
	var fe problem.Fields
	forms.CheckText(&fe, "body", in.Body, true, MaxComment, true)
	forms.CheckText(&fe, "name", in.Name, false, MaxName, false)
	forms.CheckText(&fe, "contact", in.Contact, false, MaxContact, false)
	c, err := Get(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !Public(c.Status) {
		return nil, problem.ErrNotFound
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	today := calendar.Today()
	switch c.Phase(today) {
	case PhaseUpcoming:
		return nil, errNotOpen
	case PhaseEnded:
		return nil, errClosed
	}
	lim := accounts.GuessLimit{Max: max(th.Max, 1), Window: th.Window}
	if _, err := accounts.Guess(ctx, db, "consultation-comment:ip:"+from.IP, lim); err != nil {
		return nil, err
	}
	if from.UserID != 0 {
		if _, err := accounts.Guess(ctx, db, fmt.Sprintf("consultation-comment:user:%d", from.UserID), lim); err != nil {
			return nil, err
		}
	}
	cm := &Comment{ConsultationID: c.ID, Body: in.Body, Name: in.Name, Contact: in.Contact, UserID: ptr(from.UserID),
		Status: CommentPending, CreatedAt: now()}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The counter's update takes the row's lock: comments arriving at once are numbered in turn.
		// It holds only while the period runs, which the worker may have closed meanwhile.
		if err := tx.QueryRowContext(ctx, "UPDATE consultations SET comments = comments + 1 WHERE id = ? AND status = ? RETURNING comments",
			c.ID, StatusPublished).Scan(&cm.Number); errors.Is(err, sql.ErrNoRows) {
			return errClosed
		} else if err != nil {
			return fmt.Errorf("numbering a comment on consultation %d: %w", c.ID, err)
		}
		if _, err := tx.NewInsert().Model(cm).Exec(ctx); err != nil {
			return fmt.Errorf("recording a comment on consultation %d: %w", c.ID, err)
		}
		for _, f := range within {
			if err := f(ctx, tx, cm); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cm, nil
}

// SentComment returns comment commentID of consultation id as its sender sent it (for a retry of
// the sending, which sends nothing), or problem.ErrNotFound.
func SentComment(ctx context.Context, db bun.IDB, id, commentID int64) (*Comment, error) {
	cm := new(Comment)
	err := db.NewSelect().Model(cm).Where("cc.id = ? AND cc.consultation_id = ?", commentID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading comment %d of consultation %d: %w", commentID, id, err)
	}
	return cm, nil
}

// Comments returns the consultation's comments in the order they came: every one for staff who read
// consultations of its jurisdiction (staff is true), else the approved ones as the public sees them.
func Comments(ctx context.Context, db bun.IDB, c *Consultation, staff bool) ([]Comment, error) {
	out := []Comment{}
	q := db.NewSelect().Model(&out).Where("cc.consultation_id = ?", c.ID).Order("cc.number")
	if !staff {
		q = q.Where("cc.status = ?", CommentApproved)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the comments of consultation %d: %w", c.ID, err)
	}
	if !staff {
		for i := range out {
			out[i] = out[i].PublicView(c.Status == StatusConcluded)
		}
	}
	return out, nil
}

// Moderate approves (shows) or hides a comment of the consultation: its author or a moderator of
// its jurisdiction. A comment already answered in the adoption report stays as it is once the report
// is submitted.
func (s Service) Moderate(ctx context.Context, actor audit.Actor, id, commentID int64, status string) (*Comment, error) {
	status = strings.TrimSpace(status)
	if status != CommentApproved && status != CommentHidden {
		var fe problem.Fields
		fe.Add("status", "invalid", "请选择显示或隐藏。", "Choose to show or to hide.")
		return nil, fe.Err()
	}
	var out *Comment
	_, err := s.change(ctx, actor, id, "", func(tx bun.Tx, c *Consultation, t time.Time) error {
		if !MayModerate(s.Auth, actor.UserID, c) {
			return problem.ErrForbidden
		}
		if c.Status == StatusReport || c.Status == StatusConcluded {
			return problem.New(problem.Conflict, "report_submitted", "采纳情况已提交，不能再审核意见。",
				"The adoption report was submitted: comments can no longer be moderated.")
		}
		cm := new(Comment)
		if err := tx.NewSelect().Model(cm).Where("cc.id = ? AND cc.consultation_id = ?", commentID, c.ID).Scan(ctx); err != nil {
			return problem.ErrNotFound
		}
		from := cm.Status
		if from == status {
			out = cm
			return nil
		}
		cm.Status, cm.ModeratedBy, cm.ModeratedAt = status, ptr(actor.UserID), &t
		if status == CommentHidden {
			cm.Decision, cm.Reason, cm.Group = "", "", 0 // a hidden comment is not answered
		}
		res, err := tx.NewUpdate().Model(cm).Column("status", "moderated_by", "moderated_at", "decision", "reason", "response_group").
			Where("id = ? AND status = ?", cm.ID, from).Exec(ctx)
		if err != nil {
			return fmt.Errorf("moderating comment %d: %w", cm.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "stale", "该意见刚被他人审核，请刷新后重试。", "Someone else moderated the comment just now; reload and try again.")
		}
		out = cm
		return record(ctx, tx, actor, "consultation.moderate", c, map[string]any{"comment": cm.Number, "from": from, "to": status})
	})
	return out, err
}

// Response answers shown comments of a consultation together: one decision, one reason.
type Response struct {
	Comments []int64 `json:"comments"` // comment ids
	Decision string  `json:"decision"`
	Reason   string  `json:"reason"` // required unless the comments are adopted
}

// Respond records the answer to shown comments after the period, while the adoption report is
// written (or was returned): staff writing consultations of the jurisdiction. Answering a comment
// again replaces its answer.
func (s Service) Respond(ctx context.Context, actor audit.Actor, id int64, r Response) (*Consultation, error) {
	r.Decision, r.Reason = strings.TrimSpace(r.Decision), strings.TrimSpace(r.Reason)
	var fe problem.Fields
	if len(r.Comments) == 0 {
		fe.Add("comments", "required", "请选择要答复的意见。", "Choose the comments to answer.")
	}
	if !slices.Contains(Decisions, r.Decision) {
		fe.Add("decision", "invalid", "请选择采纳情况。", "Choose whether the comments are adopted.")
	}
	forms.CheckText(&fe, "reason", r.Reason, r.Decision != DecisionAdopted, MaxComment, true)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(r.Comments)))
	return s.change(ctx, actor, id, actWrite, func(tx bun.Tx, c *Consultation, t time.Time) error {
		today := calendar.Today()
		if !c.ended(today) {
			return errNotEnded
		}
		if _, err := closeIfEnded(ctx, tx, c, today, t); err != nil {
			return err
		}
		if c.Status != StatusClosed {
			return problem.New(problem.Conflict, "report_submitted", "采纳情况已提交，不能再修改答复。",
				"The adoption report was submitted: the answers can no longer change.")
		}
		var group int
		if err := tx.NewSelect().Model((*Comment)(nil)).ColumnExpr("COALESCE(MAX(response_group), 0)").
			Where("consultation_id = ?", c.ID).Scan(ctx, &group); err != nil {
			return fmt.Errorf("numbering the answers of consultation %d: %w", c.ID, err)
		}
		res, err := tx.NewUpdate().Model((*Comment)(nil)).Set("decision = ?", r.Decision).Set("reason = ?", r.Reason).
			Set("response_group = ?", group+1).Set("decided_by = ?", ptr(actor.UserID)).Set("decided_at = ?", t).
			Where("consultation_id = ? AND status = ? AND id IN (?)", c.ID, CommentApproved, bun.List(ids)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("answering comments of consultation %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != int64(len(ids)) {
			var fe problem.Fields
			fe.Add("comments", "unknown", "只能答复本次征求意见中已显示的意见。", "Only shown comments of this consultation can be answered.")
			return fe.Err()
		}
		return record(ctx, tx, actor, "consultation.respond", c, map[string]any{"comments": ids, "decision": r.Decision, "reason": r.Reason})
	})
}

// SubmitReport sends the adoption report to the publishers: summary is its general part; every
// comment must be moderated and every shown one answered.
func (s Service) SubmitReport(ctx context.Context, actor audit.Actor, id int64, summary string) (*Consultation, error) {
	summary = strings.TrimSpace(summary)
	var fe problem.Fields
	forms.CheckText(&fe, "report", summary, true, MaxReport, true)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, actWrite, func(tx bun.Tx, c *Consultation, t time.Time) error {
		today := calendar.Today()
		if !c.ended(today) {
			return errNotEnded
		}
		if _, err := closeIfEnded(ctx, tx, c, today, t); err != nil {
			return err
		}
		if c.Status != StatusClosed {
			return problem.New(problem.Conflict, "report_submitted", "采纳情况已提交。", "The adoption report was submitted already.")
		}
		open, err := tx.NewSelect().Model((*Comment)(nil)).Where("consultation_id = ?", c.ID).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("status = ?", CommentPending).WhereOr("status = ? AND decision = ''", CommentApproved)
			}).Count(ctx)
		if err != nil {
			return fmt.Errorf("checking the answers of consultation %d: %w", c.ID, err)
		}
		if open > 0 {
			p := problem.New(problem.Conflict, "comments_unanswered",
				fmt.Sprintf("还有%d条意见未审核或未答复。", open), fmt.Sprintf("%d comments are not moderated or not answered yet.", open))
			p.Detail = map[string]any{"open": open}
			return p
		}
		c.Status, c.Report, c.ReportBy, c.UpdatedAt = StatusReport, summary, ptr(actor.UserID), t
		if err := update(ctx, tx, c, StatusClosed, "status", "report", "report_by"); err != nil {
			return err
		}
		if err := s.notifyReviewers(ctx, tx, c, c.ReportBy, "consultation_report_review_requested"); err != nil {
			return err
		}
		return record(ctx, tx, actor, "consultation.report_submit", c, nil)
	})
}

// ApproveReport publishes the adoption report: a publisher of the jurisdiction who did not write it.
func (s Service) ApproveReport(ctx context.Context, actor audit.Actor, id int64, comment string) (*Consultation, error) {
	return s.reviewReport(ctx, actor, id, comment, true)
}

// ReturnReport sends the adoption report back to be rewritten, with the publisher's comment.
func (s Service) ReturnReport(ctx context.Context, actor audit.Actor, id int64, comment string) (*Consultation, error) {
	return s.reviewReport(ctx, actor, id, comment, false)
}

func (s Service) reviewReport(ctx context.Context, actor audit.Actor, id int64, comment string, approve bool) (*Consultation, error) {
	comment, err := checkComment(comment, !approve)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, actReview, func(tx bun.Tx, c *Consultation, t time.Time) error {
		if c.Status != StatusReport {
			return errNotInReview
		}
		if c.ReportBy != nil && *c.ReportBy == actor.UserID {
			return errOwnText
		}
		c.ReportReviewerID, c.ReportComment, c.UpdatedAt = ptr(actor.UserID), comment, t
		action, template := "consultation.report_return", "consultation_report_returned"
		if approve {
			action, template = "consultation.report_publish", "consultation_report_published"
			c.Status, c.ReportPublishedAt = StatusConcluded, &t
		} else {
			c.Status = StatusClosed
		}
		if err := update(ctx, tx, c, StatusReport, "status", "report_reviewer_id", "report_comment", "report_published_at"); err != nil {
			return err
		}
		if err := tell(ctx, tx, c.ReportBy, template, c, comment); err != nil {
			return err
		}
		return record(ctx, tx, actor, action, c, map[string]any{"comment": comment})
	})
}
