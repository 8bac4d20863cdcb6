package register

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

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// How a binding was made.
const (
	HowRegistration = "registration" // the applicant of the case that registered the organisation
	HowRequest      = "request"      // a request with the authorisation letter, approved by staff
)

// The statuses of a binding. At most one binding of an organisation and a user is pending or active.
const (
	BindingPending   = "pending"   // requested, waiting for staff of the organisation's jurisdiction
	BindingActive    = "active"    // the user acts for the organisation
	BindingRefused   = "refused"   // staff refused the request, with a reason
	BindingWithdrawn = "withdrawn" // the applicant took the request back before a decision
	BindingEnded     = "ended"     // unbound, by staff with a reason or by the applicant itself
)

// BindingStatuses are all the statuses, the requests waiting first: the staff list's filter.
var BindingStatuses = []string{BindingPending, BindingActive, BindingRefused, BindingWithdrawn, BindingEnded}

// Binding says that a user (an organisation applicant) acts for an organisation of the register, or
// asked to. Ended, refused and withdrawn bindings stay as history.
type Binding struct {
	bun.BaseModel `bun:"table:organisation_bindings,alias:b"`

	ID             int64  `bun:",pk,autoincrement" json:"id"`
	OrganisationID int64  `json:"organisation_id"`
	UserID         int64  `json:"user_id"`
	How            string `json:"how"`
	Status         string `json:"status"`
	// CaseID is the registration case of a binding it made.
	CaseID *int64 `json:"case_id,omitempty"`
	// LetterID is the material holding the legal representative's authorisation letter of a request.
	LetterID       *int64     `json:"letter_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecidedBy      *int64     `json:"decided_by,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
	EndedBy        *int64     `json:"ended_by,omitempty"`
	EndReason      string     `json:"end_reason,omitempty"`
	// Organisation is the organisation as the public register shows it.
	Organisation *Organisation `bun:"rel:belongs-to,join:organisation_id=id" json:"organisation"`
}

// Standing reports whether the binding is pending or active: one that blocks another request.
func (b *Binding) Standing() bool { return b.Status == BindingPending || b.Status == BindingActive }

// The authorisation letters of requests are uploads of the materials store under this item code and
// slot: the colon keeps them apart from every catalogue item's materials.
const (
	LetterItem = "register:bindings"
	LetterSlot = "authorisation_letter"
)

// LetterTypes are the file types an authorisation letter may be, checked by content.
var LetterTypes = []string{materials.TypePDF, materials.TypeJPEG, materials.TypePNG}

// MaxReason bounds the reason of a decision or an unbinding, in characters.
const MaxReason = 2000

// The permissions of policies/policy.csv that bindings check in the organisation's jurisdiction, and
// the one an applicant needs to ask for a binding.
const (
	bindingObject = "binding"
	actRead       = "read"    // staff: see the requests and bindings of the jurisdiction's organisations
	actReview     = "review"  // staff: approve or refuse requests, end bindings
	actRequest    = "request" // organisation applicants: ask to be bound
)

// Authorizer decides who may do what where: the casbin enforcer.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	Scopes(userID int64, obj, act string) []string
}

// MayReadBindings reports whether the user is staff reading bindings in the jurisdiction.
func MayReadBindings(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, bindingObject, actRead)
}

// MayReviewBindings reports whether the user decides on bindings in the jurisdiction.
func MayReviewBindings(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, bindingObject, actReview)
}

// Problems worded once.
var (
	errBindingExists = problem.New(problem.Conflict, "binding_exists",
		"您已绑定该组织，或已有待审核的绑定申请。", "You already act for this organisation, or a request to do so is waiting.")
	errNotPending = problem.New(problem.Conflict, "not_pending",
		"该申请已处理。", "This request has been dealt with already.")
	errNotActive = problem.New(problem.Conflict, "not_active",
		"该绑定已不再有效。", "This binding is no longer in force.")
	errOrganisationInactive = problem.New(problem.Conflict, "organisation_inactive",
		"该组织已注销或被撤销登记，不能绑定。", "The organisation is deregistered or its registration revoked: it cannot be bound.")
)

func bindingNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// BindRegistrant binds the applicant of registration case c to the organisation o it just entered
// in the register, in the transaction of the decision: whoever registered an organisation acts for
// it from the start.
func BindRegistrant(ctx context.Context, tx bun.IDB, o *Organisation, c *workflow.Case) error {
	caseID := c.ID
	b := &Binding{OrganisationID: o.ID, UserID: c.ApplicantID, How: HowRegistration, Status: BindingActive,
		CaseID: &caseID, CreatedAt: bindingNow()}
	if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
		return fmt.Errorf("binding the applicant of case %s to %s: %w", c.Number, o.USCC, err)
	}
	return recordBinding(ctx, tx, audit.System, "binding.register", b, o, map[string]any{"case_number": c.Number})
}

// recordBinding writes the audit entry of a change to binding b of organisation o.
func recordBinding(ctx context.Context, tx bun.IDB, actor audit.Actor, action string, b *Binding, o *Organisation, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["uscc"], detail["user_id"] = o.USCC, b.UserID
	return audit.Record(ctx, tx, actor, action, "binding", strconv.FormatInt(b.ID, 10), o.Jurisdiction, detail)
}

// RequestBinding files the actor's request to act for the organisation with the credit code, with
// the legal representative's authorisation letter: an upload of the actor's under LetterItem and
// LetterSlot (the same letter may serve a new request after a refusal). An unknown code or letter is an Invalid problem on its field;
// an organisation that is not active, and a binding already pending or active, are conflicts.
func RequestBinding(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, uscc string, letterID int64) (*Binding, error) {
	if actor.UserID == 0 {
		return nil, problem.ErrLoginRequired
	}
	var out *Binding
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		o, err := requestedOrganisation(ctx, tx, actor.UserID, uscc, letterID)
		if err != nil {
			return err
		}
		if !auth.Allowed(actor.UserID, o.Jurisdiction, bindingObject, actRequest) {
			return problem.ErrForbidden
		}
		b := &Binding{OrganisationID: o.ID, UserID: actor.UserID, How: HowRequest, Status: BindingPending,
			LetterID: &letterID, CreatedAt: bindingNow()}
		if _, err := tx.NewInsert().Model(b).Exec(ctx); database.IsUniqueViolation(err) {
			return errBindingExists // a request of the same user racing with this one
		} else if err != nil {
			return fmt.Errorf("requesting a binding to %s: %w", o.USCC, err)
		}
		b.Organisation = o
		out = b
		return recordBinding(ctx, tx, actor, "binding.request", b, o, map[string]any{"letter_id": letterID})
	})
	if err != nil {
		return nil, err
	}
	pub := out.Organisation.Public()
	out.Organisation = &pub
	return out, nil
}

// requestedOrganisation checks a request's credit code and letter and returns the organisation.
func requestedOrganisation(ctx context.Context, tx bun.IDB, userID int64, uscc string, letterID int64) (*Organisation, error) {
	var fe problem.Fields
	uscc = strings.ToUpper(strings.TrimSpace(uscc))
	var o *Organisation
	if uscc == "" {
		fe.Add("uscc", "required", "请填写组织的统一社会信用代码。", "Enter the organisation's unified social credit code.")
	} else if found, err := ByUSCC(ctx, tx, uscc); errors.Is(err, problem.ErrNotFound) {
		fe.Add("uscc", "unknown", "登记信息中没有该统一社会信用代码。", "No organisation on the register has this credit code.")
	} else if err != nil {
		return nil, err
	} else {
		o = found
	}
	var letters int64
	if letterID > 0 {
		n, err := tx.NewSelect().Model((*materials.Material)(nil)).
			Where("id = ? AND owner_id = ? AND item_code = ? AND slot = ?", letterID, userID, LetterItem, LetterSlot).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("checking authorisation letter %d: %w", letterID, err)
		}
		letters = n
	}
	if letters != 1 {
		fe.Add("letter", "required", "请上传法定代表人签署的授权书。", "Upload the authorisation letter signed by the legal representative.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if o.Status != StatusActive {
		return nil, errOrganisationInactive
	}
	standing, err := hasBinding(ctx, tx, o, userID, BindingPending, BindingActive)
	if err != nil {
		return nil, err
	}
	if standing {
		return nil, errBindingExists
	}
	return o, nil
}

// hasBinding reports whether the user has a binding to o in one of the statuses.
func hasBinding(ctx context.Context, db bun.IDB, o *Organisation, userID int64, statuses ...string) (bool, error) {
	n, err := db.NewSelect().Model((*Binding)(nil)).
		Where("organisation_id = ? AND user_id = ? AND status IN (?)", o.ID, userID, bun.List(statuses)).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("looking for bindings of user %d to %s: %w", userID, o.USCC, err)
	}
	return n > 0, nil
}

// BoundUsers returns the users who act for the organisation (an active binding), the first bound
// first: whom a notice about the organisation reaches.
func BoundUsers(ctx context.Context, db bun.IDB, organisationID int64) ([]int64, error) {
	var ids []int64
	err := db.NewSelect().Model((*Binding)(nil)).Column("user_id").
		Where("organisation_id = ? AND status = ?", organisationID, BindingActive).OrderExpr("id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("reading the users bound to organisation %d: %w", organisationID, err)
	}
	return ids, nil
}

// loadBinding reads binding id with its organisation, or problem.ErrNotFound.
func loadBinding(ctx context.Context, db bun.IDB, id int64) (*Binding, error) {
	b := new(Binding)
	err := db.NewSelect().Model(b).Relation("Organisation").Where("b.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading binding %d: %w", id, err)
	}
	return b, nil
}

// VisibleBinding returns binding id as the user may see it: its own, or staff reading bindings in the
// organisation's jurisdiction; anybody else's is problem.ErrNotFound, like one that does not exist.
// The organisation is shown as the public register shows it.
func VisibleBinding(ctx context.Context, db bun.IDB, auth Authorizer, userID, id int64) (*Binding, error) {
	b, err := loadBinding(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if b.UserID != userID && !MayReadBindings(auth, userID, b.Organisation.Jurisdiction) {
		return nil, problem.ErrNotFound
	}
	pub := b.Organisation.Public()
	b.Organisation = &pub
	return b, nil
}

// Letter returns the authorisation letter of binding b (one from VisibleBinding), or
// problem.ErrNotFound for a binding without one. A read by anyone but the applicant is audited.
func Letter(ctx context.Context, db bun.IDB, actor audit.Actor, b *Binding) (*materials.Material, error) {
	if b.LetterID == nil {
		return nil, problem.ErrNotFound
	}
	m, err := materials.Get(ctx, db, *b.LetterID)
	if err != nil {
		return nil, err
	}
	if actor.UserID != b.UserID {
		err := audit.RecordRead(ctx, db, actor, "material.download", "material", strconv.FormatInt(m.ID, 10), b.Organisation.Jurisdiction,
			map[string]any{"binding_id": b.ID, "slot": m.Slot})
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// decide runs fn over binding id in a transaction, after checking that the actor may see it (else
// problem.ErrNotFound) and may review bindings in the organisation's jurisdiction (else Forbidden).
// The applicant itself passes as reviewer of its own binding when self is true.
func decide(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, self bool,
	fn func(tx bun.Tx, b *Binding, staff bool, t time.Time) error) (*Binding, error) {
	var out *Binding
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		b, err := loadBinding(ctx, tx, id)
		if err != nil {
			return err
		}
		own := actor.UserID != 0 && b.UserID == actor.UserID
		if !own && !MayReadBindings(auth, actor.UserID, b.Organisation.Jurisdiction) {
			return problem.ErrNotFound
		}
		staff := !own && MayReviewBindings(auth, actor.UserID, b.Organisation.Jurisdiction)
		if !staff && !(own && self) {
			return problem.ErrForbidden
		}
		if err := fn(tx, b, staff, bindingNow()); err != nil {
			return err
		}
		out = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	pub := out.Organisation.Public()
	out.Organisation = &pub
	return out, nil
}

// updateBinding writes b's changed columns while its status is still from; a concurrent decision
// that got there first makes it a conflict.
func updateBinding(ctx context.Context, tx bun.Tx, b *Binding, from string, columns ...string) error {
	res, err := tx.NewUpdate().Model(b).Column(columns...).Where("id = ? AND status = ?", b.ID, from).Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating binding %d: %w", b.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return problem.New(problem.Conflict, "stale", "该申请刚被他人处理，请刷新后重试。",
			"Someone else dealt with this just now; reload and try again.")
	}
	return nil
}

// checkReason trims a reason and checks it, required or not: a reason may run over several lines.
func checkReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	var fe problem.Fields
	checkText(&fe, "reason", strings.NewReplacer("\r\n", " ", "\n", " ").Replace(reason), required, MaxReason)
	return reason, fe.Err()
}

// ApproveBinding binds the applicant of pending request id: staff reviewing bindings in the
// organisation's jurisdiction, while the organisation is active. The reason is optional; the
// applicant is notified.
func ApproveBinding(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, reason string) (*Binding, error) {
	return decideRequest(ctx, db, auth, actor, id, reason, true)
}

// RefuseBinding refuses pending request id with a reason, which is required; the applicant is notified.
func RefuseBinding(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, reason string) (*Binding, error) {
	return decideRequest(ctx, db, auth, actor, id, reason, false)
}

func decideRequest(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, reason string, approve bool) (*Binding, error) {
	reason, err := checkReason(reason, !approve)
	if err != nil {
		return nil, err
	}
	return decide(ctx, db, auth, actor, id, false, func(tx bun.Tx, b *Binding, _ bool, t time.Time) error {
		if b.Status != BindingPending {
			return errNotPending
		}
		if approve && b.Organisation.Status != StatusActive {
			return errOrganisationInactive
		}
		b.Status, b.DecidedAt, b.DecidedBy, b.DecisionReason = BindingRefused, &t, &actor.UserID, reason
		action, template := "binding.refuse", "binding_refused"
		if approve {
			b.Status, action, template = BindingActive, "binding.approve", "binding_approved"
		}
		if err := updateBinding(ctx, tx, b, BindingPending, "status", "decided_at", "decided_by", "decision_reason"); err != nil {
			return err
		}
		if err := notifyApplicant(ctx, tx, b, template, reason); err != nil {
			return err
		}
		return recordBinding(ctx, tx, actor, action, b, b.Organisation, map[string]any{"reason": reason})
	})
}

// notifyApplicant tells the binding's applicant what happened to it, in tx.
func notifyApplicant(ctx context.Context, tx bun.IDB, b *Binding, template, reason string) error {
	return notify.Send(ctx, tx, notify.Message{UserID: b.UserID, Template: template, Data: map[string]any{
		"organisation": b.Organisation.Name, "uscc": b.Organisation.USCC, "reason": reason, "path": "/account/organisations"}})
}

// Unbind ends binding id. The applicant may end its own active binding, or withdraw its pending
// request, giving a reason or none; staff reviewing bindings in the organisation's jurisdiction end
// an active binding with a reason, which is required, and the applicant is notified.
func Unbind(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, id int64, reason string) (*Binding, error) {
	reason, err := checkReason(reason, false)
	if err != nil {
		return nil, err
	}
	return decide(ctx, db, auth, actor, id, true, func(tx bun.Tx, b *Binding, staff bool, t time.Time) error {
		if staff && reason == "" {
			var fe problem.Fields
			fe.Add("reason", "required", "请说明解除绑定的理由。", "Say why the binding ends.")
			return fe.Err()
		}
		from := b.Status
		switch {
		case from == BindingPending && !staff:
			b.Status, b.DecidedAt, b.DecidedBy, b.DecisionReason = BindingWithdrawn, &t, &actor.UserID, reason
			if err := updateBinding(ctx, tx, b, from, "status", "decided_at", "decided_by", "decision_reason"); err != nil {
				return err
			}
			return recordBinding(ctx, tx, actor, "binding.withdraw", b, b.Organisation, map[string]any{"reason": reason})
		case from != BindingActive:
			return errNotActive
		}
		b.Status, b.EndedAt, b.EndedBy, b.EndReason = BindingEnded, &t, &actor.UserID, reason
		if err := updateBinding(ctx, tx, b, from, "status", "ended_at", "ended_by", "end_reason"); err != nil {
			return err
		}
		if staff {
			if err := notifyApplicant(ctx, tx, b, "binding_ended", reason); err != nil {
				return err
			}
		}
		return recordBinding(ctx, tx, actor, "binding.end", b, b.Organisation, map[string]any{"reason": reason})
	})
}

// publicOrganisations replaces the organisations of bs by what the public register shows of them.
func publicOrganisations(bs []Binding) []Binding {
	for i := range bs {
		if o := bs[i].Organisation; o != nil {
			pub := o.Public()
			bs[i].Organisation = &pub
		}
	}
	return bs
}

// BindingsOf lists the user's bindings and requests, every status, the newest first.
func BindingsOf(ctx context.Context, db bun.IDB, userID int64) ([]Binding, error) {
	out := []Binding{}
	if err := db.NewSelect().Model(&out).Relation("Organisation").Where("b.user_id = ?", userID).OrderExpr("b.id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the bindings of user %d: %w", userID, err)
	}
	return publicOrganisations(out), nil
}

// MaxListed bounds a staff list of bindings.
const MaxListed = 200

// BindingsToReview lists the bindings of the given status (BindingPending for the requests waiting)
// of organisations in the jurisdictions where the user reads bindings, the oldest first, at most
// MaxListed. An unknown status is an Invalid problem on "status".
func BindingsToReview(ctx context.Context, db bun.IDB, auth Authorizer, userID int64, status string) ([]Binding, error) {
	if !slices.Contains(BindingStatuses, status) {
		var fe problem.Fields
		fe.Add("status", "invalid", "没有该状态。", "There is no such status.")
		return nil, fe.Err()
	}
	out := []Binding{}
	scopes := auth.Scopes(userID, bindingObject, actRead)
	if len(scopes) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("organisation.jurisdiction", scopes)
	err := db.NewSelect().Model(&out).Relation("Organisation").Where("b.status = ?", status).Where(where, args...).
		OrderExpr("b.id").Limit(MaxListed).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing %s bindings for user %d: %w", status, userID, err)
	}
	return publicOrganisations(out), nil
}

// errNotBound is the answer of CheckBound to an applicant who does not act for the organisation.
func errNotBound(zh, en string) error {
	var fe problem.Fields
	fe.Add("uscc", "not_bound", zh, en)
	return fe.Err()
}

// CheckBound is the workflow.BoundCheck of procedures about an existing organisation (an item with
// about: organisation): the applicant must hold an active binding to the active organisation with
// the credit code, registered for as many full years as the item asks; and the case goes to the
// organisation's registration authority, jurisdiction (empty where no case is filed yet: the
// prefill). Anything else is an Invalid problem on the form's uscc field, or on jurisdiction: filed
// elsewhere, another authority's staff would review, and decide, what is not theirs (its annual
// report, its removal from a credit list).
func CheckBound(ctx context.Context, tx bun.IDB, item *catalog.Item, applicantID int64, uscc, jurisdiction string) error {
	o, err := ByUSCC(ctx, tx, uscc)
	if errors.Is(err, problem.ErrNotFound) {
		return errNotBound("登记信息中没有该统一社会信用代码。", "No organisation on the register has this credit code.")
	}
	if err != nil {
		return err
	}
	if o.Status != StatusActive {
		return errNotBound("该组织已注销或被撤销登记。", "The organisation is deregistered or its registration revoked.")
	}
	bound, err := hasBinding(ctx, tx, o, applicantID, BindingActive)
	if err != nil {
		return err
	}
	if !bound {
		return errNotBound("您尚未绑定该组织：请先在“我的组织”中申请绑定。",
			"You do not act for this organisation: ask to be bound to it under “My organisations” first.")
	}
	if jurisdiction != "" && jurisdiction != o.Jurisdiction {
		var fe problem.Fields
		fe.Add("jurisdiction", "other_authority", "该组织不由所选机关登记，请选择其登记管理机关（"+o.Jurisdiction+"）。",
			"Another authority registered this organisation: choose its registration authority ("+o.Jurisdiction+").")
		return fe.Err()
	}
	return checkRegisteredYears(o, item, time.Now())
}
