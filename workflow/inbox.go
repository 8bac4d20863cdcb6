package workflow

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/policies"
)

// InboxFilter narrows a staff inbox.
type InboxFilter struct {
	ItemCode string `json:"item_code,omitempty"`
	State    string `json:"state,omitempty"`
	Limit    int    `json:"limit,omitempty"` // default 50, at most 500
	// Overdue keeps only the cases with a clock (running or paused) past its promised or statutory
	// due date.
	Overdue bool `json:"overdue,omitempty"`
	// Sort is "" for longest waiting first, or SortDue for the earliest due date first (promised,
	// else statutory; cases without a clock last).
	Sort string `json:"sort,omitempty"`
	// Mine keeps only the cases assigned to the user (Assign).
	Mine bool `json:"mine,omitempty"`
}

// SortDue sorts an inbox by due date.
const SortDue = "due"

// Inbox returns the open cases waiting for the user: those whose current state has an action naming
// a role the user holds in a grant covering the case's jurisdiction, longest waiting first. The
// states come from the catalogue versions the open cases run on, so that a case pinned to an older
// definition still reaches the people who must act on it. It is one query over cases, whose
// condition pairs each role's grant patterns (policies.ScopeFilter) with the (version, state) pairs
// where that role acts.
func (e *Engine) Inbox(ctx context.Context, userID int64, f InboxFilter) ([]Case, error) {
	out := []Case{}
	if userID <= 0 {
		return out, nil
	}
	patterns := map[string][]string{}
	for _, g := range e.enf.LoadedGrants(userID) { // as HasRole, which decides who acts, sees them
		if policies.StaffRole(g.Role) {
			patterns[g.Role] = append(patterns[g.Role], g.Pattern)
		}
	}
	if len(patterns) == 0 {
		return out, nil
	}
	byRole, err := e.actingStates(ctx, patterns, f)
	if err != nil {
		return nil, err
	}
	if len(byRole) == 0 {
		return out, nil
	}
	cond, args := inboxCondition(patterns, byRole)
	// A list needs no application data: leaving it out keeps applicants' personal data out of bulk
	// reads (opening a case reads it, audited). Nor the head of the event chain, which only an
	// action reads (loading the case again).
	var rows []inboxRow
	q := e.db.NewSelect().Model(&rows).ExcludeColumn("data", "fields", "query_code", "last_hash").ColumnExpr(dueColumn).
		Where("c.closed_at IS NULL").Where(cond, args...)
	if f.ItemCode != "" {
		q = q.Where("c.item_code = ?", f.ItemCode)
	}
	if f.State != "" {
		q = q.Where("c.state = ?", f.State)
	}
	if f.Mine {
		q = q.Where("c.assignee_id = ?", userID)
	}
	today := calendar.DateOf(e.now()).String()
	if f.Overdue {
		q = q.Where(overdueCond, today, today)
	}
	if f.Sort == SortDue {
		q = q.OrderExpr(dueOrder)
	}
	if err := q.OrderExpr("c.state_entered_at, c.id").Limit(clampLimit(f.Limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the inbox of user %d: %w", userID, err)
	}
	for _, r := range rows {
		r.Case.Due = dueOf(r.Due, today)
		out = append(out, r.Case)
	}
	return out, nil
}

// inboxRow is a case of the inbox with its due dates (dueColumn).
type inboxRow struct {
	Case `bun:",extend"`
	Due  string `bun:"due,scanonly"`
}

// InboxState is a choice of the inbox's state filter: a state's id and its name.
type InboxState struct {
	ID   string
	Name lang.Text
}

// InboxStates lists the states of items from which a staff role of grants takes an action, in the
// order of the items and their workflows: the states an inbox can hold, which its state filter
// offers. A state id that several items share ("accepted") is one choice, named by each of its
// distinct names joined with " / ".
func InboxStates(items []*catalog.Item, grants []policies.Grant) []InboxState {
	var roles []string
	for _, g := range grants {
		if policies.StaffRole(g.Role) {
			roles = append(roles, g.Role)
		}
	}
	var out []InboxState
	for _, it := range items {
		for _, st := range it.Workflow.States {
			if actsIn(it, st.ID, roles) {
				out = addInboxState(out, st)
			}
		}
	}
	return out
}

// actsIn reports whether one of roles takes an action of item from state.
func actsIn(item *catalog.Item, state string, roles []string) bool {
	for _, a := range item.Workflow.Actions {
		if slices.Contains(a.From, state) && slices.ContainsFunc(a.By, func(r string) bool { return slices.Contains(roles, r) }) {
			return true
		}
	}
	return false
}

// addInboxState adds st to the choices, or its name to the choice of the same id.
func addInboxState(choices []InboxState, st catalog.State) []InboxState {
	i := slices.IndexFunc(choices, func(c InboxState) bool { return c.ID == st.ID })
	if i < 0 {
		return append(choices, InboxState{ID: st.ID, Name: st.Name})
	}
	c := &choices[i]
	if !slices.Contains(strings.Split(c.Name.ZH, " / "), st.Name.ZH) {
		c.Name.ZH += " / " + st.Name.ZH
	}
	if !slices.Contains(strings.Split(c.Name.EN, " / "), st.Name.EN) {
		c.Name.EN += " / " + st.Name.EN
	}
	return choices
}

// versionState is a state of one catalogue version.
type versionState struct{ hash, state string }

// actingStates lists, for each role of patterns, the states of the catalogue versions open cases run
// on (of f's item and in f's state, when f names them) from which the role takes an action.
func (e *Engine) actingStates(ctx context.Context, patterns map[string][]string, f InboxFilter) (map[string][]versionState, error) {
	var hashes []string
	// One probe of the open cases' index (cases_open_version) per stored version, not a DISTINCT
	// over every open case.
	q := e.db.NewSelect().TableExpr("catalog_versions AS v").Column("v.hash").
		Where("EXISTS (SELECT 1 FROM cases AS c WHERE c.version_hash = v.hash AND c.closed_at IS NULL)")
	if f.ItemCode != "" {
		q = q.Where("v.item_code = ?", f.ItemCode)
	}
	if err := q.Scan(ctx, &hashes); err != nil {
		return nil, fmt.Errorf("listing the catalogue versions of open cases: %w", err)
	}
	byRole := map[string][]versionState{}
	for _, hash := range hashes {
		item, err := e.item(ctx, hash)
		if err != nil {
			return nil, err
		}
		for _, a := range item.Workflow.Actions {
			for _, role := range a.By {
				if _, ok := patterns[role]; !ok {
					continue
				}
				for _, from := range a.From {
					p := versionState{hash, from}
					if (f.State == "" || from == f.State) && !slices.Contains(byRole[role], p) {
						byRole[role] = append(byRole[role], p)
					}
				}
			}
		}
	}
	return byRole, nil
}

// inboxCondition is the SQL condition of the cases waiting for the user: for some role, a
// jurisdiction its grant patterns cover and a (version, state) pair where it acts. Roles granted over
// the same jurisdictions share one condition, and the pairs are a row-value list rather than a chain
// of ORs: PostgreSQL tests a case against the list in one probe, which on a city's thousands of open
// cases is the difference between 60 ms and 2 ms (docs/benchmarks.md).
func inboxCondition(patterns map[string][]string, byRole map[string][]versionState) (string, []any) {
	type scoped struct {
		patterns []string
		pairs    []versionState
	}
	var scopes []*scoped
	byScope := map[string]*scoped{}
	for _, role := range slices.Sorted(maps.Keys(byRole)) {
		ps := slices.Sorted(slices.Values(patterns[role]))
		key := strings.Join(ps, "\x00")
		sc := byScope[key]
		if sc == nil {
			sc = &scoped{patterns: ps}
			byScope[key] = sc
			scopes = append(scopes, sc)
		}
		for _, p := range byRole[role] {
			if !slices.Contains(sc.pairs, p) {
				sc.pairs = append(sc.pairs, p)
			}
		}
	}
	var conds []string
	var args []any
	for _, sc := range scopes {
		scope, scopeArgs := policies.ScopeFilter("c.jurisdiction", sc.patterns)
		args = append(args, scopeArgs...)
		values := make([]string, len(sc.pairs))
		for i, p := range sc.pairs {
			values[i] = "(?, ?)"
			args = append(args, p.hash, p.state)
		}
		conds = append(conds, "("+scope+" AND (c.version_hash, c.state) IN (VALUES "+strings.Join(values, ", ")+"))")
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}
