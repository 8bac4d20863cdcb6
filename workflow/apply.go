package workflow

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
)

// MaxCommentLength is the longest comment (or supplement notice) an action takes, in characters.
const MaxCommentLength = 5000

// ApplyRequest is an action someone takes on a case.
type ApplyRequest struct {
	Action string `json:"action"`
	// ExpectedVersion is the version of the case the actor saw; another change since then makes the
	// action a stale_version conflict instead of acting on a case the actor has not seen.
	ExpectedVersion int64 `json:"expected_version"`
	// Comment goes into the case's history; for a supplement action it is the notice itself.
	Comment string `json:"comment"`
	// Fields are the values of the action's fields (decision number, reason…).
	Fields map[string]any `json:"fields"`
	// Data is the applicant's form for submit and resubmit actions: the whole form, not a patch.
	Data map[string]any `json:"data"`
	// Items lists, for a supplement action, every field path and material ID the applicant must
	// correct.
	Items []string `json:"items"`
}

// change is what an action does to a case besides moving it, worked out and validated before the
// transaction starts.
type change struct {
	fields     map[string]any // the action's fields, normalised
	form       string         // the form whose data the action submits, if any
	formDef    *forms.Form
	data       map[string]any
	dataPaths  []string // the paths a resubmission changed
	warnings   []problem.Field
	supplement *Supplement // a new supplement notice
	answered   bool        // a resubmission closes the supplement notice
	days       int         // the days an extend action adds
	timerDue   time.Time   // when the timer taking the action was due; zero for a person's action
}

// Apply takes the action req.Action on the case for the actor and returns the case as it is after.
// The checks come in this order, each with its own answer:
//   - the actor may not see the case (neither its applicant nor staff with case:read in its
//     jurisdiction): problem.ErrNotFound, as for a case that does not exist;
//   - req.ExpectedVersion is not the case's version: Conflict "stale_version", Detail {state, version};
//   - no action of that ID can be taken from the current state: Conflict "action_not_available";
//   - the actor is not among those the action names: problem.ErrForbidden;
//   - the actor already signed this co-signed action: Conflict "already_signed";
//   - the guard is false: Conflict "guard_failed";
//   - fields, data, supplement items or the refusal reason are wrong: one Invalid problem with every
//     error, paths as in the request ("fields.reason", "data.members[2].id_number", "items[0]",
//     "comment").
//
// Then one transaction claims the version (UPDATE … WHERE version = expected: of concurrent calls
// with the same expected version exactly one wins, the others get stale_version), applies the
// action and its effects in the definition's order and appends the case's next event. A co-signed
// action short of its last signature records the signature, bumps the version and writes a
// "cosign" event without moving the case or running effects.
//
// WithinApply adds the caller's own writes to that transaction.
func (e *Engine) Apply(ctx context.Context, actor audit.Actor, caseID int64, req ApplyRequest, opts ...ApplyOption) (*Case, error) {
	c, err := e.readableCase(ctx, actor, caseID)
	if err != nil {
		return nil, err
	}
	if req.ExpectedVersion != c.Version {
		return nil, staleVersion(c.State, c.Version)
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	a, ok := findAction(item, req.Action, c.State)
	if !ok {
		return nil, errActionNotAvailable
	}
	if !e.mayTake(actor, c, a) {
		return nil, problem.ErrForbidden
	}
	if a.Cosign > 1 && slices.Contains(c.Cosign[a.ID], actor.UserID) {
		return nil, errAlreadySigned
	}
	now := e.now()
	holds, err := e.guardHolds(item, a, e.env(actor, c, now))
	if err != nil {
		return nil, err
	}
	if !holds {
		return nil, guardFailed(a)
	}
	ch, err := e.prepare(ctx, actor, c, item, a, req, now)
	if err != nil {
		return nil, err
	}
	var o applyOptions
	for _, opt := range opts {
		opt(&o)
	}
	next, err := e.commitIn(ctx, actor, c, item, a, strings.TrimSpace(req.Comment), ch, now, o.within)
	if err != nil {
		return nil, err
	}
	if e.applicantOnly(actor, next) {
		next.Fields, next.AssigneeID = PublicFields(next.Fields, item), nil
	}
	next.hideQueryCode(actor.UserID)
	return next, nil
}

// ApplyOption changes how Apply takes an action.
type ApplyOption func(*applyOptions)

type applyOptions struct {
	within func(ctx context.Context, tx bun.Tx) error
}

// WithinApply runs fn first in the transaction that takes the action, so that what the caller
// records with it (the check-in of the booking whose appearance the action confirms) commits or rolls
// back with the action; an error from fn is returned as it is.
func WithinApply(fn func(ctx context.Context, tx bun.Tx) error) ApplyOption {
	return func(o *applyOptions) { o.within = fn }
}

// prepare validates what the request brings for the action's kind and returns the change, or one
// Invalid problem with every error.
func (e *Engine) prepare(ctx context.Context, actor audit.Actor, c *Case, item *catalog.Item, a *catalog.Action,
	req ApplyRequest, now time.Time) (*change, error) {
	ch := &change{fields: map[string]any{}}
	opts := e.formOptions(ctx, now)
	var fe problem.Fields
	// collect keeps the field errors of an Invalid problem under prefix and returns any other error.
	collect := func(err error, prefix string) error {
		if err == nil {
			return nil
		}
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			return fmt.Errorf("validating action %s of case %d: %w", a.ID, c.ID, err)
		}
		for _, f := range p.Fields {
			f.Path = prefix + f.Path
			fe = append(fe, f)
		}
		return nil
	}

	if len(a.Fields) > 0 {
		values, _, err := forms.Validate(&forms.Form{ID: item.Code + "." + a.ID, Fields: a.Fields}, req.Fields, opts)
		if err := collect(err, "fields."); err != nil {
			return nil, err
		}
		maps.Copy(ch.fields, values)
	}
	comment := strings.TrimSpace(req.Comment)
	switch {
	case !readable(comment):
		fe.Add("comment", "invalid_text", "含有无法识别的字符。", "Contains characters that cannot be read.")
	case utf8.RuneCountInString(comment) > MaxCommentLength:
		fe.Add("comment", "too_long", fmt.Sprintf("最多填写 %d 个字。", MaxCommentLength),
			fmt.Sprintf("Enter at most %d characters.", MaxCommentLength))
	}

	var err error
	switch a.Kind {
	case catalog.KindSubmit:
		formID := item.Form
		if st, ok := item.State(c.State); ok && st.Form != "" {
			formID = st.Form
		}
		err = e.prepareData(ch, item, formID, req.Data, opts, collect)
	case catalog.KindSupplement:
		ch.supplement, err = e.prepareSupplement(ctx, actor, c, item, req.Items, comment, now, &fe)
	case catalog.KindResubmit:
		err = e.prepareResubmit(ch, c, item, req.Data, opts, collect, &fe)
	case catalog.KindExtend:
		prepareExtend(ch, a, &fe)
	case catalog.KindRefuse:
		prepareRefuse(ch, a, req.Fields, &fe)
	}
	if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return ch, nil
}

// readable reports whether text is valid UTF-8 without NUL characters.
func readable(text string) bool { return utf8.ValidString(text) && !strings.ContainsRune(text, 0) }

// prepareSupplement checks a supplement notice (the items to correct, each once, and the notice
// itself) and returns it; the items name the form whose data the applicant submitted last.
func (e *Engine) prepareSupplement(ctx context.Context, actor audit.Actor, c *Case, item *catalog.Item, reqItems []string,
	notice string, now time.Time, fe *problem.Fields) (*Supplement, error) {
	formID, err := lastForm(ctx, e.db, c, item)
	if err != nil {
		return nil, err
	}
	var items []string
	for i, it := range reqItems {
		it = strings.TrimSpace(it)
		if !validItem(item.Forms[formID], asMap(c.Data[formID]), it) {
			fe.Add(fmt.Sprintf("items[%d]", i), "unknown_item", "申请人本阶段的表单中没有这一项材料或内容。",
				"The applicant's form of this stage has no such material or field.")
			continue
		}
		if !slices.Contains(items, it) {
			items = append(items, it)
		}
	}
	if len(reqItems) == 0 {
		fe.Add("items", "required", "请一次列出需要补正的全部材料和内容。",
			"List every material and field the applicant must correct, all in this one notice.")
	}
	if notice == "" {
		fe.Add("comment", "required", "请填写补正通知的内容。", "Write the supplement notice.")
	}
	return &Supplement{Form: formID, Items: items, Notice: notice, RequestedBy: actor.UserID, RequestedAt: now}, nil
}

// prepareResubmit validates the applicant's answer to the open supplement notice into ch: the whole
// form again, in which only what the notice lists may change.
func (e *Engine) prepareResubmit(ch *change, c *Case, item *catalog.Item, data map[string]any, opts forms.Options,
	collect func(error, string) error, fe *problem.Fields) error {
	s := c.Supplement
	if s == nil {
		return errNoSupplement
	}
	if err := e.prepareData(ch, item, s.Form, data, opts, collect); err != nil {
		return err
	}
	if ch.data != nil {
		changedPaths(ch.formDef.Fields, "", asMap(c.Data[s.Form]), ch.data, func(path string, f *forms.Field) {
			ch.dataPaths = append(ch.dataPaths, path)
			if !covered(s.Items, path, f) {
				fe.Add("data."+path, "not_requested", "补正通知没有要求修改这一项，请恢复原内容。",
					"The supplement notice did not ask for this to change; put back what was there.")
			}
		})
	}
	ch.answered = true
	return nil
}

// prepareExtend reads the days (at most the action's max_days) and checks the reason of an extend
// action.
func prepareExtend(ch *change, a *catalog.Action, fe *problem.Fields) {
	max := MaxExtension
	if a.MaxDays > 0 {
		max = min(a.MaxDays, MaxExtension)
	}
	ch.days = extensionDays(ch.fields, max, fe)
	if r, _ := ch.fields["reason"].(string); strings.TrimSpace(r) == "" && !hasPath(*fe, "fields.reason") {
		fe.Add("fields.reason", "required", "请填写延长期限的理由。", "Give the reason for the extension.")
	}
}

// prepareRefuse requires the reason of a refusal, from the action's reason field or, when the
// definition gives it none, from the request's fields as they are.
func prepareRefuse(ch *change, a *catalog.Action, reqFields map[string]any, fe *problem.Fields) {
	reason, _ := ch.fields["reason"].(string)
	if !slices.ContainsFunc(a.Fields, func(f forms.Field) bool { return f.Name == "reason" }) {
		reason, _ = reqFields["reason"].(string)
		reason = strings.TrimSpace(reason)
		if !readable(reason) {
			fe.Add("fields.reason", "invalid_text", "含有无法识别的字符。", "Contains characters that cannot be read.")
			reason = ""
		}
	}
	if reason == "" && !hasPath(*fe, "fields.reason") {
		fe.Add("fields.reason", "required", "请填写不予受理或不予批准的理由。", "Give the reason for the refusal.")
	}
	if reason != "" {
		ch.fields["reason"] = reason
	}
}

// hasPath reports whether fe has an error at path already.
func hasPath(fe problem.Fields, path string) bool {
	return slices.ContainsFunc(fe, func(f problem.Field) bool { return f.Path == path })
}

// prepareData validates the applicant's data for formID into ch.
func (e *Engine) prepareData(ch *change, item *catalog.Item, formID string, data map[string]any, opts forms.Options,
	collect func(error, string) error) error {
	f := item.Forms[formID]
	if f == nil {
		return fmt.Errorf("item %s (version %s): form %q is not loaded", item.Code, item.Hash, formID)
	}
	values, warnings, err := forms.Validate(f, data, opts)
	if err := collect(err, "data."); err != nil {
		return err
	}
	ch.form, ch.formDef, ch.warnings = formID, f, warnings
	if err == nil {
		ch.data = values
	}
	return nil
}

// lastForm is the form whose data the applicant submitted last (the application form, or the form
// of a later stage): what a supplement notice is about. Start, submit and resubmit events record it.
func lastForm(ctx context.Context, db bun.IDB, c *Case, item *catalog.Item) (string, error) {
	var events []Event
	err := db.NewSelect().Model(&events).Column("seq", "changes").Where("case_id = ?", c.ID).OrderExpr("seq").Scan(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the events of case %d: %w", c.ID, err)
	}
	return lastFormIn(events, item), nil
}
