// Package catalog holds the service items (事项) as data: one YAML file per item with its public guide,
// a reference to its application form and its workflow. Built-in items are embedded in the binary
// (items/ and forms/ beside this file); CIVICFLOW_CATALOG_DIR adds items or overrides built-in ones.
// The linter rejects broken definitions with file:line messages, and every loaded definition is kept
// as a version by content hash so that a case finishes on the version it started on.
package catalog

import (
	"slices"
	"strings"

	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
)

// Categories are the kinds of service item in a government-service catalogue (domain.md §8).
var Categories = []string{CategoryLicence, "行政确认", "行政给付", "行政处罚", "行政检查", "公共服务", "其他"}

// categoriesEN are the English names of the Categories, which definitions name in Chinese.
var categoriesEN = map[string]string{
	"行政许可": "Administrative licensing",
	"行政确认": "Administrative confirmation",
	"行政给付": "Administrative benefits",
	"行政处罚": "Administrative penalties",
	"行政检查": "Administrative inspection",
	"公共服务": "Public services",
	"其他":   "Other",
}

// CategoryName is a category's name in both languages.
func CategoryName(category string) lang.Text {
	return lang.Text{ZH: category, EN: categoriesEN[category]}
}

// Levels are the administrative levels that can handle an item.
var Levels = []string{"province", "city", "county"}

// Audiences are who an item serves, for the entrances of the home page: 法人办事 (organisations) and
// 个人办事 (citizens).
var Audiences = []string{AudienceOrganisations, AudienceCitizens}

// The Audiences.
const (
	AudienceOrganisations = "organisations"
	AudienceCitizens      = "citizens"
)

// Item is one service item: its guide, its form and its workflow.
type Item struct {
	Code       string    `yaml:"code" json:"code"`
	Name       lang.Text `yaml:"name" json:"name"`
	Category   string    `yaml:"category" json:"category"`
	Department lang.Text `yaml:"department" json:"department"`
	Levels     []string  `yaml:"levels" json:"levels"` // where it is handled: province, city, county
	// Audience is who the item serves (Audiences), Keywords the other words people search it by.
	Audience   []string    `yaml:"audience,omitempty" json:"audience,omitempty"`
	Keywords   []string    `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	LegalBasis []lang.Text `yaml:"legal_basis" json:"legal_basis"`
	Conditions []lang.Text `yaml:"conditions" json:"conditions"`
	Materials  []Material  `yaml:"materials" json:"materials"`
	Fees       lang.Text   `yaml:"fees" json:"fees"`
	TimeLimits TimeLimits  `yaml:"time_limits" json:"time_limits"`
	Place      lang.Text   `yaml:"place" json:"place"`
	Hours      lang.Text   `yaml:"hours" json:"hours"`
	Contacts   lang.Text   `yaml:"contacts" json:"contacts"`
	Visits     int         `yaml:"visits" json:"visits"` // visits in person the applicant needs
	FAQs       []FAQ       `yaml:"faqs,omitempty" json:"faqs,omitempty"`
	// Templates are files the guide offers to download (申请表, 章程示范文本).
	Templates []Template `yaml:"templates,omitempty" json:"templates,omitempty"`
	// Form is the ID of the application form (a file of the forms directory) filled in to start a case.
	Form     string   `yaml:"form" json:"form"`
	Workflow Workflow `yaml:"workflow" json:"workflow"`
	// Appointment, when set, makes the item one applied for in person by booking a time at a
	// registration office: the office starts the case at the window, not the applicant online.
	Appointment *Appointment `yaml:"appointment,omitempty" json:"appointment,omitempty"`
	// About, when AboutOrganisation, makes the item a procedure about an organisation already on the
	// register (a change, an annual report, a deregistration): its application form names the
	// organisation by credit code in the field OrganisationField, and only the applicants bound to
	// that organisation may start it.
	About string `yaml:"about,omitempty" json:"about,omitempty"`
	// RefusedIfListed names the credit lists (CreditLists) whose organisations may not start the item
	// (社会组织信用信息管理办法: a listed organisation is refused, e.g., charity recognition). Only for
	// items About an organisation: the check runs with the check of bound applicants.
	RefusedIfListed []string `yaml:"refused_if_listed,omitempty" json:"refused_if_listed,omitempty"`
	// RegisteredFullYears, for an item about an organisation, is how many full calendar years
	// (年度) the organisation must have been registered before it may apply: 社会组织评估管理办法
	// admits to evaluation only organisations registered for two full years. 0: no such condition.
	RegisteredFullYears int `yaml:"registered_full_years,omitempty" json:"registered_full_years,omitempty"`
	// OrganisationKinds, for an item About an organisation, are the kinds of organisation it serves (a
	// change registration per kind, each with its own certificate); empty for all. An application
	// naming an organisation of another kind is refused at start.
	OrganisationKinds []string `yaml:"organisation_kinds,omitempty" json:"organisation_kinds,omitempty"`
	// ConcurrentCases, for an item about an organisation, lets one organisation have several open
	// cases of it at once: a year's annual report while the last year's is still in rectification
	// (the item's own effects keep each year filed once). Otherwise a second application waits for
	// the first case to close.
	ConcurrentCases bool `yaml:"concurrent_cases,omitempty" json:"concurrent_cases,omitempty"`
	// Entry, when set, lets staff enter applications received outside the service (a letter, a fax,
	// an e-mail, in person) as cases of the item: see Entry.
	Entry *Entry `yaml:"entry,omitempty" json:"entry,omitempty"`

	// Set by the loader.
	Source string                 `yaml:"-" json:"-"` // file the item came from
	Hash   string                 `yaml:"-" json:"version"`
	Forms  map[string]*forms.Form `yaml:"-" json:"-"` // every form the item uses, by ID
}

// Entry says who may enter an application that reached the office outside the service, and what
// they record with it besides the application form: its Fields, which must include a required date
// field named ReceivedOnField, the day of receipt from which the case's clocks and timers count. Such
// a case has no applicant account (workflow.NoApplicant): the person who entered it is recorded on
// its first event.
type Entry struct {
	// By lists the staff roles that may enter an application, held in the case's jurisdiction.
	By []string `yaml:"by" json:"by"`
	// Fields are recorded in the case's fields (the channel, the day of receipt…).
	Fields []forms.Field `yaml:"fields" json:"fields"`
	Line   int           `yaml:"-" json:"-"`
}

// ReceivedOnField is the date field of an Entry that holds the day the application was received.
const ReceivedOnField = "received_on"

// MaxEntryAge is how many calendar days before the day of entry the day of receipt may be: a letter
// entered late is still entered with its own day, but not one from months ago.
const MaxEntryAge = 60

// AboutOrganisation is the value of Item.About for procedures about an organisation of the register.
const AboutOrganisation = "organisation"

// The credit lists of the register (社会组织信用信息管理办法), named in RefusedIfListed.
const (
	ListAbnormal = "abnormal" // 活动异常名录
	ListSerious  = "serious"  // 严重违法失信名单
)

// CreditLists lists the credit lists, the milder first.
var CreditLists = []string{ListAbnormal, ListSerious}

// KindDigits are the kinds of social organisation by the second character of their unified social
// credit code (domain.md §1): 51 社会团体, 52 民办非企业单位, 53 基金会.
var KindDigits = map[string]byte{"social_group": '1', "private_non_enterprise": '2', "foundation": '3'}

// ServesKind reports whether the item serves the kind of organisation the credit code names (its
// second character, KindDigits): any, unless the item lists its OrganisationKinds.
func (it *Item) ServesKind(uscc string) bool {
	if len(it.OrganisationKinds) == 0 {
		return true
	}
	return len(uscc) > 1 && slices.ContainsFunc(it.OrganisationKinds, func(k string) bool { return KindDigits[k] == uscc[1] })
}

// OrganisationField is the field of an application form, of type uscc, that names the organisation
// an item About an organisation concerns.
const OrganisationField = "uscc"

// Material is one document the applicant supplies.
type Material struct {
	ID       string    `yaml:"id" json:"id"`
	Name     lang.Text `yaml:"name" json:"name"`
	Original bool      `yaml:"original" json:"original"` // the original, else a copy
	Copies   int       `yaml:"copies" json:"copies"`
	Source   lang.Text `yaml:"source" json:"source"` // where the applicant gets it
	Required bool      `yaml:"required" json:"required"`
	// Types allowed for uploads (pdf, jpeg, png); empty means all three.
	Types []string `yaml:"types,omitempty" json:"types,omitempty"`
	// MaxSizeMB limits each upload; 0 means the configured default.
	MaxSizeMB int `yaml:"max_size_mb,omitempty" json:"max_size_mb,omitempty"`
	Line      int `yaml:"-" json:"-"`
}

// Template is a file the guide offers to download, such as a form to print or model articles of
// association. It is kept beside the item's definition, in the folder named after the item's file
// (items/social-group-establishment/ for items/social-group-establishment.yaml), and read with it.
type Template struct {
	// File is the file's name in that folder: lower case letters, digits, '.', '_' and '-', ending
	// in one of the extensions of TemplateTypes; it is also its address on the guide.
	File string    `yaml:"file" json:"file"`
	Name lang.Text `yaml:"name" json:"name"`
	// Set by the loader: the file's content and its SHA-256 (which makes a changed file a new
	// version of the item).
	Content []byte `yaml:"-" json:"-"`
	SHA256  string `yaml:"-" json:"sha256"`
	Line    int    `yaml:"-" json:"-"`
}

// TemplateTypes are the content types of the files a guide may offer, by extension.
var TemplateTypes = map[string]string{
	".pdf":  "application/pdf",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".csv":  "text/csv; charset=utf-8",
}

// FAQ is a question and its answer on the guide.
type FAQ struct {
	Q lang.Text `yaml:"q" json:"q"`
	A lang.Text `yaml:"a" json:"a"`
}

// TimeLimits are the item's statutory (法定) and promised (承诺) limits.
type TimeLimits struct {
	Statutory Period `yaml:"statutory" json:"statutory"`
	Promised  Period `yaml:"promised" json:"promised"`
}

// Period is a number of days; Unit says which kind.
type Period struct {
	Days int    `yaml:"days" json:"days"`
	Unit string `yaml:"unit" json:"unit"` // working_days or calendar_days
	Line int    `yaml:"-" json:"-"`
}

// sameAs reports whether p is the period q, wherever each is written.
func (p Period) sameAs(q Period) bool { return p.Days == q.Days && p.Unit == q.Unit }

// The units of a Period.
const (
	WorkingDays  = "working_days"
	CalendarDays = "calendar_days"
)

// Applicant is the name by which an action is given to the case's applicant rather than to a role.
const Applicant = "applicant"

// Workflow is the state machine of an item's cases.
type Workflow struct {
	// Start is the state a case enters when the applicant submits the application form.
	Start   string   `yaml:"start" json:"start"`
	States  []State  `yaml:"states" json:"states"`
	Actions []Action `yaml:"actions" json:"actions"`
	// Clocks are the time limits that run on a case (see Clock).
	Clocks []Clock `yaml:"clocks,omitempty" json:"clocks,omitempty"`
	// Timers take an action by themselves some time after a case enters a state.
	Timers []Timer `yaml:"timers,omitempty" json:"timers,omitempty"`
	// OnStart are run effects taken in the transaction that starts a case, once its row exists: what a
	// procedure must record or refuse at filing (an annual report claims its campaign's row).
	OnStart []Effect `yaml:"on_start,omitempty" json:"on_start,omitempty"`
	Line    int      `yaml:"-" json:"-"`
}

// State is a state of a case.
type State struct {
	ID   string    `yaml:"id" json:"id"`
	Name lang.Text `yaml:"name" json:"name"`
	// Final states end the case; Outcome says how: approved, refused or withdrawn.
	Final   bool   `yaml:"final,omitempty" json:"final,omitempty"`
	Outcome string `yaml:"outcome,omitempty" json:"outcome,omitempty"`
	// Form, when set, is a form the applicant fills in while the case is in this state (for example
	// the 成立 application after 筹备 approval); the applicant's submit action takes its data.
	Form string `yaml:"form,omitempty" json:"form,omitempty"`
	Line int    `yaml:"-" json:"-"`
}

// The kinds of action with behaviour built into the engine.
const (
	KindDecide     = ""           // a plain transition (accept, approve…)
	KindSubmit     = "submit"     // the applicant submits the form of the state it leaves
	KindSupplement = "supplement" // 补正: list every field or material to correct in one notice
	KindResubmit   = "resubmit"   // the applicant corrects exactly what the supplement notice listed
	KindRefuse     = "refuse"     // refusal; needs a reason
	KindWithdraw   = "withdraw"   // the applicant withdraws before the decision
)

// Action is a transition that someone may take.
type Action struct {
	ID   string    `yaml:"id" json:"id"`
	Name lang.Text `yaml:"name" json:"name"`
	Kind string    `yaml:"kind,omitempty" json:"kind,omitempty"`
	From []string  `yaml:"from" json:"from"`
	To   string    `yaml:"to" json:"to"`
	// By lists who may take it: role names held in the case's jurisdiction, or "applicant".
	By []string `yaml:"by" json:"by"`
	// Guard is an expr-lang expression over the case (see docs/catalog.md) that must be true.
	Guard string `yaml:"guard,omitempty" json:"guard,omitempty"`
	// Fields the actor must fill in (decision number, reason…), validated like form fields.
	Fields []forms.Field `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Internal marks staff work the applicant does not see: the applicant's view of the case leaves
	// out the comment and the fields of these actions (a reviewer's opinion, say).
	Internal bool `yaml:"internal,omitempty" json:"internal,omitempty"`
	// Clock names the clock an extend action extends.
	Clock string `yaml:"clock,omitempty" json:"clock,omitempty"`
	// MaxDays bounds the days one extend action adds (0: workflow's general bound), and Times how
	// often the action may be taken on a case (0: no bound): 政府信息公开条例 art. 33 allows one
	// extension of at most 20 working days.
	MaxDays int `yaml:"max_days,omitempty" json:"max_days,omitempty"`
	Times   int `yaml:"times,omitempty" json:"times,omitempty"`
	// Cosign is the number of distinct people who must take the action before the case moves.
	Cosign  int      `yaml:"cosign,omitempty" json:"cosign,omitempty"`
	Effects []Effect `yaml:"effects,omitempty" json:"effects,omitempty"`
	Line    int      `yaml:"-" json:"-"`
}

// Clock is a time limit over a span of states: it starts when a case enters one of States from
// outside them, stands still while the case is in one of Pauses (waiting for the applicant or a third
// party), and stops when the case leaves both. Its due dates count from the day it started, the start
// day not counted, in the units of each limit and the calendar of the case's jurisdiction.
type Clock struct {
	ID     string    `yaml:"id" json:"id"`
	Name   lang.Text `yaml:"name" json:"name"`
	States []string  `yaml:"states" json:"states"`
	Pauses []string  `yaml:"pauses,omitempty" json:"pauses,omitempty"`
	// Restarts makes leaving a pause start the limits again from that day, as for a disclosure
	// request corrected after 补正; otherwise the paused days are added to the due dates.
	Restarts bool `yaml:"restarts,omitempty" json:"restarts,omitempty"`
	// RestartsAfter names the pause states (of Pauses) leaving which starts the limits again in full,
	// while the other pauses only add their days: a disclosure request restarts after 补正 but not
	// after a third party's consultation. Restarts is every pause.
	RestartsAfter []string `yaml:"restarts_after,omitempty" json:"restarts_after,omitempty"`
	Statutory     Period   `yaml:"statutory" json:"statutory"`
	Promised      Period   `yaml:"promised" json:"promised"`
	// RemindBefore sends the roles that may act a reminder this long before the promised due date.
	RemindBefore *Period `yaml:"remind_before,omitempty" json:"remind_before,omitempty"`
	// EscalateAfter: once the statutory due date has passed, the approvers of the case's jurisdiction
	// are told; once this much more has passed, the approvers of the jurisdiction above.
	EscalateAfter *Period `yaml:"escalate_after,omitempty" json:"escalate_after,omitempty"`
	Line          int     `yaml:"-" json:"-"`
}

// RestartsOn reports whether leaving the pause state starts the clock's limits again in full.
func (c *Clock) RestartsOn(pause string) bool {
	return c.Restarts || slices.Contains(c.RestartsAfter, pause)
}

// Timer takes Action (an action by "system") After the case entered State, unless the case left the
// state before. Timers are database rows: they survive restarts and fire once with many workers.
type Timer struct {
	State  string `yaml:"state" json:"state"`
	After  Period `yaml:"after" json:"after"`
	Action string `yaml:"action" json:"action"`
	Line   int    `yaml:"-" json:"-"`
}

// System is the name by which an action is given to the service itself (a timer), not to a person.
const System = "system"

// MaxExtensionDays bounds the days one extend action adds, whatever its max_days.
const MaxExtensionDays = 365

// KindExtend is an action that extends the limits of a clock (named by Action.Clock) by the number of
// days entered in its "days" field, with a required "reason".
const KindExtend = "extend"

// Effect is something an action does besides moving the case. Exactly one member is set.
type Effect struct {
	// Notify sends a notification through the outbox.
	Notify *NotifyEffect `yaml:"notify,omitempty" json:"notify,omitempty"`
	// Set stores values in the case's fields: field name → expr-lang expression.
	Set map[string]string `yaml:"set,omitempty" json:"set,omitempty"`
	// Run calls an effect implemented in Go and registered by name, e.g. register.create_organisation.
	Run string `yaml:"run,omitempty" json:"run,omitempty"`
	// Issue issues a document of the named kind (decision notice, certificate) with a number.
	Issue string `yaml:"issue,omitempty" json:"issue,omitempty"`
	Line  int    `yaml:"-" json:"-"`
}

// NotifyEffect names the recipients (applicant, or a role in the case's jurisdiction) and the
// notification template.
type NotifyEffect struct {
	To       string `yaml:"to" json:"to"`
	Template string `yaml:"template" json:"template"`
}

// Booked reports whether the item is applied for only by booking a time at a registration office
// (its Appointment is set): the office files its case at the window from the booking, so it has no
// online application, draft or submission.
func (it *Item) Booked() bool { return it.Appointment != nil }

// The services an item can be booked as at a registration office (Appointment.Service).
const (
	ServiceMarriage    = "marriage"
	ServiceDivorce     = "divorce"
	ServiceReplacement = "replacement"
)

// Services lists the appointment services; at most one item of the catalogue books each.
var Services = []string{ServiceMarriage, ServiceDivorce, ServiceReplacement}

// appointmentFields are the fields the application form of a booked item must have, with their types:
// the office fills the form in from the booking it checks in.
var appointmentFields = []struct{ Name, Type string }{
	{"booker_name", forms.TypeText}, {"booker_id_number", forms.TypeIDCard},
	{"partner_name", forms.TypeText}, {"partner_id_number", forms.TypeIDCard},
	{"booking_code", forms.TypeText},
}

// Appointment says how an item is applied for at a registration office.
type Appointment struct {
	// Service is what people book at the office to apply: marriage, divorce or replacement.
	Service string `yaml:"service" json:"service"`
	// Appearance, when set, is a second visit the case needs: in its State, the people book again
	// (dates from the start of Clock to its statutory due date) and appear together; checking the
	// booking in takes Action.
	Appearance *Appearance `yaml:"appearance,omitempty" json:"appearance,omitempty"`
	Line       int         `yaml:"-" json:"-"`
}

// Appearance is the visit in person that a case in State needs (the divorce confirmation).
type Appearance struct {
	State  string `yaml:"state" json:"state"`
	Clock  string `yaml:"clock" json:"clock"`
	Action string `yaml:"action" json:"action"`
	Line   int    `yaml:"-" json:"-"`
}

// FormIDs lists the forms an item's cases are filled in with, in the order a case meets them: the
// application form, then the forms of later stages (states with a form).
func (it *Item) FormIDs() []string {
	ids := []string{it.Form}
	for _, st := range it.Workflow.States {
		if st.Form != "" && !slices.Contains(ids, st.Form) {
			ids = append(ids, st.Form)
		}
	}
	return ids
}

// State returns the workflow's state with the ID.
func (it *Item) State(id string) (*State, bool) {
	for i := range it.Workflow.States {
		if it.Workflow.States[i].ID == id {
			return &it.Workflow.States[i], true
		}
	}
	return nil, false
}

// StateName is the name in locale of the state with the ID, or the ID itself when the state is
// unknown or unnamed (a case on an old version may name a state the page's version lacks).
func (it *Item) StateName(id, locale string) string {
	if st, ok := it.State(id); ok {
		return st.label(locale)
	}
	return id
}

// label is a state's name in locale, or its ID when it has none.
func (s State) label(locale string) string {
	if n := s.Name.In(locale); n != "" {
		return n
	}
	return s.ID
}

// CategoryLicence is the category of an administrative licence (行政许可): its decisions publish
// 双公示 entries and its acceptance has the limit of 行政许可法 art. 32 (AcceptanceLimit).
const CategoryLicence = "行政许可"

// AcceptanceLimit is the period of 行政许可法 art. 32 (with art. 82's working days): within it the office
// accepts an application or sends its one 补正 notice, otherwise the application counts as accepted.
var AcceptanceLimit = Period{Days: 5, Unit: WorkingDays}

// Accepts reports whether the action accepts a case (受理): it issues an acceptance notice or receipt,
// a document kind whose name contains "acceptance" (docs/catalog.md).
func (a *Action) Accepts() bool {
	return slices.ContainsFunc(a.Effects, func(ef Effect) bool { return strings.Contains(ef.Issue, "acceptance") })
}

// DeemsAccepted reports whether the action is the deemed acceptance of 行政许可法 art. 32: taken by the
// system (a timer) in a state that an accepting action leaves, to the state that action leads to.
// A case it moves counts as accepted from the day it entered that state, the day its materials
// arrived, not from the day the timer fired.
func (it *Item) DeemsAccepted(a *Action) bool {
	if len(a.By) != 1 || a.By[0] != System {
		return false
	}
	for i := range it.Workflow.Actions {
		acc := &it.Workflow.Actions[i]
		if acc.Accepts() && acc.To == a.To && slices.ContainsFunc(a.From, func(s string) bool { return slices.Contains(acc.From, s) }) {
			return true
		}
	}
	return false
}
