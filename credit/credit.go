// Package credit keeps the credit lists of the register (社会组织信用信息管理办法, 民政部令第60号): the
// 活动异常名录 (abnormal-activity list) and the 严重违法失信名单 (serious-dishonesty list). An entry
// names the organisation, the list, the reason, the date and the listing authority, and stays, with
// the date and the way of its removal, once removed. Organisations go on the lists by the annual
// report's deadline pass (ListForMissedReport), by staff (ListManually) and, after two years on the
// abnormal list, by the worker (Escalate); they come off by an approved application (the effect
// credit.remove_abnormal) or by staff (Remove). Both lists are public.
package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// The lists, as item definitions name them in refused_if_listed.
const (
	ListAbnormal = catalog.ListAbnormal // 活动异常名录
	ListSerious  = catalog.ListSerious  // 严重违法失信名单
)

// Reasons are the grounds of each list (办法 arts. 17 and 20); the listing authority picks one.
var Reasons = map[string][]string{
	ListAbnormal: {ReasonAnnualReport, "no_party_organisation", "not_rectified", "unreachable"},
	ListSerious:  {ReasonTwoYears, "false_change_statement", "change_revoked", "dishonest_debtor"},
}

// The reasons the program gives itself.
const (
	ReasonAnnualReport = "annual_report"      // 未按规定报送年度工作报告 (with the report's year)
	ReasonTwoYears     = "abnormal_two_years" // 列入活动异常名录满2年
)

// How an entry came to be: Entry.Source.
const (
	SourceAnnualReport = "annual_report" // the annual report's deadline pass
	SourceStaff        = "staff"         // a decision of staff of the authority
	SourceEscalation   = "escalation"    // two years on the abnormal list
)

// How an entry was removed: Entry.Removal.
const (
	RemovalApplication = "application" // the organisation's application, approved after correction
	RemovalDecision    = "decision"    // staff's decision (a listing in error, a court's ruling)
)

// AbnormalYears is how long an organisation stays on the abnormal list before it is moved to the
// serious list (办法 art. 20 (一)).
const AbnormalYears = 2

// MaxText bounds the detail of a listing and the reason of a removal, in characters.
const MaxText = 2000

// The permissions of policies/policy.csv that staff need in the organisation's jurisdiction.
const (
	object   = "credit"
	actRead  = "read"  // see the entries with staff's texts
	actWrite = "write" // list and remove
)

// Authorizer decides who may do what where: the casbin enforcer.
type Authorizer = register.Authorizer

// Entry is one listing of an organisation.
type Entry struct {
	bun.BaseModel `bun:"table:credit_listings,alias:cl"`

	ID             int64  `bun:",pk,autoincrement" json:"id"`
	OrganisationID int64  `json:"organisation_id"`
	List           string `json:"list"`
	Reason         string `json:"reason"`
	// Detail is what staff wrote about a listing: shown to staff, not to the public (a text written
	// by staff is public only after the publisher's review).
	Detail string `json:"detail,omitempty"`
	// Year is the year of the annual report not filed, 0 for other reasons.
	Year int `json:"year,omitempty"`
	// Authority is the division code of the listing authority (the registration authority).
	Authority string    `json:"authority"`
	Source    string    `json:"source"`
	ListedAt  time.Time `json:"listed_at"`
	ListedBy  *int64    `json:"-"`
	// EscalatedFrom is the abnormal entry a serious one followed after two years.
	EscalatedFrom *int64     `json:"escalated_from,omitempty"`
	RemovedAt     *time.Time `json:"removed_at,omitempty"`
	RemovedBy     *int64     `json:"-"`
	Removal       string     `json:"removal,omitempty"`        // RemovalApplication or RemovalDecision
	RemovalReason string     `json:"removal_reason,omitempty"` // staff's text, not public
	// RemovalCaseID is the application case of a removal on application.
	RemovalCaseID *int64                 `json:"-"`
	Organisation  *register.Organisation `bun:"rel:belongs-to,join:organisation_id=id" json:"organisation,omitempty"`
}

// Standing reports whether the entry is in force.
func (e *Entry) Standing() bool { return e.RemovedAt == nil }

// ListedOn is the day of the listing in China.
func (e *Entry) ListedOn() calendar.Date { return calendar.DateOf(e.ListedAt) }

// Public returns the entry as anyone may see it: without staff's texts, with the organisation's
// public particulars.
func (e Entry) Public() Entry {
	e.Detail, e.RemovalReason = "", ""
	if e.Organisation != nil {
		o := e.Organisation.Public()
		e.Organisation = &o
	}
	return e
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Problems worded once.
var (
	errAlreadyListed = problem.New(problem.Conflict, "already_listed",
		"该组织已因同一事由列入该名录。", "The organisation already stands on this list for this reason.")
	errNotStanding = problem.New(problem.Conflict, "not_listed",
		"该列入记录已移出。", "This entry has been removed already.")
	errOrganisationInactive = problem.New(problem.Conflict, "organisation_inactive",
		"该组织已注销或被撤销登记。", "The organisation is deregistered or its registration revoked.")
)

// insert puts e on its list unless the organisation already stands there for the same reason and
// year (then it returns false): race-safe through the unique index of standing entries. It records
// the audit entry and tells the users bound to the organisation.
func insert(ctx context.Context, tx bun.IDB, actor audit.Actor, e *Entry, o *register.Organisation) (bool, error) {
	res, err := tx.NewInsert().Model(e).
		On("CONFLICT (organisation_id, list, reason, year) WHERE removed_at IS NULL DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("listing %s on the %s list: %w", o.USCC, e.List, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	detail := map[string]any{"uscc": o.USCC, "list": e.List, "reason": e.Reason, "source": e.Source}
	if e.Year != 0 {
		detail["year"] = e.Year
	}
	if err := audit.Record(ctx, tx, actor, "credit.list", "credit_listing", strconv.FormatInt(e.ID, 10), o.Jurisdiction, detail); err != nil {
		return false, err
	}
	return true, tell(ctx, tx, o, "credit_listed", e)
}

// tell sends the template about entry e to every user bound to o.
func tell(ctx context.Context, tx bun.IDB, o *register.Organisation, template string, e *Entry) error {
	users, err := register.BoundUsers(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	for _, u := range users {
		msg := notify.Message{UserID: u, Template: template, Data: map[string]any{"organisation": o.Name, "uscc": o.USCC,
			"list": e.List, "reason": e.Reason, "path": "/register/" + o.USCC}}
		if err := notify.Send(ctx, tx, msg); err != nil {
			return err
		}
	}
	return nil
}

// ListForMissedReport puts the organisation on the abnormal list for not filing its annual work
// report of year on time (办法 art. 17 (一)), listed by the authority of jurisdiction, in the
// transaction of the deadline pass. Called again for the same organisation and year while it stands
// there, it does nothing.
func ListForMissedReport(ctx context.Context, tx bun.IDB, organisationID int64, year int, jurisdiction string) error {
	o, err := register.Get(ctx, tx, organisationID)
	if err != nil {
		return fmt.Errorf("listing organisation %d for its %d report: %w", organisationID, year, err)
	}
	e := &Entry{OrganisationID: o.ID, List: ListAbnormal, Reason: ReasonAnnualReport, Year: year, Authority: jurisdiction,
		Source: SourceAnnualReport, ListedAt: now()}
	_, err = insert(ctx, tx, audit.System, e, o)
	return err
}

// Manual is a listing decided by staff.
type Manual struct {
	USCC   string `json:"uscc"`
	List   string `json:"list"`
	Reason string `json:"reason"` // one of Reasons[List]
	Detail string `json:"detail"` // the facts, required
}

// ListManually puts the organisation on a list by the actor's decision, who must hold credit:write in
// the organisation's jurisdiction. Every invalid field is reported at once; an organisation that is
// not active, or already stands on the list for the reason, is a conflict.
func ListManually(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, m Manual) (*Entry, error) {
	if actor.UserID == 0 {
		return nil, problem.ErrLoginRequired
	}
	var fe problem.Fields
	reasons, ok := Reasons[m.List]
	if !ok {
		fe.Add("list", "invalid", "请选择活动异常名录或严重违法失信名单。", "Choose the abnormal-activity or the serious-dishonesty list.")
	} else if !slices.Contains(reasons, m.Reason) {
		fe.Add("reason", "invalid", "请选择该名录的列入事由。", "Choose a ground of this list.")
	}
	detail := checkText(&fe, "detail", m.Detail)
	var o *register.Organisation
	var err error
	if code := strings.TrimSpace(m.USCC); code == "" {
		fe.Add("uscc", "required", "请填写组织的统一社会信用代码。", "Enter the organisation's unified social credit code.")
	} else if o, err = register.ByUSCC(ctx, db, code); problem.Is(err, problem.NotFound) {
		fe.Add("uscc", "unknown", "登记信息中没有该统一社会信用代码。", "No organisation on the register has this credit code.")
	} else if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if !auth.Allowed(actor.UserID, o.Jurisdiction, object, actWrite) {
		return nil, problem.ErrForbidden
	}
	if o.Status != register.StatusActive {
		return nil, errOrganisationInactive
	}
	by := actor.UserID
	e := &Entry{OrganisationID: o.ID, List: m.List, Reason: m.Reason, Detail: detail, Authority: o.Jurisdiction,
		Source: SourceStaff, ListedAt: now(), ListedBy: &by}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		done, err := insert(ctx, tx, actor, e, o)
		if err == nil && !done {
			return errAlreadyListed
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	e.Organisation = o
	return e, nil
}

// checkText trims a required staff text and records it on path when missing, too long or not text.
func checkText(fe *problem.Fields, path, s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		fe.Add(path, "required", "请填写理由。", "Give the reason.")
	case !utf8.ValidString(s):
		fe.Add(path, "invalid", "含有不允许的字符。", "Contains characters that are not allowed.")
	case utf8.RuneCountInString(s) > MaxText:
		fe.Add(path, "too_long", fmt.Sprintf("最多%d个字符。", MaxText), fmt.Sprintf("At most %d characters.", MaxText))
	}
	return s
}

// Remove takes entry id off its list by the actor's decision, with a reason: the actor must hold
// credit:write in the organisation's jurisdiction (else the entry is not found for those who may
// not even read it). An entry removed already is a conflict.
func Remove(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, reason string) (*Entry, error) {
	if actor.UserID == 0 {
		return nil, problem.ErrLoginRequired
	}
	var out *Entry
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		e, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case !auth.Allowed(actor.UserID, e.Organisation.Jurisdiction, object, actRead):
			return problem.ErrNotFound
		case !auth.Allowed(actor.UserID, e.Organisation.Jurisdiction, object, actWrite):
			return problem.ErrForbidden
		}
		var fe problem.Fields
		reason = checkText(&fe, "reason", reason)
		if err := fe.Err(); err != nil {
			return err
		}
		by := actor.UserID
		e.RemovedBy, e.Removal, e.RemovalReason = &by, RemovalDecision, reason
		if err := remove(ctx, tx, actor, e); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// remove marks the standing entry e removed now, as e's removal fields say, unless another removal
// came first (a conflict), and records it.
func remove(ctx context.Context, tx bun.IDB, actor audit.Actor, e *Entry) error {
	at := now()
	e.RemovedAt = &at
	res, err := tx.NewUpdate().Model(e).Column("removed_at", "removed_by", "removal", "removal_reason", "removal_case_id").
		WherePK().Where("removed_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("removing credit entry %d: %w", e.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errNotStanding
	}
	o := e.Organisation
	err = audit.Record(ctx, tx, actor, "credit.remove", "credit_listing", strconv.FormatInt(e.ID, 10), o.Jurisdiction,
		map[string]any{"uscc": o.USCC, "list": e.List, "removal": e.Removal})
	if err != nil {
		return err
	}
	return tell(ctx, tx, o, "credit_removed", e)
}

// load reads entry id with its organisation, or problem.ErrNotFound.
func load(ctx context.Context, db bun.IDB, id int64) (*Entry, error) {
	e := new(Entry)
	err := db.NewSelect().Model(e).Relation("Organisation").Where("cl.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading credit entry %d: %w", id, err)
	}
	return e, nil
}

// Of lists every entry of the organisation, the removed ones too, the latest first.
func Of(ctx context.Context, db bun.IDB, organisationID int64) ([]Entry, error) {
	out := []Entry{}
	err := db.NewSelect().Model(&out).Where("organisation_id = ?", organisationID).OrderExpr("listed_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the credit entries of organisation %d: %w", organisationID, err)
	}
	return out, nil
}

// MayRead reports whether the user is staff reading the credit entries of the jurisdiction, with
// staff's texts.
func MayRead(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, object, actRead)
}

// MayWrite reports whether the user lists and removes organisations of the jurisdiction.
func MayWrite(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, object, actWrite)
}
