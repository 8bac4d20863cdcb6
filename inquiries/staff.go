package inquiries

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// MaxListed is how many inquiries a staff list shows.
const MaxListed = 200

// MayReply reports whether the user answers the inquiries of the jurisdiction.
func (o *Office) MayReply(userID int64, jurisdiction string) bool {
	return userID != 0 && o.auth.Allowed(userID, jurisdiction, object, actReply)
}

// ForStaff lists the inquiries of the jurisdictions where the user reads them: the open ones, the
// earliest due first, or with answered those answered, the latest first; at most MaxListed.
func (o *Office) ForStaff(ctx context.Context, userID int64, answered bool) ([]Inquiry, error) {
	out := []Inquiry{}
	scopes := o.auth.Scopes(userID, object, actRead)
	if len(scopes) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("iq.jurisdiction", scopes)
	sel := o.db.NewSelect().Model(&out).Where(where, args...)
	if answered {
		sel = sel.Where("iq.status = ?", StatusAnswered).OrderExpr("iq.replied_at DESC, iq.id DESC")
	} else {
		sel = sel.Where("iq.status = ?", StatusOpen).OrderExpr("iq.due_on, iq.id")
	}
	if err := sel.Limit(MaxListed).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing inquiries for user %d: %w", userID, err)
	}
	return out, nil
}

// Get returns inquiry id to staff reading inquiries in its jurisdiction (not found for anyone else),
// recording the read of the asker's particulars in the audit log.
func (o *Office) Get(ctx context.Context, actor audit.Actor, id int64) (*Inquiry, error) {
	q, err := o.load(ctx, o.db, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if actor.UserID == 0 || !o.auth.Allowed(actor.UserID, q.Jurisdiction, object, actRead) {
		return nil, problem.ErrNotFound
	}
	if err := audit.RecordRead(ctx, o.db, actor, "inquiry.read", "inquiry", strconv.FormatInt(q.ID, 10), q.Jurisdiction,
		map[string]any{"number": q.Number}); err != nil {
		return nil, err
	}
	return q, nil
}

// Reply answers inquiry id by the actor, who must hold inquiry:reply in its jurisdiction (not found
// for those who may not even read it): the inquiry is closed, the asker told, and a reply the asker
// consented to publish waits for the publisher.
func (o *Office) Reply(ctx context.Context, actor audit.Actor, id int64, text string) (*Inquiry, error) {
	if actor.UserID == 0 {
		return nil, problem.ErrLoginRequired
	}
	var out *Inquiry
	err := o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q, err := o.load(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		switch {
		case !o.auth.Allowed(actor.UserID, q.Jurisdiction, object, actRead) && !o.MayReply(actor.UserID, q.Jurisdiction):
			return problem.ErrNotFound
		case !o.MayReply(actor.UserID, q.Jurisdiction):
			return problem.ErrForbidden
		case q.Status != StatusOpen:
			return errAnswered
		}
		var fe problem.Fields
		text = checkText(&fe, "reply", text, true, MaxReply, true)
		if err := fe.Err(); err != nil {
			return err
		}
		at, by := o.now(), actor.UserID
		q.Status, q.Reply, q.RepliedAt, q.RepliedOn, q.RepliedBy = StatusAnswered, text, &at, calendar.DateOf(at).String(), &by
		if q.PublishConsent {
			q.Publication = PublicationPending
		}
		res, err := tx.NewUpdate().Model(q).Column("status", "reply", "replied_at", "replied_on", "replied_by", "publication").
			WherePK().Where("status = ?", StatusOpen).Exec(ctx)
		if err != nil {
			return fmt.Errorf("replying to inquiry %s: %w", q.Number, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		err = audit.Record(ctx, tx, actor, "inquiry.reply", "inquiry", strconv.FormatInt(q.ID, 10), q.Jurisdiction,
			map[string]any{"number": q.Number, "on_time": q.OnTime()})
		if err != nil {
			return err
		}
		out = q
		return tellAsker(ctx, tx, q, "inquiry_replied")
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errAnswered // another reply came first
	}
	return out, nil
}

// ForPublisher lists the replies waiting for the publisher's review in the jurisdictions where the
// user publishes them, the earliest first, at most MaxListed.
func (o *Office) ForPublisher(ctx context.Context, userID int64) ([]Inquiry, error) {
	out := []Inquiry{}
	scopes := o.auth.Scopes(userID, object, actPublish)
	if len(scopes) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("iq.jurisdiction", scopes)
	err := o.db.NewSelect().Model(&out).Where(where, args...).Where("iq.publication = ?", PublicationPending).
		OrderExpr("iq.replied_at, iq.id").Limit(MaxListed).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing replies to publish for user %d: %w", userID, err)
	}
	for i := range out {
		out[i] = out[i].Public()
	}
	return out, nil
}

// Decision is the publisher's decision on a reply: publish it, or decline with a reason.
type Decision struct {
	Publish bool   `json:"publish"`
	Reason  string `json:"reason"`
}

// Decide publishes reply id on the Q&A list or declines it, by the actor, who must hold
// inquiry:publish in its jurisdiction (not found for anyone else). Declining needs a reason.
func (o *Office) Decide(ctx context.Context, actor audit.Actor, id int64, d Decision) (*Inquiry, error) {
	if actor.UserID == 0 {
		return nil, problem.ErrLoginRequired
	}
	var out *Inquiry
	err := o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q, err := o.load(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if !o.auth.Allowed(actor.UserID, q.Jurisdiction, object, actPublish) {
			return problem.ErrNotFound
		}
		var fe problem.Fields
		reason := checkText(&fe, "reason", d.Reason, !d.Publish, MaxNote, true)
		if err := fe.Err(); err != nil {
			return err
		}
		if q.Publication != PublicationPending {
			return errNotPending
		}
		at, by := o.now(), actor.UserID
		action := "inquiry.decline"
		q.Publication, q.PublicationNote, q.DecidedBy = PublicationDeclined, reason, &by
		if d.Publish {
			action, q.Publication, q.PublishedAt = "inquiry.publish", PublicationPublished, &at
		}
		res, err := tx.NewUpdate().Model(q).Column("publication", "publication_note", "published_at", "decided_by").
			WherePK().Where("publication = ?", PublicationPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("deciding the publication of inquiry %s: %w", q.Number, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		out = q
		return audit.Record(ctx, tx, actor, action, "inquiry", strconv.FormatInt(q.ID, 10), q.Jurisdiction,
			map[string]any{"number": q.Number})
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNotPending
	}
	p := out.Public()
	return &p, nil
}

// Public is the inquiry as the Q&A list shows it: the question's title and body and the reply,
// without the asker's name, contact or anything else about them.
func (q Inquiry) Public() Inquiry {
	return Inquiry{ID: q.ID, Number: q.Number, Kind: q.Kind, Jurisdiction: q.Jurisdiction, ItemCode: q.ItemCode, PublishConsent: q.PublishConsent,
		Title: q.Title, Body: q.Body, ReceivedAt: q.ReceivedAt, DueOn: q.DueOn, Status: q.Status, Reply: q.Reply,
		RepliedAt: q.RepliedAt, RepliedOn: q.RepliedOn, Publication: q.Publication, PublishedAt: q.PublishedAt}
}

// Limits of a search of the Q&A list.
const (
	MaxQueryLength = 50
	DefaultPerPage = 20
	MaxPerPage     = 100
	maxPage        = 1000
)

// Query is a search of the published replies; every filter given must hold.
type Query struct {
	Q            string // words that must each be in the title, the question or the reply
	Kind         string // one of Kinds, or "" for all
	Jurisdiction string // a division code: its replies and those of every division below it
	Page         int
	PerPage      int
}

// Results is one page of a search.
type Results struct {
	Entries []Inquiry `json:"entries"`
	Total   int       `json:"total"`
	Page    int       `json:"page"`
	PerPage int       `json:"per_page"`
}

// Pages is the number of pages of the results, at least 1.
func (r *Results) Pages() int { return max((r.Total+r.PerPage-1)/r.PerPage, 1) }

// Search returns a page of the published replies matching q, the latest published first, as the
// public sees them. Invalid filters are one Invalid problem with a field for each.
func Search(ctx context.Context, db bun.IDB, q Query) (*Results, error) {
	var fe problem.Fields
	q.Q, q.Kind, q.Jurisdiction = strings.TrimSpace(q.Q), strings.TrimSpace(q.Kind), strings.TrimSpace(q.Jurisdiction)
	fe.CheckQuery("q", q.Q, MaxQueryLength)
	if _, ok := DefaultLimits[q.Kind]; q.Kind != "" && !ok {
		fe.Add("kind", "invalid", "请选择咨询、投诉或建议。", "Choose question, complaint or suggestion.")
	}
	if q.Jurisdiction != "" && !jurisdictions.ValidCode(q.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "行政区划代码须为六位数字。", "The jurisdiction must be a six-digit division code.")
	}
	q.Page, q.PerPage = fe.CheckPaging(problem.Paging{Page: q.Page, PerPage: q.PerPage,
		DefaultPerPage: DefaultPerPage, MaxPerPage: MaxPerPage, MaxPage: maxPage})
	if err := fe.Err(); err != nil {
		return nil, err
	}
	res := &Results{Entries: []Inquiry{}, Page: q.Page, PerPage: q.PerPage}
	sel := db.NewSelect().Model(&res.Entries).Where("iq.publication = ?", PublicationPublished)
	for _, w := range nameindex.Words(q.Q) {
		like := "%" + database.EscapeLike(w) + "%"
		sel = sel.Where(`(lower(iq.title) LIKE lower(?) ESCAPE '\' OR lower(iq.body) LIKE lower(?) ESCAPE '\' OR lower(iq.reply) LIKE lower(?) ESCAPE '\')`,
			like, like, like)
	}
	if q.Kind != "" {
		sel = sel.Where("iq.kind = ?", q.Kind)
	}
	if q.Jurisdiction != "" {
		where, args := policies.ScopeFilter("iq.jurisdiction", []string{jurisdictions.Subtree(q.Jurisdiction)})
		sel = sel.Where(where, args...)
	}
	total, err := sel.OrderExpr("iq.published_at DESC, iq.id DESC").Limit(int64(q.PerPage)).Offset(int64((q.Page - 1) * q.PerPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("searching the Q&A list (%+v): %w", q, err)
	}
	res.Total = int(total)
	for i := range res.Entries {
		res.Entries[i] = res.Entries[i].Public()
	}
	return res, nil
}

// Count is the figures of one jurisdiction, year and kind for the annual report.
type Count struct {
	Jurisdiction string `json:"jurisdiction"`
	Kind         string `json:"kind"`
	Received     int    `json:"received"`
	Answered     int    `json:"answered"`
	OnTime       int    `json:"on_time"`
}

// Counts returns, for the inquiries received in year (China time) in the jurisdictions whose code
// starts with jurisdictionPrefix ("" for all), how many of each kind each jurisdiction received,
// answered, and answered by the due date, ordered by jurisdiction and kind.
func Counts(ctx context.Context, db bun.IDB, year int, jurisdictionPrefix string) ([]Count, error) {
	from := calendar.NewDate(year, time.January, 1).Time().UTC()
	to := calendar.NewDate(year+1, time.January, 1).Time().UTC()
	out := []Count{}
	err := db.NewSelect().Model((*Inquiry)(nil)).
		ColumnExpr("iq.jurisdiction AS jurisdiction, iq.kind AS kind, COUNT(*) AS received").
		ColumnExpr("COUNT(CASE WHEN iq.status = ? THEN 1 END) AS answered", StatusAnswered).
		ColumnExpr("COUNT(CASE WHEN iq.status = ? AND iq.replied_on <= iq.due_on THEN 1 END) AS on_time", StatusAnswered).
		Where("iq.received_at >= ? AND iq.received_at < ?", from, to).
		Where(`iq.jurisdiction LIKE ? ESCAPE '\'`, database.EscapeLike(jurisdictionPrefix)+"%").
		GroupExpr("iq.jurisdiction, iq.kind").OrderExpr("iq.jurisdiction, iq.kind").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("counting the inquiries of %d under %q: %w", year, jurisdictionPrefix, err)
	}
	return out, nil
}

// Statistics returns the Counts of year under jurisdictionPrefix ("" for all) limited to the
// jurisdictions where the user reads inquiries. A year out of range or a prefix that is no start of a
// division code is a field error.
func (o *Office) Statistics(ctx context.Context, userID int64, year int, jurisdictionPrefix string) ([]Count, error) {
	var fe problem.Fields
	if year < 2000 || year > 2100 {
		fe.Add("year", "invalid", "年份须在2000到2100之间。", "The year must be from 2000 to 2100.")
	}
	jurisdictionPrefix = strings.TrimSpace(jurisdictionPrefix)
	if len(jurisdictionPrefix) > 6 || strings.Trim(jurisdictionPrefix, "0123456789") != "" {
		fe.Add("jurisdiction", "invalid", "行政区划代码须为数字，最多六位。", "The jurisdiction must be at most six digits.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	all, err := Counts(ctx, o.db, year, jurisdictionPrefix)
	if err != nil {
		return nil, err
	}
	out := []Count{}
	for _, c := range all {
		if o.auth.Allowed(userID, c.Jurisdiction, object, actRead) {
			out = append(out, c)
		}
	}
	return out, nil
}
