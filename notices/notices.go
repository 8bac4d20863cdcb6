// Package notices publishes notices (公告): texts staff write, which a publisher of their jurisdiction
// reviews for confidentiality (保密审查) before anything becomes public, and the entries the system
// writes at a decision — the 社会组织成立公告 and the 双公示 entry of an administrative licence — which
// repeat a decision already approved and so are published at once. A published text is never
// changed in place: a correction is a new version that says what changed, and the old ones stay
// readable. A notice is withdrawn with a reason, and a withdrawn notice stays public and says so.
package notices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// The categories of notice, as the portal lists them.
const (
	CategoryLicensing     = "licensing"     // 行政许可公示: the 双公示 entries of licence decisions
	CategoryOrganisations = "organisations" // 社会组织公告: establishment (later change, deregistration) notices
	CategoryGeneral       = "general"       // 通知公告: anything else staff publish
)

// Categories lists every category, in the order of the portal.
var Categories = []string{CategoryLicensing, CategoryOrganisations, CategoryGeneral}

// ValidCategory reports whether c is one of Categories.
func ValidCategory(c string) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// The statuses of a notice. A notice is public while published or withdrawn.
const (
	StatusDraft     = "draft"     // written, never submitted or returned by the publisher
	StatusReview    = "review"    // waiting for the publisher's 保密审查
	StatusPublished = "published" // public
	StatusWithdrawn = "withdrawn" // public, marked withdrawn with a reason
)

// The kinds of notice: who wrote it.
const (
	KindText          = "text"             // written by staff; always reviewed
	KindEstablishment = "establishment"    // 成立公告, written by the system at the registration
	KindLicence       = "licence_decision" // 双公示 entry, written by the system at a licence decision
	// KindEvaluationPublicity (评估等级公示) and KindEvaluationResult (评估等级公告) are written by the
	// system when an evaluation's proposed level is published and when the level is announced.
	KindEvaluationPublicity = "evaluation_publicity"
	KindEvaluationResult    = "evaluation_result"
	KindDeregistration      = "deregistration" // 注销公告, written by the system at the deregistration
	KindAnnualResults       = "annual_results" // 年度工作报告结果公告, written by the system for a campaign
	KindChange              = "change"         // 变更公告, written by the system at a change registration
)

// Notice is one notice: what the portal lists, with the title of the version it shows.
type Notice struct {
	bun.BaseModel `bun:"table:notices,alias:n"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	Category     string `json:"category"`
	Kind         string `json:"kind"`
	Jurisdiction string `json:"jurisdiction"` // the issuing authority's division code
	Status       string `json:"status"`
	Title        string `json:"title"`
	// Version is the number of the version the public reads; 0 while none was ever published.
	Version         int        `json:"version"`
	AuthorID        *int64     `json:"-"`
	CaseID          *int64     `json:"-"`
	CreatedAt       time.Time  `json:"-"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	WithdrawnAt     *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnBy     *int64     `json:"-"`
	WithdrawnReason string     `json:"withdrawn_reason,omitempty"`
}

// Path is the address of the notice's page, which messages give (as a string: numbers in a message's
// stored data come back as floats).
func (n *Notice) Path() string { return fmt.Sprintf("/notices/%d", n.ID) }

// Public reports whether anyone may read the notice: it was published, and perhaps withdrawn since.
func (n *Notice) Public() bool { return n.Status == StatusPublished || n.Status == StatusWithdrawn }

// The statuses of a version.
const (
	VersionDraft     = "draft"
	VersionReview    = "review"
	VersionPublished = "published"
	// VersionSuperseded is what a published version is called once a later one replaced it: it stays
	// readable but is no longer the text in force. It is never stored: see PublicStatus.
	VersionSuperseded = "superseded"
)

// PublicStatus is the status of version v of notice n as readers are told it: a published version
// that is not the one the notice shows (n.Version) was superseded by a correction.
func PublicStatus(n *Notice, v *Version) string {
	if v.Status == VersionPublished && v.Number != n.Version {
		return VersionSuperseded
	}
	return v.Status
}

// Version is one text of a notice. Once published it is never changed again.
type Version struct {
	bun.BaseModel `bun:"table:notice_versions,alias:nv"`

	ID       int64  `bun:",pk,autoincrement" json:"-"`
	NoticeID int64  `json:"-"`
	Number   int    `json:"number"`
	Status   string `json:"status"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	// Change says what a correction changed; empty on the first version.
	Change string `json:"change,omitempty"`
	// Licence holds the fields of a 双公示 entry; nil on any other notice.
	Licence       *Licence   `bun:"type:json" json:"licence,omitempty"`
	AuthorID      *int64     `json:"-"`
	ReviewerID    *int64     `json:"-"`
	ReviewComment string     `json:"-"`
	CreatedAt     time.Time  `json:"-"`
	PublishedAt   *time.Time `json:"published_at,omitempty"`
}

// Authorizer decides who may do what where, and says who holds which grant: the casbin enforcer.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	AllGrants(ctx context.Context) ([]policies.UserGrant, error)
}

// The permissions of policies/policy.csv that notices check, in the notice's jurisdiction.
const (
	permObject = "notice"
	actRead    = "read"   // see notices not yet public
	actWrite   = "write"  // write drafts, submit them, draft corrections
	actReview  = "review" // 保密审查: approve (publish) or return; withdraw
)

// MayRead reports whether the user may read what of the notice is not public (drafts, versions in
// review): staff holding a notice permission in its jurisdiction.
func MayRead(auth Authorizer, userID int64, n *Notice) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, n.Jurisdiction, permObject, actRead)
}

// MayWrite reports whether the user may write drafts and corrections of notices of the jurisdiction.
func MayWrite(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, permObject, actWrite)
}

// MayReview reports whether the user is a publisher of the jurisdiction.
func MayReview(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, permObject, actReview)
}

// Limits on what staff type, in characters.
const (
	MaxTitle   = 200
	MaxBody    = 20000
	MaxComment = 2000
)

// Draft is what staff type into a notice.
type Draft struct {
	Category     string `json:"category"`     // only when creating
	Jurisdiction string `json:"jurisdiction"` // only when creating
	Title        string `json:"title"`
	Body         string `json:"body"`
	Change       string `json:"change"` // required on a correction of a published notice
	// Attachments are uploads (materials of AttachmentItem, not yet attached) to add to the version.
	Attachments []int64 `json:"attachments"`
	// Remove are the materials attached to the version to take off it (when a publisher asks for it):
	// on a correction, those carried over from the published version, which keeps its own.
	Remove []int64 `json:"remove"`
}

// Problems worded once.
var (
	errNotDraft = problem.New(problem.Conflict, "not_draft",
		"只能修改或提交草稿。", "Only a draft can be changed or submitted.")
	errNotInReview = problem.New(problem.Conflict, "not_in_review",
		"该公告没有待审查的版本。", "The notice has no version waiting for review.")
	errOwnText = problem.New(problem.Forbidden, "own_text",
		"不能审查自己撰写的内容，须由本辖区的其他发布审核人员审查。",
		"You cannot review a text you wrote: another publisher of the jurisdiction must.")
	errNotPublished = problem.New(problem.Conflict, "not_published",
		"只能撤回或更正已发布的公告。", "Only a published notice can be withdrawn or corrected.")
	errPending = problem.New(problem.Conflict, "version_pending",
		"该公告已有未发布的新版本，请先处理该版本。", "The notice already has an unpublished new version; finish that one first.")
)

// clean trims what staff typed and checks it; change is required on a correction.
func (d *Draft) clean(fe *problem.Fields, correction bool) {
	d.Title, d.Body, d.Change = strings.TrimSpace(d.Title), strings.TrimSpace(d.Body), strings.TrimSpace(d.Change)
	forms.CheckText(fe, "title", d.Title, true, MaxTitle, false)
	forms.CheckText(fe, "body", d.Body, true, MaxBody, true)
	forms.CheckText(fe, "change", d.Change, correction, MaxComment, true)
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func ptr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Create writes a new draft notice of a category in a jurisdiction, where the actor may write.
func Create(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, d Draft) (*Notice, error) {
	var fe problem.Fields
	d.clean(&fe, false)
	d.Category, d.Jurisdiction = strings.TrimSpace(d.Category), strings.TrimSpace(d.Jurisdiction)
	if !ValidCategory(d.Category) {
		fe.Add("category", "invalid", "请选择公告类别。", "Choose a category.")
	}
	if !jurisdictions.ValidCode(d.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "请选择发布机关。", "Choose the issuing authority.")
	} else if _, err := jurisdictions.Get(ctx, db, d.Jurisdiction); errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "unknown", "没有该行政区划。", "There is no such jurisdiction.")
	} else if err != nil {
		return nil, fmt.Errorf("creating a notice: %w", err)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if !MayWrite(auth, actor.UserID, d.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	t := now()
	n := &Notice{Category: d.Category, Kind: KindText, Jurisdiction: d.Jurisdiction, Status: StatusDraft, Title: d.Title,
		AuthorID: ptr(actor.UserID), CreatedAt: t, UpdatedAt: t}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return err
		}
		v := &Version{NoticeID: n.ID, Number: 1, Status: VersionDraft, Title: d.Title, Body: d.Body,
			AuthorID: ptr(actor.UserID), CreatedAt: t}
		if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
			return err
		}
		if err := attach(ctx, tx, actor.UserID, v, d.Attachments); err != nil {
			return err
		}
		return record(ctx, tx, actor, "notice.create", n, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("creating a notice: %w", err)
	}
	return n, nil
}

// record writes the audit entry of a change to notice n.
func record(ctx context.Context, tx bun.IDB, actor audit.Actor, action string, n *Notice, detail map[string]any) error {
	return audit.Record(ctx, tx, actor, action, "notice", fmt.Sprint(n.ID), n.Jurisdiction, detail)
}

// Get returns the notice with id and all its versions, the oldest first, or problem.ErrNotFound.
// It does not check who asks: see Visible.
func Get(ctx context.Context, db bun.IDB, id int64) (*Notice, []Version, error) {
	n := new(Notice)
	err := db.NewSelect().Model(n).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading notice %d: %w", id, err)
	}
	var vs []Version
	if err := db.NewSelect().Model(&vs).Where("notice_id = ?", id).Order("number").Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("reading the versions of notice %d: %w", id, err)
	}
	return n, vs, nil
}

// Visible returns the notice with id as the user may see it: the public see a published or
// withdrawn notice and its published versions only; staff of its jurisdiction (MayRead) see every
// version. Anything else is problem.ErrNotFound, the same as a notice that does not exist.
func Visible(ctx context.Context, db bun.IDB, auth Authorizer, userID, id int64) (*Notice, []Version, error) {
	n, vs, err := Get(ctx, db, id)
	if err != nil {
		return nil, nil, err
	}
	if MayRead(auth, userID, n) {
		return n, vs, nil
	}
	if !n.Public() {
		return nil, nil, problem.ErrNotFound
	}
	return n, PublishedOnly(vs), nil
}

// PublishedOnly keeps the published versions of vs.
func PublishedOnly(vs []Version) []Version {
	out := make([]Version, 0, len(vs))
	for _, v := range vs {
		if v.Status == VersionPublished {
			out = append(out, v)
		}
	}
	return out
}

// Pending is the newest version of vs when it is not published yet (a draft or one in review), else nil.
func Pending(vs []Version) *Version {
	if len(vs) == 0 || vs[len(vs)-1].Status == VersionPublished {
		return nil
	}
	return &vs[len(vs)-1]
}

// Returned reports whether draft v came back from the publisher, who said why in its review comment:
// a return is the one step that makes a version a draft again with a reviewer.
func Returned(v *Version) bool { return v.Status == VersionDraft && v.ReviewerID != nil }

// change runs fn in a transaction over the notice with id and its newest version, after checking
// that the actor holds act in the notice's jurisdiction.
func change(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, act string,
	fn func(tx bun.Tx, n *Notice, latest *Version, t time.Time) error) (*Notice, error) {
	var out *Notice
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		n, vs, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !MayRead(auth, actor.UserID, n) && !n.Public() {
			return problem.ErrNotFound
		}
		if actor.UserID == 0 || !auth.Allowed(actor.UserID, n.Jurisdiction, permObject, act) {
			return problem.ErrForbidden
		}
		if err := fn(tx, n, &vs[len(vs)-1], now()); err != nil {
			return err
		}
		out = n
		return nil
	})
	return out, err
}

// updateVersion writes v's changed columns when its status is still from; a concurrent change that
// got there first makes it a conflict.
func updateVersion(ctx context.Context, tx bun.Tx, v *Version, from string, columns ...string) error {
	res, err := tx.NewUpdate().Model(v).Column(columns...).Where("id = ? AND status = ?", v.ID, from).Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating version %d of notice %d: %w", v.Number, v.NoticeID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return problem.New(problem.Conflict, "stale", "该公告刚被他人修改，请刷新后重试。",
			"Someone else changed the notice just now; reload and try again.")
	}
	return nil
}

func updateNotice(ctx context.Context, tx bun.Tx, n *Notice, columns ...string) error {
	if _, err := tx.NewUpdate().Model(n).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("updating notice %d: %w", n.ID, err)
	}
	return nil
}

// Edit changes the text of the notice's draft: the first version before it is published, or a
// correction not yet submitted. A correction must say what changed.
func Edit(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, d Draft) (*Notice, error) {
	return change(ctx, db, auth, actor, id, actWrite, func(tx bun.Tx, n *Notice, v *Version, t time.Time) error {
		if v.Status != VersionDraft {
			return errNotDraft
		}
		var fe problem.Fields
		d.clean(&fe, v.Number > 1)
		if err := fe.Err(); err != nil {
			return err
		}
		v.Title, v.Body, v.Change = d.Title, d.Body, d.Change
		if err := updateVersion(ctx, tx, v, VersionDraft, "title", "body", "change"); err != nil {
			return err
		}
		if err := detach(ctx, tx, v, d.Remove); err != nil {
			return err
		}
		if err := attach(ctx, tx, actor.UserID, v, d.Attachments); err != nil {
			return err
		}
		n.UpdatedAt = t
		if n.Version == 0 {
			n.Title = d.Title
		}
		if err := updateNotice(ctx, tx, n, "title", "updated_at"); err != nil {
			return err
		}
		return record(ctx, tx, actor, "notice.edit", n, editDetail(v, d))
	})
}

// editDetail is the audit detail of saving draft d as version v: its number, and the attachments
// taken off it, so that the trail shows who removed which file.
func editDetail(v *Version, d Draft) map[string]any {
	detail := map[string]any{"version": v.Number}
	if len(d.Remove) > 0 {
		detail["removed_attachments"] = d.Remove
	}
	return detail
}

// Revise starts a correction of a published notice: a new draft version, which says what changed
// and goes through the review like any staff text. The published version stays public meanwhile.
func Revise(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, d Draft) (*Notice, error) {
	return change(ctx, db, auth, actor, id, actWrite, func(tx bun.Tx, n *Notice, latest *Version, t time.Time) error {
		if n.Status != StatusPublished {
			return errNotPublished
		}
		if latest.Status != VersionPublished {
			return errPending
		}
		var fe problem.Fields
		d.clean(&fe, true)
		if err := fe.Err(); err != nil {
			return err
		}
		v := &Version{NoticeID: n.ID, Number: latest.Number + 1, Status: VersionDraft, Title: d.Title, Body: d.Body,
			Change: d.Change, Licence: latest.Licence, AuthorID: ptr(actor.UserID), CreatedAt: t}
		if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
			return fmt.Errorf("correcting notice %d: %w", n.ID, err)
		}
		if err := copyAttachments(ctx, tx, latest.ID, v.ID); err != nil {
			return err
		}
		if err := detach(ctx, tx, v, d.Remove); err != nil {
			return err
		}
		if err := attach(ctx, tx, actor.UserID, v, d.Attachments); err != nil {
			return err
		}
		return record(ctx, tx, actor, "notice.revise", n, editDetail(v, d))
	})
}

// Submit sends the draft to the publishers of the jurisdiction for the 保密审查.
func Submit(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64) (*Notice, error) {
	return change(ctx, db, auth, actor, id, actWrite, func(tx bun.Tx, n *Notice, v *Version, t time.Time) error {
		if v.Status != VersionDraft {
			return errNotDraft
		}
		v.Status = VersionReview
		if err := updateVersion(ctx, tx, v, VersionDraft, "status"); err != nil {
			return err
		}
		if n.Version == 0 {
			n.Status = StatusReview
		}
		n.UpdatedAt = t
		if err := updateNotice(ctx, tx, n, "status", "updated_at"); err != nil {
			return err
		}
		if err := notifyReviewers(ctx, tx, auth, n, v); err != nil {
			return err
		}
		return record(ctx, tx, actor, "notice.submit", n, map[string]any{"version": v.Number})
	})
}

// notifyReviewers tells the publishers of the notice's jurisdiction, but the version's author, that
// the version waits for their review: in tx, through the outbox, so that the message goes out exactly
// when the submission commits.
func notifyReviewers(ctx context.Context, tx bun.IDB, auth Authorizer, n *Notice, v *Version) error {
	grants, err := auth.AllGrants(ctx)
	if err != nil {
		return fmt.Errorf("finding the publishers of %s: %w", n.Jurisdiction, err)
	}
	told := map[int64]bool{}
	for _, g := range grants {
		if told[g.UserID] || !policies.Covers(g.Pattern, n.Jurisdiction) || (v.AuthorID != nil && *v.AuthorID == g.UserID) ||
			!MayReview(auth, g.UserID, n.Jurisdiction) {
			continue
		}
		told[g.UserID] = true
		if err := notify.Send(ctx, tx, notify.Message{UserID: g.UserID, Template: "notice_review_requested",
			Data: map[string]any{"title": v.Title, "version": v.Number, "notice_id": n.ID, "notice_path": n.Path()}}); err != nil {
			return err
		}
	}
	if len(told) == 0 {
		slog.WarnContext(ctx, "notices: nobody may review the notice", "notice", n.ID, "jurisdiction", n.Jurisdiction)
	}
	return nil
}

// Approve passes the version in review and publishes it at once: a publisher of the jurisdiction
// who did not write it. A correction replaces the text the public reads; the old one stays listed.
func Approve(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, comment string) (*Notice, error) {
	return review(ctx, db, auth, actor, id, comment, true)
}

// Return sends the version in review back to its author as a draft, with the publisher's comment,
// which is required.
func Return(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, comment string) (*Notice, error) {
	return review(ctx, db, auth, actor, id, comment, false)
}

func review(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, comment string, approve bool) (*Notice, error) {
	comment = strings.TrimSpace(comment)
	var fe problem.Fields
	forms.CheckText(&fe, "comment", comment, !approve, MaxComment, true)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return change(ctx, db, auth, actor, id, actReview, func(tx bun.Tx, n *Notice, v *Version, t time.Time) error {
		if v.Status != VersionReview {
			return errNotInReview
		}
		if v.AuthorID != nil && *v.AuthorID == actor.UserID {
			return errOwnText
		}
		if approve && n.Status == StatusWithdrawn {
			return errNotPublished // a correction does not bring a withdrawn notice back
		}
		v.ReviewerID, v.ReviewComment = ptr(actor.UserID), comment
		action := "notice.return"
		if approve {
			action = "notice.publish"
			v.Status, v.PublishedAt = VersionPublished, &t
			n.Status, n.Version, n.Title = StatusPublished, v.Number, v.Title
			if n.PublishedAt == nil {
				n.PublishedAt = &t
			}
		} else {
			v.Status = VersionDraft
			if n.Version == 0 {
				n.Status = StatusDraft
			}
		}
		if err := updateVersion(ctx, tx, v, VersionReview, "status", "published_at", "reviewer_id", "review_comment"); err != nil {
			return err
		}
		n.UpdatedAt = t
		if err := updateNotice(ctx, tx, n, "status", "version", "title", "published_at", "updated_at"); err != nil {
			return err
		}
		if v.AuthorID != nil {
			template := map[bool]string{true: "notice_published", false: "notice_returned"}[approve]
			if err := notify.Send(ctx, tx, notify.Message{UserID: *v.AuthorID, Template: template,
				Data: map[string]any{"title": v.Title, "version": v.Number, "comment": comment, "notice_id": n.ID, "notice_path": n.Path()}}); err != nil {
				return err
			}
		}
		return record(ctx, tx, actor, action, n, map[string]any{"version": v.Number, "comment": comment})
	})
}

// Withdraw takes a published notice, staff text or system entry, off the list of valid notices with
// a reason, which is required: it stays public, marked withdrawn. Publishers of the jurisdiction do it.
func Withdraw(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, reason string) (*Notice, error) {
	reason = strings.TrimSpace(reason)
	var fe problem.Fields
	forms.CheckText(&fe, "reason", reason, true, MaxComment, true)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return change(ctx, db, auth, actor, id, actReview, func(tx bun.Tx, n *Notice, _ *Version, t time.Time) error {
		if n.Status != StatusPublished {
			return errNotPublished
		}
		n.Status, n.WithdrawnAt, n.WithdrawnBy, n.WithdrawnReason, n.UpdatedAt = StatusWithdrawn, &t, ptr(actor.UserID), reason, t
		if err := updateNotice(ctx, tx, n, "status", "withdrawn_at", "withdrawn_by", "withdrawn_reason", "updated_at"); err != nil {
			return err
		}
		return record(ctx, tx, actor, "notice.withdraw", n, map[string]any{"reason": reason})
	})
}
