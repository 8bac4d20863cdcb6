package workflow

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Assignment (承办人): an approver of a case's jurisdiction names the reviewer who handles it, and
// may name another with a reason. It guides the work and stops nobody: every reviewer of the
// jurisdiction still takes the case's actions (the case page warns those it is not assigned to).
// Each assignment is an event of the case's hash chain, so it bumps the version like an action.

// EventAssign is the action of the events that record an assignment; the views of the case's
// people leave these events out, as staff work.
const EventAssign = "assign"

// MaxAssignReasonLength is the longest reason for a reassignment, in characters.
const MaxAssignReasonLength = 500

// AssignRequest names the reviewer to handle a case.
type AssignRequest struct {
	AssigneeID int64 `json:"assignee_id"`
	// Reason is required when the case is already assigned to somebody else.
	Reason string `json:"reason"`
	// ExpectedVersion is the version of the case the approver saw: of two approvers assigning at
	// once, the second gets the stale_version conflict rather than replacing an assignment unseen.
	ExpectedVersion int64 `json:"expected_version"`
}

// Reviewer is someone a case can be assigned to.
type Reviewer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

var errCaseClosed = problem.New(problem.Conflict, "case_closed",
	"该申请已办结，不能再分配承办人。", "The case is closed; it can no longer be assigned.")

// Reviewers lists whom the viewer may assign the case to, by name: the holders of the reviewer
// role in a grant covering its jurisdiction, except disabled accounts and the case's own people.
// A viewer who may not assign the case gets problem.ErrForbidden (problem.ErrNotFound when it may
// not even read it).
func (e *Engine) Reviewers(ctx context.Context, viewer audit.Actor, caseID int64) ([]Reviewer, error) {
	c, err := e.caseToAssign(ctx, viewer, caseID)
	if err != nil {
		return nil, err
	}
	return e.reviewersOf(ctx, c)
}

// caseToAssign loads the case for an approver who may assign it.
func (e *Engine) caseToAssign(ctx context.Context, actor audit.Actor, caseID int64) (*Case, error) {
	c, err := e.readableCase(ctx, actor, caseID)
	if err != nil {
		return nil, err
	}
	if c.isParty(actor.UserID) || !e.enf.Allowed(actor.UserID, c.Jurisdiction, "case", "assign") {
		return nil, problem.ErrForbidden
	}
	return c, nil
}

func (e *Engine) reviewersOf(ctx context.Context, c *Case) ([]Reviewer, error) {
	grants, err := e.enf.AllGrants(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, g := range grants {
		if g.Role == policies.Reviewer && policies.Covers(g.Pattern, c.Jurisdiction) && !c.isParty(g.UserID) &&
			!slices.Contains(ids, g.UserID) {
			ids = append(ids, g.UserID)
		}
	}
	out := []Reviewer{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []accounts.User
	err = e.db.NewSelect().Model(&users).Column("id", "login", "display_name").
		Where("id IN (?)", bun.List(ids)).Where("NOT disabled").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the reviewers of case %d: %w", c.ID, err)
	}
	for _, u := range users {
		out = append(out, Reviewer{ID: u.ID, Name: u.Name()})
	}
	slices.SortFunc(out, func(a, b Reviewer) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// Assign makes req.AssigneeID the case's assignee, for an approver of its jurisdiction. The checks
// come in this order: the actor may not read the case (problem.ErrNotFound); may not assign it
// (problem.ErrForbidden: not an approver there, or one of the case's people); req.ExpectedVersion is
// not the case's version (Conflict stale_version, as for actions); the case is closed (Conflict
// case_closed); then one Invalid problem with every field error: the assignee is missing, already
// the assignee, or not one of Reviewers; a reassignment without a reason, or a reason too long.
//
// One transaction stores the assignee while it claims the version (writeCase), appends an "assign" event (changes:
// assignee, and previous on a reassignment; comment: the reason), writes the audit row case.assign
// and notifies the new assignee and the previous one.
func (e *Engine) Assign(ctx context.Context, actor audit.Actor, caseID int64, req AssignRequest) (*Case, error) {
	c, err := e.caseToAssign(ctx, actor, caseID)
	if err != nil {
		return nil, err
	}
	if req.ExpectedVersion != c.Version {
		return nil, staleVersion(c.State, c.Version)
	}
	if c.ClosedAt != nil {
		return nil, errCaseClosed
	}
	reviewers, err := e.reviewersOf(ctx, c)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.Reason)
	if err := checkAssignment(c, req.AssigneeID, reason, reviewers); err != nil {
		return nil, err
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	now := e.now()
	next := *c
	next.Version, next.UpdatedAt, next.AssigneeID = c.Version+1, now, &req.AssigneeID
	changes := map[string]any{"assignee": req.AssigneeID}
	detail := map[string]any{"number": c.Number, "assignee": req.AssigneeID}
	if c.AssigneeID != nil {
		changes["previous"], detail["previous"], detail["reason"] = *c.AssigneeID, *c.AssigneeID, reason
	}
	data := noticeData(c, item, nil, reason)
	data["assignee_name"] = reviewerName(reviewers, req.AssigneeID)
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ev := &Event{CaseID: c.ID, At: now, ActorUserID: userRef(actor), Actor: actorLabel(actor), Action: EventAssign,
			From: c.State, To: c.State, Comment: reason, Changes: changes}
		if err := writeCase(ctx, tx, c, &next, []string{"assignee_id", "updated_at"}, ev); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "case.assign", "case", strconv.FormatInt(c.ID, 10), c.Jurisdiction, detail); err != nil {
			return err
		}
		if err := notify.Send(ctx, tx, notify.Message{UserID: req.AssigneeID, Template: "case_assigned", Data: data}); err != nil {
			return err
		}
		if c.AssigneeID == nil {
			return nil
		}
		return notify.Send(ctx, tx, notify.Message{UserID: *c.AssigneeID, Template: "case_reassigned", Data: data})
	})
	if err != nil {
		err = e.staleIfOvertaken(ctx, c, err)
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("assigning case %d to user %d: %w", c.ID, req.AssigneeID, err)
	}
	next.hideQueryCode(actor.UserID)
	return &next, nil
}

// checkAssignment checks the assignee and the reason of an assignment of c.
func checkAssignment(c *Case, assignee int64, reason string, reviewers []Reviewer) error {
	var fe problem.Fields
	switch {
	case assignee <= 0:
		fe.Add("assignee_id", "required", "请选择承办人。", "Choose the reviewer to handle the case.")
	case c.AssigneeID != nil && *c.AssigneeID == assignee:
		fe.Add("assignee_id", "unchanged", "该申请已由此人承办。", "The case is already assigned to this person.")
	case !slices.ContainsFunc(reviewers, func(r Reviewer) bool { return r.ID == assignee }):
		fe.Add("assignee_id", "not_reviewer", "承办人须为本辖区的审查人员。", "Choose a reviewer of the case's jurisdiction.")
	}
	switch {
	case c.AssigneeID != nil && reason == "":
		fe.Add("reason", "required", "改派承办人须说明理由。", "Give the reason for assigning the case to someone else.")
	case utf8.RuneCountInString(reason) > MaxAssignReasonLength:
		fe.Add("reason", "too_long", fmt.Sprintf("理由不能超过 %d 个字。", MaxAssignReasonLength),
			fmt.Sprintf("The reason may be at most %d characters long.", MaxAssignReasonLength))
	}
	return fe.Err()
}

func reviewerName(reviewers []Reviewer, id int64) string {
	for _, r := range reviewers {
		if r.ID == id {
			return r.Name
		}
	}
	return ""
}
