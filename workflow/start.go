package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/sequences"
)

// ReceivedTemplate is the notification an applicant gets when a case starts, if the notify package
// has it; the definitions' notify effects name every other notification.
const ReceivedTemplate = "case_submitted"

// Problems of Start for items booked at a registration office.
var (
	// ErrApplyByAppointment refuses an online application, or a draft of one, for an item booked at
	// a registration office (catalog.Item.Booked): people book a time instead.
	ErrApplyByAppointment = problem.New(problem.Conflict, "apply_by_appointment",
		"该事项须预约后到婚姻登记机关现场办理，请先预约。",
		"This item is applied for in person: book an appointment at a registration office.")
	errNotByAppointment = problem.New(problem.Conflict, "not_by_appointment",
		"该事项不通过登记机关预约办理，请由申请人在网上申请。",
		"This item is not booked at an office: the applicant applies online.")
	errOwnCase = problem.New(problem.Forbidden, "own_case",
		"您是该申请的当事人，不能为自己办理，请由其他工作人员办理。",
		"You are a party to this application and cannot handle it yourself; another clerk must.")
)

// ApplyOnline answers ErrApplyByAppointment for an item that is booked at a registration office, not
// applied for online: its application page, drafts and submission are refused alike.
func ApplyOnline(item *catalog.Item) error {
	if item.Booked() {
		return ErrApplyByAppointment
	}
	return nil
}

// StartOption changes how Start files a case.
type StartOption func(*startOptions)

type startOptions struct {
	onBehalf  bool
	applicant int64
	parties   []int64
	within    func(ctx context.Context, tx bun.Tx, c *Case) error
	// entry holds the fields of an application entered by staff (Entered); nil for any other start.
	entry map[string]any
}

// NoApplicant is the applicant of a case that staff entered (Entered) for a person who applied
// outside the service and has no account here: the user row 0, which nobody can log in as (a
// migration creates it, disabled and without a password), so that the cases' reference to their
// applicant holds. It is nobody's: no one reads such a case as its applicant, and nothing is sent to
// it; staff reach the person by the particulars of the application.
const NoApplicant int64 = 0

// Entered makes Start file an application that reached the office outside the service — by post,
// fax, e-mail or in person — for an item with an entry (catalog.Item.Entry): the actor, who must hold
// one of the entry's roles in the jurisdiction, enters the application form and the entry's fields
// (the channel, the day of receipt…), which the case keeps in its fields. The case has no applicant
// account (NoApplicant); the actor is recorded on its first event; its clocks and timers count from
// the day of receipt (catalog.ReceivedOnField), which may be neither after today nor more than
// catalog.MaxEntryAge days before it.
func Entered(fields map[string]any) StartOption {
	return func(o *startOptions) {
		o.entry = fields
		if o.entry == nil {
			o.entry = map[string]any{}
		}
	}
}

// WithinStart runs fn in the transaction that starts the case, once the case row exists, so that what
// the caller records about the new case (the booking it was opened from) commits or rolls back with
// it; an error from fn is returned as it is.
func WithinStart(fn func(ctx context.Context, tx bun.Tx, c *Case) error) StartOption {
	return func(o *startOptions) { o.within = fn }
}

// OnBehalfOf makes Start file the case at a registration office's window for people who booked the
// item (an item with appointment:): the actor is the clerk who checked them in, recorded on the
// start event; the case's applicant is applicantID and the other people it concerns are parties
// (see Case.Parties). The clerk must hold appointment:checkin in the jurisdiction and be none of
// them.
func OnBehalfOf(applicantID int64, parties ...int64) StartOption {
	return func(o *startOptions) {
		o.onBehalf, o.applicant, o.parties = true, applicantID, parties
	}
}

// Start files the actor's application for the item with the current definition, to be handled in
// jurisdiction, from the data of the item's application form. An item booked at a registration
// office is started only with OnBehalfOf, by the office (Conflict "apply_by_appointment" otherwise).
// Bad input (a jurisdiction that does not exist or does not handle the item at its level, and every
// field error of the form) is one Invalid problem and writes nothing. Otherwise one transaction
// numbers the case (<jurisdiction>-<year>-<six digits>, per jurisdiction and year in Asia/Shanghai),
// inserts it in the workflow's start state at version 1 with its parties (for an item about an
// organisation only once the BoundCheck passed the applicant), links the uploaded
// materials the form names, writes the first event of its chain, notifies the applicant and the
// parties and deletes the applicant's draft of the item.
func (e *Engine) Start(ctx context.Context, actor audit.Actor, itemCode, jurisdiction string, data map[string]any,
	opts ...StartOption) (*Case, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	item, ok := e.current(itemCode)
	if !ok || item == nil {
		return nil, problem.ErrNotFound
	}
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	c, err := e.newCase(actor, item, jurisdiction, &o)
	if err != nil {
		return nil, err
	}
	form := item.Forms[item.Form]
	if form == nil {
		return nil, fmt.Errorf("item %s (version %s): its application form %q is not loaded", item.Code, item.Hash, item.Form)
	}
	now := e.now()
	values, warnings, err := e.validateStart(ctx, item, form, jurisdiction, data, now)
	entry, entryErr := e.validateEntry(ctx, item, o.entry, now)
	if err = joinInvalid(err, entryErr); err != nil {
		return nil, err
	}
	changes := enterStart(c, item, values, warnings, o.onBehalf, now)
	received := calendar.DateOf(now)
	if o.entry != nil {
		maps.Copy(c.Fields, entry)
		received, _ = calendar.ParseDate(entry[catalog.ReceivedOnField].(string))
		changes["entered"] = entry
	}
	var sched *calendar.Schedule
	if needsDates(item, &catalog.Action{}, "", item.Workflow.Start) {
		if sched, err = e.schedule(ctx, item, jurisdiction); err != nil {
			return nil, err
		}
	}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := e.checkBound(ctx, tx, c, item); err != nil {
			return err
		}
		if err := insertCase(ctx, tx, c, now, o.within); err != nil {
			return err
		}
		owner := c.ApplicantID
		if o.entry != nil {
			owner = actor.UserID // the officer who entered it uploaded the scans
		}
		if err := linkUploads(ctx, tx, owner, c, form.Fields, values, ""); err != nil {
			return err
		}
		if err := e.moveClocksFrom(ctx, tx, sched, c, item, "", c.State, now, received, received, changes); err != nil {
			return err
		}
		if err := e.runOnStart(ctx, tx, c, item, changes); err != nil {
			return err
		}
		ev := &Event{CaseID: c.ID, At: now, ActorUserID: userRef(actor), Actor: actorLabel(actor), Action: "start",
			To: c.State, Changes: changes}
		if err := startChain(ctx, tx, c, ev); err != nil {
			return err
		}
		if err := countIfClosed(ctx, tx, &Case{}, c); err != nil { // a case that starts in a final state (enterStart)
			return err
		}
		if err := notifyReceived(ctx, tx, c, item); err != nil {
			return err
		}
		return deleteDraft(ctx, tx, c.ApplicantID, c.ItemCode, 0)
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("starting a case of %s in %s: %w", item.Code, jurisdiction, err)
	}
	c.hideQueryCode(actor.UserID) // the clerk at a window is none of the case's people
	return c, nil
}

// runOnStart takes the workflow's on_start effects on the new case, in tx, setting its fields
// (startChain stores them): a problem one returns (no campaign to file for) refuses the start.
func (e *Engine) runOnStart(ctx context.Context, tx bun.Tx, c *Case, item *catalog.Item, changes map[string]any) error {
	if len(item.Workflow.OnStart) == 0 {
		return nil
	}
	start := &catalog.Action{ID: "start"}
	for _, ef := range item.Workflow.OnStart {
		if err := e.runEffect(ctx, tx, c, item, start, ef.Run, changes); err != nil {
			return err
		}
	}
	return nil
}

// startChain makes ev the first event of the new case's chain, in tx, and stores on the case row the
// head of the chain with the fields that on_start effects set.
func startChain(ctx context.Context, tx bun.Tx, c *Case, ev *Event) error {
	if err := linkEvent(ev, 1, ""); err != nil {
		return err
	}
	c.LastHash = ev.Hash
	if _, err := tx.NewUpdate().Model(c).Column("fields", "last_hash").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("storing the head of the chain of case %s: %w", c.Number, err)
	}
	return insertEvent(ctx, tx, ev)
}

// enterStart puts the new case in the workflow's start state at version 1 with the application's
// values (closed at once if that state is final) and returns what its start event records.
func enterStart(c *Case, item *catalog.Item, values map[string]any, warnings []problem.Field, onBehalf bool,
	now time.Time) map[string]any {
	c.State, c.Version, c.Data, c.Fields = item.Workflow.Start, 1, map[string]any{item.Form: values}, map[string]any{}
	c.CreatedAt, c.UpdatedAt, c.StateEnteredAt = now, now, now
	if st, ok := item.State(c.State); ok && st.Final {
		c.ClosedAt, c.Outcome = &now, st.Outcome
	}
	c.setSubject(item)
	changes := map[string]any{"form": item.Form}
	if onBehalf {
		changes["applicant"] = c.ApplicantID
		if len(c.Parties) > 0 {
			changes["parties"] = c.Parties
		}
	}
	if len(warnings) > 0 {
		changes["warnings"] = fieldList(warnings)
	}
	return changes
}

// newCase is the case the actor files for item in jurisdiction: the actor's own, or, with OnBehalfOf,
// that of the people who booked the item, filed by a clerk who may check them in and is none of them.
// An item booked at an office is filed only on behalf of its people, any other item never.
func (e *Engine) newCase(actor audit.Actor, item *catalog.Item, jurisdiction string, o *startOptions) (*Case, error) {
	c := &Case{ItemCode: item.Code, VersionHash: item.Hash, Jurisdiction: jurisdiction, ApplicantID: actor.UserID,
		Concurrent: item.ConcurrentCases}
	if o.entry != nil {
		return e.enteredCase(actor, item, c, o)
	}
	switch {
	case item.Booked() && !o.onBehalf:
		return nil, ErrApplyByAppointment
	case !item.Booked() && o.onBehalf:
		return nil, errNotByAppointment
	case !o.onBehalf:
		return c, nil
	case o.applicant <= 0:
		return nil, fmt.Errorf("starting a case of %s on behalf of user %d: no such applicant", item.Code, o.applicant)
	}
	c.ApplicantID = o.applicant
	for _, p := range o.parties {
		if p > 0 && !c.isParty(p) {
			c.Parties = append(c.Parties, p)
		}
	}
	if c.isParty(actor.UserID) {
		return nil, errOwnCase
	}
	if !e.enf.Allowed(actor.UserID, jurisdiction, "appointment", "checkin") {
		return nil, problem.ErrForbidden
	}
	return c, nil
}

// Problems of an entered application (Entered).
var (
	errNoEntry = problem.New(problem.Conflict, "no_entry",
		"该事项不能由工作人员录入，请由申请人在网上申请。", "Applications for this item are not entered by staff: the applicant applies online.")
	errEnteredOnBehalf = problem.New(problem.Conflict, "entry_on_behalf",
		"录入的申请没有预约人。", "An entered application has no booking.")
)

// enteredCase is the case an officer enters for an applicant without an account: possible for an
// item with an entry, by a holder of one of its roles in the jurisdiction.
func (e *Engine) enteredCase(actor audit.Actor, item *catalog.Item, c *Case, o *startOptions) (*Case, error) {
	switch {
	case item.Entry == nil:
		return nil, errNoEntry
	case o.onBehalf:
		return nil, errEnteredOnBehalf
	case !slices.ContainsFunc(item.Entry.By, func(r string) bool { return e.enf.HasRole(actor.UserID, r, c.Jurisdiction) }):
		return nil, problem.ErrForbidden
	}
	c.ApplicantID = NoApplicant
	return c, nil
}

// validateEntry checks the entry's fields of an entered application (nil for any other) and returns
// them normalised, or one Invalid problem with every error under "entry.": among them the day of
// receipt, neither after today nor more than catalog.MaxEntryAge days before it.
func (e *Engine) validateEntry(ctx context.Context, item *catalog.Item, fields map[string]any, now time.Time) (map[string]any, error) {
	if fields == nil || item.Entry == nil {
		return nil, nil
	}
	values, _, err := forms.Validate(&forms.Form{ID: item.Code + ".entry", Fields: item.Entry.Fields}, fields, e.formOptions(ctx, now))
	var fe problem.Fields
	if err != nil {
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			return nil, fmt.Errorf("validating the entry of an application for %s: %w", item.Code, err)
		}
		for _, f := range p.Fields {
			f.Path = "entry." + f.Path
			fe = append(fe, f)
		}
	}
	if s, ok := values[catalog.ReceivedOnField].(string); ok {
		day, err := calendar.ParseDate(s)
		today := calendar.DateOf(now)
		switch {
		case err != nil:
			fe.Add("entry."+catalog.ReceivedOnField, "invalid_date", "请填写收到申请的日期。", "Enter the day the application was received.")
		case today.Sub(day) < 0:
			fe.Add("entry."+catalog.ReceivedOnField, "in_future", "收到申请的日期不能晚于今天。", "The day of receipt cannot be after today.")
		case today.Sub(day) > catalog.MaxEntryAge:
			fe.Add("entry."+catalog.ReceivedOnField, "too_old",
				fmt.Sprintf("收到申请的日期不能早于%d日前。", catalog.MaxEntryAge),
				fmt.Sprintf("The day of receipt cannot be more than %d days ago.", catalog.MaxEntryAge))
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return values, nil
}

// joinInvalid joins two results of validation: an error that is not an Invalid problem wins, else
// the field errors of both make one Invalid problem.
func joinInvalid(a, b error) error {
	var fe problem.Fields
	for _, err := range []error{a, b} {
		if err == nil {
			continue
		}
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			return err
		}
		fe = append(fe, p.Fields...)
	}
	return fe.Err()
}

// validateStart checks the jurisdiction and the application's data against form and returns the
// normalised values and the warnings, or one Invalid problem with every field error.
func (e *Engine) validateStart(ctx context.Context, item *catalog.Item, form *forms.Form, jurisdiction string,
	data map[string]any, now time.Time) (map[string]any, []problem.Field, error) {
	var fe problem.Fields
	if err := e.checkJurisdiction(ctx, item, jurisdiction, &fe); err != nil {
		return nil, nil, err
	}
	values, warnings, err := forms.Validate(form, data, e.formOptions(ctx, now))
	if err != nil {
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			return nil, nil, fmt.Errorf("validating an application for %s: %w", item.Code, err)
		}
		fe = append(fe, p.Fields...)
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	return values, warnings, nil
}

// insertCase numbers the new case (per jurisdiction and year in Asia/Shanghai) and inserts it with
// its parties, in tx; then within, if given, records what the caller keeps with it.
func insertCase(ctx context.Context, tx bun.Tx, c *Case, now time.Time, within func(context.Context, bun.Tx, *Case) error) error {
	year := now.In(calendar.Zone).Year()
	n, err := sequences.Next(ctx, tx, fmt.Sprintf("case:%s:%d", c.Jurisdiction, year))
	if err != nil {
		return err
	}
	c.Number = fmt.Sprintf("%s-%d-%06d", c.Jurisdiction, year, n)
	c.QueryCode = NewQueryCode()
	if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
		if c.CreditCode != "" && database.IsUniqueViolation(err) { // the number is the sequence's: the open case of the item
			return ErrOpenCase.Because(err)
		}
		return fmt.Errorf("inserting case %s: %w", c.Number, err)
	}
	if err := indexName(ctx, tx, c); err != nil {
		return err
	}
	for _, p := range c.Parties {
		if _, err := tx.NewInsert().Model(&caseParty{CaseID: c.ID, UserID: p}).Exec(ctx); err != nil {
			return fmt.Errorf("recording party %d of case %s: %w", p, c.Number, err)
		}
	}
	if within == nil {
		return nil
	}
	return within(ctx, tx, c)
}

// notifyReceived tells the applicant and the other parties that the case was received, in tx.
func notifyReceived(ctx context.Context, tx bun.Tx, c *Case, item *catalog.Item) error {
	if !hasTemplate(ReceivedTemplate) {
		slog.WarnContext(ctx, "workflow: no notification template for received cases", "template", ReceivedTemplate)
		return nil
	}
	data := noticeData(c, item, nil, "")
	data["query_code"] = c.QueryCode // the people's own notice: with it they look progress up without logging in
	for _, uid := range c.people() {
		msg := notify.Message{UserID: uid, Template: ReceivedTemplate, Data: data}
		if err := notify.Send(ctx, tx, msg); err != nil {
			return err
		}
	}
	return nil
}

// checkJurisdiction records on "jurisdiction" why a case of item cannot be handled there: not a
// division code, no such jurisdiction, or a level (province, city, county) the item is not handled at.
func (e *Engine) checkJurisdiction(ctx context.Context, item *catalog.Item, code string, fe *problem.Fields) error {
	if !jurisdictions.ValidCode(code) {
		fe.Add("jurisdiction", "invalid_code", "请选择办理机关所在的行政区划。", "Choose the jurisdiction of the handling office.")
		return nil
	}
	if _, err := jurisdictions.Get(ctx, e.db, code); err != nil {
		if !errors.Is(err, jurisdictions.ErrNotFound) {
			return err
		}
		fe.Add("jurisdiction", "unknown_jurisdiction", "没有这个行政区划。", "There is no such jurisdiction.")
		return nil
	}
	if !slices.Contains(item.Levels, string(jurisdictions.LevelOf(code))) {
		fe.Add("jurisdiction", "level_not_handled", "该事项不在这一级办理，请选择其他办理机关。",
			"This item is not handled at this level; choose another office.")
	}
	return nil
}

// hasTemplate reports whether the notify package has a template called name.
func hasTemplate(name string) bool { return slices.Contains(notify.TemplateNames(), name) }
