package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/statistics/closed"
)

// clone copies the case deeply enough that changing the copy's maps leaves the original alone.
func (c *Case) clone() *Case {
	n := *c
	n.Data = maps.Clone(c.Data)
	if n.Data == nil {
		n.Data = map[string]any{}
	}
	n.Fields = maps.Clone(c.Fields)
	if n.Fields == nil {
		n.Fields = map[string]any{}
	}
	n.Cosign = make(map[string][]int64, len(c.Cosign))
	for k, v := range c.Cosign {
		n.Cosign[k] = slices.Clone(v)
	}
	if c.Supplement != nil {
		s := *c.Supplement
		s.Items = slices.Clone(s.Items)
		n.Supplement = &s
	}
	return &n
}

// commitIn writes the action in one transaction and returns the case after it. first, when not nil,
// runs first in the transaction (a timer's claim, the caller's WithinApply): an error from it rolls
// everything back and is returned as it is.
func (e *Engine) commitIn(ctx context.Context, actor audit.Actor, c *Case, item *catalog.Item, a *catalog.Action,
	comment string, ch *change, now time.Time, first func(context.Context, bun.Tx) error) (*Case, error) {
	next := c.clone()
	next.Version = c.Version + 1
	next.UpdatedAt = now
	changes := map[string]any{}
	eventAction := a.ID
	complete := sign(c, next, a, actor, ch, changes)
	if !complete {
		eventAction = "cosign"
	}
	to := a.To
	if a.Kind == catalog.KindExtend {
		to = c.State // an extension leaves the case where it is
	}
	var recipients map[string][]int64
	var sched *calendar.Schedule
	if complete {
		if item.DeemsAccepted(a) {
			// 行政许可法 art. 32: accepted from the day the materials arrived, when the case entered
			// the state it leaves, not from the timer's day.
			changes[AcceptedOnChange] = calendar.DateOf(c.StateEnteredAt).String()
		}
		advance(next, c, item, a, ch, to, now, changes)
		var err error
		if recipients, sched, err = e.readBeforeCommit(ctx, item, a, c, to); err != nil {
			return nil, err
		}
	}
	if len(next.Cosign) == 0 {
		next.Cosign = nil
	}

	err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var issues []CompleteIssue
		if first != nil {
			if err := first(ctx, tx); err != nil {
				return err
			}
		}
		if complete {
			if err := linkData(ctx, tx, c, next, ch); err != nil {
				return err
			}
			// Files the actor attached in the action's own fields (the information a reply discloses).
			if err := linkUploads(ctx, tx, actor.UserID, next, a.Fields, ch.fields, "fields."); err != nil {
				return err
			}
			if err := e.reckonClocks(ctx, tx, sched, c.State, next, item, a, ch, now, changes); err != nil {
				return err
			}
			var err error
			if issues, err = e.runEffects(ctx, tx, actor, next, item, a, comment, recipients, changes, now); err != nil {
				return err
			}
		}
		next.setSubject(item) // after the effects, which may have registered the organisation
		if next.OrgName != c.OrgName {
			if err := indexName(ctx, tx, next); err != nil {
				return err
			}
		}
		if err := completeIssues(ctx, tx, issues, changes); err != nil {
			return err
		}
		ev := &Event{CaseID: c.ID, At: now, ActorUserID: userRef(actor), Actor: actorLabel(actor), Action: eventAction,
			From: c.State, To: next.State, Comment: comment, Changes: changes}
		if err := writeCase(ctx, tx, c, next, caseColumns(complete && ch.data != nil), ev); err != nil {
			return err
		}
		return countIfClosed(ctx, tx, c, next)
	})
	if err != nil {
		err = e.staleIfOvertaken(ctx, c, err)
		if _, ok := problem.As(err); ok || errors.Is(err, errTimerGone) {
			return nil, err
		}
		return nil, fmt.Errorf("taking action %s on case %d: %w", a.ID, c.ID, err)
	}
	return next, nil
}

// sign records the actor's signature of a co-signed action in changes and reports whether the
// action is complete: at once for an action without co-signing, else with its last signature. Short
// of that, next keeps the signatures and the event records the fields given.
func sign(c, next *Case, a *catalog.Action, actor audit.Actor, ch *change, changes map[string]any) bool {
	if a.Cosign <= 1 {
		return true
	}
	signers := append(slices.Clone(c.Cosign[a.ID]), actor.UserID)
	changes["cosign"] = map[string]any{"action": a.ID, "signed": signers, "required": a.Cosign}
	if len(signers) >= a.Cosign {
		return true
	}
	next.Cosign[a.ID] = signers
	if len(ch.fields) > 0 {
		changes["fields"] = ch.fields
	}
	return false
}

// advance puts the complete action's change on next and moves it to state to: signatures belong to
// the state they were given in, and a final state closes the case.
func advance(next, c *Case, item *catalog.Item, a *catalog.Action, ch *change, to string, now time.Time,
	changes map[string]any) {
	applyChange(next, ch, changes)
	if to != c.State && ch.supplement == nil {
		// The 补正 notice is open while the case waits for its answer: leaving that state by any
		// other way than the answer (a withdrawal, a timer, staff recording an answer received on
		// paper) ends it too.
		next.Supplement = nil
	}
	if to != c.State {
		next.State = to
		next.StateEnteredAt = now
		next.Cosign = map[string][]int64{}
	} else {
		delete(next.Cosign, a.ID)
	}
	if st, ok := item.State(next.State); ok && st.Final {
		next.ClosedAt, next.Outcome = &now, st.Outcome
	}
}

// readBeforeCommit reads what the action's transaction needs from other tables: the holders of the
// roles it notifies and, when it reckons dates, the jurisdiction's calendar. It runs before the
// transaction: on SQLite a read on another connection while holding the write lock could wait for a
// connection held by a transaction queued behind this one.
func (e *Engine) readBeforeCommit(ctx context.Context, item *catalog.Item, a *catalog.Action, c *Case,
	to string) (map[string][]int64, *calendar.Schedule, error) {
	recipients, err := e.roleRecipients(ctx, a, c.Jurisdiction)
	if err != nil {
		return nil, nil, err
	}
	if !needsDates(item, a, c.State, to) {
		return recipients, nil, nil
	}
	sched, err := e.schedule(ctx, item, c.Jurisdiction)
	if err != nil {
		return nil, nil, err
	}
	return recipients, sched, nil
}

// reckonClocks does to the case's clocks and timers what the complete action does, in tx: an extension
// lengthens its clock; a move out of state from moves them (moveClocks).
func (e *Engine) reckonClocks(ctx context.Context, tx bun.Tx, sched *calendar.Schedule, from string, next *Case,
	item *catalog.Item, a *catalog.Action, ch *change, now time.Time, changes map[string]any) error {
	switch {
	case a.Kind == catalog.KindExtend:
		reason, _ := ch.fields["reason"].(string)
		return e.extendClock(ctx, tx, sched, next, item, a, ch.days, reason, changes)
	case next.State != from:
		return e.moveClocks(ctx, tx, sched, next, item, from, next.State, now, ch.timerDue, changes)
	}
	return nil
}

// linkData links the materials of the data the action brings (a submission or a resubmission) to the
// case and deletes the applicant's draft of it, in tx.
func linkData(ctx context.Context, tx bun.Tx, c, next *Case, ch *change) error {
	if ch.data == nil {
		return nil
	}
	if err := linkMaterials(ctx, tx, next, ch.formDef, ch.data, "data."); err != nil {
		return err
	}
	return deleteDraft(ctx, tx, c.ApplicantID, c.ItemCode, c.ID)
}

// caseColumns are the columns of the case row an action writes besides its version and the head
// of its chain: the application's data, which is large, only when withData says it changed.
func caseColumns(withData bool) []string {
	columns := []string{"state", "fields", "supplement", "cosign", "outcome", "updated_at",
		"state_entered_at", "closed_at", "org_name", "credit_code"}
	if withData {
		columns = append(columns, "data")
	}
	return columns
}

// countIfClosed adds the case to the statistics of closed cases when the change closed it (c before
// it, next after), in tx. Nothing changes a closed case afterwards: no action leaves a final state.
// It comes after the case's version is claimed, so that a change that loses a race locks no row of
// statistics_closed, where the closings of a jurisdiction, item and month queue.
func countIfClosed(ctx context.Context, tx bun.Tx, c, next *Case) error {
	if c.ClosedAt != nil || next.ClosedAt == nil {
		return nil
	}
	return closed.Add(ctx, tx, next.ID, next.CreatedAt)
}

// writeCase writes the case row after a change (its columns from next) and the change's event, in
// tx. c is the case as the change was prepared on: one UPDATE … WHERE version = c.Version claims the
// next version and moves the head of the chain to ev, so that of concurrent changes prepared on the
// same version exactly one writes and the others get stale_version; then the event goes in. Since
// the version counts the events and the row keeps the last hash, nothing is read to link ev.
func writeCase(ctx context.Context, tx bun.Tx, c, next *Case, columns []string, ev *Event) error {
	if err := linkEvent(ev, int(c.Version)+1, c.LastHash); err != nil {
		return err
	}
	next.Version, next.LastHash = c.Version+1, ev.Hash
	res, err := tx.NewUpdate().Model(next).Column(append(columns, "version", "last_hash")...).
		Where("id = ? AND version = ?", c.ID, c.Version).Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating case %d from version %d: %w", c.ID, c.Version, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return currentStale(ctx, tx, c.ID)
	}
	return insertEvent(ctx, tx, ev)
}

// staleIfOvertaken returns stale_version instead of err, the failure of a change prepared on case c,
// when another change of the case committed meanwhile: a change claims its version only with its
// last write, so one that lost a race may first fail on something the winner wrote (the document
// number the winner just took, say), and its caller must hear that the case moved on.
func (e *Engine) staleIfOvertaken(ctx context.Context, c *Case, err error) error {
	if p, ok := problem.As(err); ok && p.Code == "stale_version" {
		return err
	}
	state, version, rerr := caseVersion(ctx, e.db, c.ID)
	if rerr != nil {
		return err
	}
	// A deadlock (a timer taking its timer row first while a person's action on the case moves its
	// clocks, say) ends this change while the other goes on to commit: the answer is stale_version, to
	// be tried again on the case as it then is, not a 500, even though the version has not moved yet.
	if version == c.Version && !database.IsDeadlock(err) {
		return err
	}
	return staleVersion(state, version)
}

// currentStale reads the case's state and version as they are now, for the stale_version answer.
func currentStale(ctx context.Context, db bun.IDB, id int64) error {
	state, version, err := caseVersion(ctx, db, id)
	if err != nil {
		return err
	}
	return staleVersion(state, version)
}

// caseVersion reads the case's state and version as they are now.
func caseVersion(ctx context.Context, db bun.IDB, id int64) (string, int64, error) {
	var state string
	var version int64
	err := db.NewSelect().Model((*Case)(nil)).Column("state", "version").Where("id = ?", id).Scan(ctx, &state, &version)
	if err != nil {
		return "", 0, fmt.Errorf("reading the version of case %d: %w", id, err)
	}
	return state, version, nil
}

// applyChange puts the validated change on the case and records it in the event's changes.
func applyChange(next *Case, ch *change, changes map[string]any) {
	if len(ch.fields) > 0 {
		maps.Copy(next.Fields, ch.fields)
		changes["fields"] = ch.fields
	}
	if ch.form != "" && ch.data != nil {
		next.Data[ch.form] = ch.data
		changes["form"] = ch.form
		if ch.answered {
			changes["data"] = ch.dataPaths
		}
		if len(ch.warnings) > 0 {
			changes["warnings"] = fieldList(ch.warnings)
		}
	}
	if ch.supplement != nil {
		next.Supplement = ch.supplement
		changes["supplement"] = ch.supplement.Items
	}
	if ch.answered {
		next.Supplement = nil
	}
}

// roleRecipients finds, when the action notifies a role, the users holding each role in a grant
// that covers the jurisdiction.
func (e *Engine) roleRecipients(ctx context.Context, a *catalog.Action, jurisdiction string) (map[string][]int64, error) {
	need := slices.ContainsFunc(a.Effects, func(ef catalog.Effect) bool {
		return ef.Notify != nil && ef.Notify.To != catalog.Applicant
	})
	if !need {
		return nil, nil
	}
	grants, err := e.enf.AllGrants(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]int64{}
	for _, g := range grants {
		if !policies.Covers(g.Pattern, jurisdiction) {
			continue
		}
		ids := out[g.Role]
		if len(ids) == 0 || ids[len(ids)-1] != g.UserID { // AllGrants orders by user
			out[g.Role] = append(ids, g.UserID)
		}
	}
	return out, nil
}

// runEffects runs the action's effects in the definition's order, in tx: notify writes outbox rows,
// set stores computed fields, run calls a registered EffectFunc, issue prepares a document. It returns
// the documents prepared for completeIssues, but completes those before a run effect itself, since
// that may read them (a 双公示 entry takes its decision number from the document issued before it).
func (e *Engine) runEffects(ctx context.Context, tx bun.Tx, actor audit.Actor, next *Case, item *catalog.Item,
	a *catalog.Action, comment string, recipients map[string][]int64, changes map[string]any, now time.Time) ([]CompleteIssue, error) {
	noteComment := noticeComment(next, a, comment)
	var issues []CompleteIssue
	for i, ef := range a.Effects {
		var err error
		switch {
		case ef.Notify != nil:
			err = notifyEffect(ctx, tx, next, item, a, ef.Notify, noteComment, recipients)
		case len(ef.Set) > 0:
			err = e.setEffect(actor, next, item, a, i, ef.Set, changes, now)
		case ef.Run != "":
			if err = completeIssues(ctx, tx, issues, changes); err == nil {
				issues = nil
				err = e.runEffect(ctx, tx, next, item, a, ef.Run, changes)
			}
		case ef.Issue != "":
			var complete CompleteIssue
			if complete, err = e.issue()(ctx, tx, next, item, a, ef.Issue, now); err == nil {
				issues = append(issues, complete)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return issues, nil
}

// completeIssues completes the documents the effects prepared, in their order, and records their
// numbers in changes. It runs before the case row, its event and the statistics (see IssueFunc).
func completeIssues(ctx context.Context, tx bun.Tx, issues []CompleteIssue, changes map[string]any) error {
	for _, complete := range issues {
		d, err := complete(ctx, tx)
		if err != nil {
			return err
		}
		changes["documents"] = append(asStrings(changes["documents"]), d.Number)
	}
	return nil
}

// noticeComment is the comment the action's notices show: for a refusal the applicant must read the
// reason, for anything else the actor's comment.
func noticeComment(next *Case, a *catalog.Action, comment string) string {
	if r, ok := next.Fields["reason"].(string); ok && r != "" && a.Kind == catalog.KindRefuse {
		return r
	}
	return comment
}

// notifyEffect writes the outbox rows of a notify effect, in tx: to the applicant and the other
// parties, or to the holders of a role in the case's jurisdiction (recipients, by role).
func notifyEffect(ctx context.Context, tx bun.Tx, next *Case, item *catalog.Item, a *catalog.Action, n *catalog.NotifyEffect,
	comment string, recipients map[string][]int64) error {
	users := recipients[n.To]
	if n.To == catalog.Applicant {
		users = next.people()
	} else if len(users) == 0 {
		slog.WarnContext(ctx, "workflow: nobody holds the role to notify", "case", next.ID, "action", a.ID,
			"role", n.To, "jurisdiction", next.Jurisdiction)
	}
	data := noticeData(next, item, a, comment)
	data["fields"] = maps.Clone(next.Fields)
	if n.To == catalog.Applicant {
		data["fields"] = PublicFields(next.Fields, item)
		data["query_code"] = next.QueryCode // the people's own: progress lookup without logging in
		if a.Internal {
			data["comment"] = "" // staff work the applicant does not see
		}
	}
	if s := next.Supplement; s != nil {
		data["notice"], data["items"] = s.Notice, s.Items
	}
	for _, uid := range users {
		if err := notify.Send(ctx, tx, notify.Message{UserID: uid, Template: n.Template, Data: data}); err != nil {
			return err
		}
	}
	return nil
}

// setEffect computes the fields of the i-th effect of the action, a set effect, in name order, stores
// them on next and records them in changes.
func (e *Engine) setEffect(actor audit.Actor, next *Case, item *catalog.Item, a *catalog.Action, i int,
	set map[string]string, changes map[string]any, now time.Time) error {
	done := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		key := item.Hash + "\x00set\x00" + a.ID + "\x00" + strconv.Itoa(i) + "\x00" + name
		p, err := e.program(key, set[name], catalog.CompileValue)
		if err != nil {
			return err
		}
		v, err := catalog.Run(p, e.env(actor, next, now))
		if err != nil {
			return fmt.Errorf("item %s action %s: computing %s: %w", item.Code, a.ID, name, err)
		}
		next.Fields[name] = storedValue(v)
		done[name] = next.Fields[name]
	}
	mergeInto(changes, "set", done)
	return nil
}

// runEffect calls the EffectFunc registered as name, in tx, and records it in changes.
func (e *Engine) runEffect(ctx context.Context, tx bun.Tx, next *Case, item *catalog.Item, a *catalog.Action, name string,
	changes map[string]any) error {
	fn := e.effect(name)
	if fn == nil {
		return fmt.Errorf("item %s action %s: effect %q is not registered with the engine", item.Code, a.ID, name)
	}
	if err := fn(ctx, tx, next, item); err != nil {
		if _, ok := problem.As(err); ok {
			return err
		}
		return fmt.Errorf("effect %s: %w", name, err)
	}
	changes["ran"] = append(asStrings(changes["ran"]), name)
	return nil
}

// mergeInto adds the entries of m to the map changes[key].
func mergeInto(changes map[string]any, key string, m map[string]any) {
	prev, _ := changes[key].(map[string]any)
	if prev == nil {
		prev = map[string]any{}
	}
	maps.Copy(prev, m)
	changes[key] = prev
}

func asStrings(v any) []string {
	s, _ := v.([]string)
	return s
}

// issueDocument is what an engine without an issuer (SetIssuer) does for an issue effect: it records
// a document of kind for the case, numbered <kind>-<case number> (with -2, -3… when the case gets a
// second of the kind), with what certificates and notices are printed from, and renders nothing.
func issueDocument(_ context.Context, _ bun.Tx, c *Case, item *catalog.Item, a *catalog.Action, kind string,
	now time.Time) (CompleteIssue, error) {
	data := map[string]any{
		"case_number": c.Number, "item_code": c.ItemCode, "version_hash": c.VersionHash,
		"jurisdiction": c.Jurisdiction, "applicant_id": c.ApplicantID, "state": c.State,
		"fields": PublicFields(c.Fields, item), // documents go to the applicant: no internal staff work
	}
	if dn, ok := c.Fields["decision_number"]; ok {
		data["decision_number"] = dn
	}
	if s := c.Supplement; s != nil {
		data["supplement"] = map[string]any{"notice": s.Notice, "items": s.Items}
	}
	return func(ctx context.Context, tx bun.Tx) (*Document, error) {
		n, err := tx.NewSelect().Model((*Document)(nil)).Where("case_id = ? AND kind = ?", c.ID, kind).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("counting documents %s of case %d: %w", kind, c.ID, err)
		}
		number := kind + "-" + c.Number
		if n > 0 {
			number += "-" + strconv.Itoa(int(n)+1)
		}
		d := &Document{CaseID: c.ID, Kind: kind, Action: a.ID, Number: number, IssuedAt: now, Status: DocumentValid, Data: data}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return nil, fmt.Errorf("issuing %s for case %d: %w", number, c.ID, err)
		}
		return d, nil
	}, nil
}
