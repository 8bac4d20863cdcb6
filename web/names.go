package web

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// names are the names people read for the jurisdiction codes and user ids that a page or an API
// answer shows. A handler loads them for the whole page at once, one query for each kind and never
// one per row, and the page looks them up (view.Place, view.Person).
type names struct {
	places map[string]lang.Text
	people map[int64]string
}

// loadNames reads the names of the jurisdictions and users given; repeated codes and ids, and nil
// ids (work of the system), are fine.
func (s *Server) loadNames(ctx context.Context, codes []string, userIDs []*int64) (names, error) {
	slices.Sort(codes)
	places, err := jurisdictions.Names(ctx, s.DB, slices.Compact(codes))
	if err != nil {
		return names{}, err
	}
	var ids []int64
	for _, id := range userIDs {
		if id != nil && !slices.Contains(ids, *id) {
			ids = append(ids, *id)
		}
	}
	people, err := accounts.Names(ctx, s.DB, ids)
	if err != nil {
		return names{}, err
	}
	return names{places: places, people: people}, nil
}

// placesOf names the jurisdictions of a list a page has read anyway, so that it needs no other query.
func placesOf(js []jurisdictions.Jurisdiction) names {
	n := names{places: make(map[string]lang.Text, len(js))}
	for _, j := range js {
		n.places[j.Code] = j.Text()
	}
	return n
}

// caseNames loads the names a case shows: its jurisdiction, its applicant and everyone in its history.
func (s *Server) caseNames(ctx context.Context, vw *workflow.View) (names, error) {
	ids := make([]*int64, 0, len(vw.Events)+1)
	ids = append(ids, &vw.Case.ApplicantID)
	for _, ev := range vw.Events {
		ids = append(ids, ev.ActorUserID)
	}
	return s.loadNames(ctx, []string{vw.Case.Jurisdiction}, ids)
}

// caseListNames loads the names of the jurisdictions and the applicants of a list of cases.
func (s *Server) caseListNames(ctx context.Context, cases []workflow.Case) (names, error) {
	codes := make([]string, 0, len(cases))
	applicants := make([]*int64, 0, len(cases))
	for i, cs := range cases {
		codes = append(codes, cs.Jurisdiction)
		applicants = append(applicants, &cases[i].ApplicantID)
	}
	return s.loadNames(ctx, codes, applicants)
}

// Place names a jurisdiction in the page's language, or shows its code when it has no name.
func (v *view) Place(code string) string {
	if t, ok := v.names.places[code]; ok {
		return t.In(v.Locale)
	}
	return code
}

// Subject names whom a case in a list is about: the organisation, else the applicant.
func (v *view) Subject(cs workflow.Case) string {
	if cs.OrgName != "" {
		return cs.OrgName
	}
	return v.names.people[cs.ApplicantID]
}

// Person names who did something: a user by display name (else login name); work nobody asked for
// in person by its label ("system" in the page's language), as is a user no longer found.
func (v *view) Person(userID *int64, label string) string {
	if userID != nil {
		if name, ok := v.names.people[*userID]; ok {
			return name
		}
	}
	if label == audit.System.Label {
		return v.T("actor_system")
	}
	return label
}

// DocumentKind names the kind of an issued document (受理通知书, Registration certificate). The kinds
// of the built-in catalogue are named in the locale files as document_<kind>; a kind that only a
// catalogue directory knows shows by its template's title as issued, else as a document in general.
func (v *view) DocumentKind(d workflow.Document) string {
	if s, ok := v.tr.lookup(v.Locale, "document_"+d.Kind, nil); ok {
		return s
	}
	if d.Title != "" {
		return d.Title
	}
	return v.T("document_other")
}

// DocumentStage names the stage that issued a document, to tell apart two of one kind (the acceptance
// notices of preparation and of establishment): the state its action was taken in when that is one,
// as actions of different stages often share a name (受理), else the action's name.
func (v *view) DocumentStage(it *catalog.Item, d workflow.Document) string {
	for _, a := range it.Workflow.Actions {
		if a.ID == d.Action && len(a.From) == 1 {
			return it.StateName(a.From[0], v.Locale)
		}
	}
	return v.ActionName(it, d.Action)
}

// DocumentNumber is a document's number as people read it beside its kind's name: its 文号, or for a
// document recorded before documents were numbered (<kind>-<case number>) the case number, which the
// kind's name precedes already.
func (*view) DocumentNumber(d workflow.Document) string {
	return strings.TrimPrefix(d.Number, d.Kind+"-")
}

// ScopeLabel explains a grant pattern: "*" everywhere, "21*" a province with all below it.
func (v *view) ScopeLabel(pattern string) string {
	if pattern == "*" {
		return v.T("scope_everywhere")
	}
	place := v.Place(policies.Representative(pattern))
	if pattern[len(pattern)-1] == '*' {
		return v.Tf("scope_subtree", "Place", place)
	}
	return place
}

// scopeCodes are the jurisdictions that grant patterns name, for loading their names.
func scopeCodes(grants []policies.Grant) []string {
	codes := make([]string, 0, len(grants))
	for _, g := range grants {
		codes = append(codes, policies.Representative(g.Pattern))
	}
	return codes
}

// namedCase is a case in API answers with the name of its jurisdiction beside the code and, in
// lists, the name of its applicant.
type namedCase struct {
	workflow.Case
	JurisdictionName *lang.Text `json:"jurisdiction_name,omitempty"`
	ApplicantName    string     `json:"applicant_name,omitempty"`
}

// namedEvent is an entry of a case's history in API answers with the name of who acted (none for the
// system's own work).
type namedEvent struct {
	workflow.Event
	ActorName string `json:"actor_name,omitempty"`
}

func (n names) cases(cases []workflow.Case) []namedCase {
	out := make([]namedCase, 0, len(cases))
	for _, cs := range cases {
		out = append(out, n.namedCase(cs))
	}
	return out
}

func (n names) namedCase(cs workflow.Case) namedCase {
	out := namedCase{Case: cs, ApplicantName: n.people[cs.ApplicantID]}
	if t, ok := n.places[cs.Jurisdiction]; ok {
		out.JurisdictionName = &t
	}
	return out
}

// namedOrganisation is an organisation of the public register in API answers, as anyone may see
// it, with the name of its jurisdiction beside the code.
type namedOrganisation struct {
	register.Organisation
	// RegisteredOn is the day of registration in China, what people read: RegisteredAt, a moment in
	// UTC, falls on the day before for a registration at midnight.
	RegisteredOn     calendar.Date `json:"registered_on"`
	JurisdictionName *lang.Text    `json:"jurisdiction_name,omitempty"`
}

func (n names) organisation(o register.Organisation) namedOrganisation {
	out := namedOrganisation{Organisation: o.Public(), RegisteredOn: calendar.DateOf(o.RegisteredAt)}
	if t, ok := n.places[o.Jurisdiction]; ok {
		out.JurisdictionName = &t
	}
	return out
}

func (n names) events(events []workflow.Event) []namedEvent {
	out := make([]namedEvent, 0, len(events))
	for _, ev := range events {
		ne := namedEvent{Event: ev}
		if ev.ActorUserID != nil {
			ne.ActorName = n.people[*ev.ActorUserID]
		}
		out = append(out, ne)
	}
	return out
}

// OrgKind names a kind of social organisation of the register (社会团体, Social group).
func (v *view) OrgKind(kind string) string { return v.T("register_kind_" + kind) }

// OrgStatus names the status of an organisation on the register (正常, Active).
func (v *view) OrgStatus(status string) string { return v.T("register_status_" + status) }

// Authority names the registration authority of a jurisdiction: the civil-affairs department of a
// province (民政厅), the civil-affairs bureau of a city or county (民政局).
func (v *view) Authority(code string) string {
	id := "register_authority_bureau"
	if jurisdictions.ValidCode(code) && jurisdictions.LevelOf(code) == jurisdictions.Province {
		id = "register_authority_department"
	}
	return v.Tf(id, "Place", v.Place(code))
}

// Day is the day of an instant in China, YYYY-MM-DD.
func (*view) Day(t time.Time) string { return calendar.DateOf(t).String() }

// jurisdictionsWhere keeps the jurisdictions of js whose code may holds for, in order: those a form
// offers to the person asking (where they may write, open, report…).
func jurisdictionsWhere(js []jurisdictions.Jurisdiction, may func(code string) bool) []jurisdictions.Jurisdiction {
	var out []jurisdictions.Jurisdiction
	for _, j := range js {
		if may(j.Code) {
			out = append(out, j)
		}
	}
	return out
}
