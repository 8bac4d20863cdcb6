// Package workflow runs the cases of service items: an applicant starts a case from an item's
// application form, and the applicant and staff move it through the states of the item's workflow by
// taking actions. Start and Apply are the only ways a case changes; HTTP handlers, the worker and the
// CLI all call them, so every rule (who may act, guards, required fields, the supplement loop,
// co-signing, optimistic versions) holds whoever asks. Each change is one database transaction that
// writes the case row, one hash-chained event, the outbox rows of its notifications and the rows of
// its other effects. A case stays on the catalogue version it started on.
package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// EffectFunc is an effect implemented in Go that definitions call by name (run: name), such as the
// register's create_organisation. It runs inside the transaction of the action, after the case's
// new state, fields and data are set on c, so that whatever it writes commits or rolls back with the
// transition; changes it makes to c.Fields are stored with the case. A problem error it returns
// reaches the caller as it is (a duplicate organisation name, say); any other error is internal.
type EffectFunc func(ctx context.Context, tx bun.Tx, c *Case, item *catalog.Item) error

// IssueFunc prepares the document of an `issue: kind` effect inside the transaction of the action,
// after the effects before it ran (so that a certificate finds the organisation the register just
// created), and returns what completes it: numbering, rendering, storing and signing it, and inserting
// its row. The engine completes the documents after the action's other effects and before the case
// row, its event and the closed-case statistics (or before a run effect, which may read them): a
// generated number locks its counter's row until the commit, and every document numbered from that
// counter waits for it, so whatever does not need the number (reading, filling, a first rendering
// pass) belongs in the preparation. The documents package provides it; an engine
// without one (workflow's own tests) records a row with a placeholder number instead.
type IssueFunc func(ctx context.Context, tx bun.Tx, c *Case, item *catalog.Item, a *catalog.Action, kind string,
	now time.Time) (CompleteIssue, error)

// CompleteIssue completes, in the same transaction, a document that an IssueFunc prepared.
type CompleteIssue func(ctx context.Context, tx bun.Tx) (*Document, error)

// Engine runs cases. It is safe for concurrent use; every process builds its own.
type Engine struct {
	db       *bun.DB
	enf      *policies.Enforcer
	versions func(ctx context.Context, hash string) (*catalog.Item, error)
	current  func(code string) (*catalog.Item, bool)
	clock    func() time.Time
	cal      *calendar.Calendar

	mu      sync.RWMutex
	effects map[string]EffectFunc
	issuer  IssueFunc
	bound   BoundCheck
	listed  ListedCheck

	items    sync.Map // version hash → *catalog.Item; versions never change once stored
	programs sync.Map // program key → *vm.Program
}

// Option changes how New builds an engine.
type Option func(*Engine)

// WithClock replaces the wall clock, so that tests can move time forward past a time limit.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.clock = now } }

// New returns an engine over db. versions loads a pinned catalogue version by its hash (normally
// catalog.Version); current returns the definition new cases start on (normally (*Catalog).Item).
func New(db *bun.DB, enf *policies.Enforcer, versions func(ctx context.Context, hash string) (*catalog.Item, error),
	current func(code string) (*catalog.Item, bool), opts ...Option) *Engine {
	e := &Engine{db: db, enf: enf, versions: versions, current: current, clock: time.Now, cal: calendar.New(db),
		effects: map[string]EffectFunc{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// CatalogNames are the roles and notification templates the engine acts with, for catalog.Load and
// catalog.Lint to check definitions against.
func CatalogNames() catalog.Names {
	n := catalog.Names{Templates: notify.TemplateNames()}
	for _, r := range policies.Roles {
		n.Roles = append(n.Roles, r.Name)
		if policies.StaffRole(r.Name) {
			n.StaffRoles = append(n.StaffRoles, r.Name)
		}
	}
	return n
}

// RegisterEffect makes fn the effect that definitions run by name. Registering a name again
// replaces the earlier function.
func (e *Engine) RegisterEffect(name string, fn EffectFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.effects[name] = fn
}

// BoundCheck decides, in the transaction that starts a case of an item about an organisation
// (catalog.Item.About), whether the applicant acts for the organisation with the credit code the
// application names, whether the jurisdiction the case goes to is the organisation's registration
// authority (the only one that decides about it), and whether the organisation meets the item's
// conditions on it (catalog.Item.RegisteredFullYears): nil if so, else a problem, which Start
// returns as it is. The register provides it (register.CheckBound); the engine cannot ask the
// register itself, which depends on it.
type BoundCheck func(ctx context.Context, tx bun.IDB, item *catalog.Item, applicantID int64, uscc, jurisdiction string) error

// SetBoundCheck makes fn what Start asks before a case about an organisation. Without one, such
// items cannot be started at all.
func (e *Engine) SetBoundCheck(fn BoundCheck) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bound = fn
}

// ListedCheck decides, in the transaction that starts a case of an item with refused_if_listed
// (catalog.Item.RefusedIfListed), whether the organisation with the credit code stands on any of
// those credit lists: nil if not, else a problem, which Start returns as it is. The credit package
// provides it (credit.CheckNotListed).
type ListedCheck func(ctx context.Context, tx bun.IDB, uscc string, lists []string) error

// SetListedCheck makes fn what Start asks before a case of an item refused to listed organisations.
// Without one, such items cannot be started at all.
func (e *Engine) SetListedCheck(fn ListedCheck) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listed = fn
}

// checkBound asks the BoundCheck whether the case's applicant acts for the organisation the item is
// about, then the ListedCheck whether the organisation is on a credit list the item refuses, and
// records its credit code in the case's fields; nothing for other items.
func (e *Engine) checkBound(ctx context.Context, tx bun.IDB, c *Case, item *catalog.Item) error {
	if item.About != catalog.AboutOrganisation {
		return nil
	}
	e.mu.RLock()
	check, listed := e.bound, e.listed
	e.mu.RUnlock()
	if check == nil {
		return fmt.Errorf("item %s is about an organisation, and no check of bound applicants is set", item.Code)
	}
	values, _ := c.Data[item.Form].(map[string]any)
	uscc, _ := values[catalog.OrganisationField].(string)
	if !item.ServesKind(uscc) {
		return ErrWrongKind
	}
	if err := check(ctx, tx, item, c.ApplicantID, uscc, c.Jurisdiction); err != nil {
		return err
	}
	if len(item.RefusedIfListed) > 0 {
		if listed == nil {
			return fmt.Errorf("item %s is refused to listed organisations, and no check of the credit lists is set", item.Code)
		}
		if err := listed(ctx, tx, uscc, item.RefusedIfListed); err != nil {
			return err
		}
	}
	c.Fields[catalog.OrganisationField] = uscc
	return nil
}

// ErrWrongKind refuses a case of an item about organisations of other kinds than the one named
// (catalog.Item.OrganisationKinds), on the form's uscc field.
var ErrWrongKind = func() error {
	var fe problem.Fields
	fe.Add(catalog.OrganisationField, "wrong_kind", "该组织的类型不适用本事项，请选择与组织类型（社会团体、民办非企业单位、基金会）相应的事项。",
		"This procedure is not for organisations of this kind: choose the one for its kind (social group, private non-enterprise unit, foundation).")
	return fe.Err()
}()

// ErrOpenCase refuses a case of an item about an organisation while the same item has an open case
// for it (a partial unique index of cases backs it, so two racing applications cannot both start).
var ErrOpenCase = &problem.Error{Kind: problem.Conflict, Code: "case_open",
	Message: problem.Text{ZH: "该组织已有一件同一事项的申请正在办理。", EN: "This organisation already has an open application for this item."},
	Fields: []problem.Field{{Path: catalog.OrganisationField, Code: "case_open", Message: problem.Text{
		ZH: "该组织已有一件同一事项的申请正在办理，请在其办结后再申请。",
		EN: "This organisation already has an open application for this item: apply again once it is closed."}}}}

// SetIssuer makes fn what issue effects call.
func (e *Engine) SetIssuer(fn IssueFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.issuer = fn
}

// issue returns what issue effects call: the issuer set, else the placeholder issueDocument.
func (e *Engine) issue() IssueFunc {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.issuer == nil {
		return issueDocument
	}
	return e.issuer
}

func (e *Engine) effect(name string) EffectFunc {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.effects[name]
}

// now is the engine's clock in UTC, cut to microseconds: what both databases store, so that a time
// read back equals the time written and hashes over it can be recomputed.
// Now is the engine's time (a test's clock when WithClock set one), for operations beside cases that
// must agree with it, such as opening an annual-report campaign.
func (e *Engine) Now() time.Time { return e.now() }

func (e *Engine) now() time.Time { return e.clock().UTC().Truncate(time.Microsecond) }

// Case is one application and its progress, a row of table cases.
type Case struct {
	bun.BaseModel `bun:"table:cases,alias:c"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	Number       string `json:"number"` // <jurisdiction>-<year>-<six-digit sequence>
	ItemCode     string `json:"item_code"`
	VersionHash  string `json:"version_hash"` // the catalogue version the case runs on
	Jurisdiction string `json:"jurisdiction"`
	// QueryCode, random and given to the case's people only, is what lets anyone look the case's
	// progress up by its number without logging in (see Progress); the acceptance notice prints it.
	// Views for anyone but the case's people leave it empty (hideQueryCode).
	QueryCode   string `bun:",nullzero" json:"query_code,omitempty"`
	ApplicantID int64  `json:"applicant_id"`
	// OrgName is the name of the organisation the case is about and CreditCode its unified social
	// credit code once it has one, kept on the row for the staff search (see setSubject); both are
	// empty for a case about a person.
	OrgName    string `json:"org_name,omitempty"`
	CreditCode string `json:"credit_code,omitempty"`
	// Parties are the other people the case concerns (the other spouse of a divorce registration), a
	// table of their own: see isParty.
	Parties []int64 `bun:"-" json:"parties,omitempty"`
	State   string  `json:"state"`
	// Version counts the case's changes (and events); Apply takes the version the caller saw.
	Version int64 `json:"version"`
	// LastHash is the hash of the case's last event, the head of its hash chain (see writeCase).
	LastHash string `json:"-"`
	// Data holds the submitted forms' normalised values by form ID.
	Data map[string]any `json:"data,omitempty"`
	// Fields holds what actions entered and set effects computed, by name. Times are RFC 3339
	// strings in UTC; expressions see them as times.
	Fields map[string]any `json:"fields,omitempty"`
	// Supplement is the open 补正 notice, while the applicant has to answer it.
	Supplement *Supplement `json:"supplement,omitempty"`
	// Cosign holds, by action ID, the users who signed a co-signed action not yet complete.
	Cosign         map[string][]int64 `bun:",nullzero" json:"cosign,omitempty"`
	Outcome        string             `json:"outcome"` // approved, refused or withdrawn once closed
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	StateEnteredAt time.Time          `json:"state_entered_at"`
	ClosedAt       *time.Time         `json:"closed_at,omitempty"`
	// AssigneeID is the reviewer an approver assigned the case to (承办人, see Assign): staff work,
	// left out of the views of the case's people.
	AssigneeID *int64 `json:"assignee_id,omitempty"`
	// Concurrent marks a case of an item whose organisation may have several open at once
	// (catalog.Item.ConcurrentCases); any other case about an organisation is its item's only open
	// one for that organisation, which a partial unique index of cases enforces.
	Concurrent bool `json:"-"`
	// Due is the case's running or paused clock, filled in by the lists (MyCases, Inbox).
	Due *CaseDue `bun:"-" json:"due,omitempty"`
}

// isParty reports whether the user is one of the people whose case it is: the applicant or another
// party. Every rule about the applicant holds for all of them: each reads the case, takes the
// applicant's actions (withdrawal included) and gets the applicant's notifications, and none of them
// handles the case, whatever roles they hold.
func (c *Case) isParty(userID int64) bool {
	return userID > 0 && (userID == c.ApplicantID || slices.Contains(c.Parties, userID))
}

// hideQueryCode empties the query code unless the viewer is one of the case's people: staff read
// the case itself and need no lookup, and a code on their screens would only travel further.
func (c *Case) hideQueryCode(viewerID int64) {
	if !c.isParty(viewerID) {
		c.QueryCode = ""
	}
}

// people lists the applicant and the other parties, for notifications to the applicant: none for
// the applicant of an entered case (NoApplicant), who has no account to notify.
func (c *Case) people() []int64 {
	if c.ApplicantID == NoApplicant {
		return slices.Clone(c.Parties)
	}
	return append([]int64{c.ApplicantID}, c.Parties...)
}

// Entered reports whether staff entered the case for an applicant who applied outside the service
// and has no account here (Entered).
func (c *Case) Entered() bool { return c.ApplicantID == NoApplicant }

// caseParty is a row of table case_parties: a person the case concerns besides its applicant.
type caseParty struct {
	bun.BaseModel `bun:"table:case_parties,alias:pt"`

	CaseID int64
	UserID int64
}

// partiesOf reads the parties of the cases, by case ID.
func partiesOf(ctx context.Context, db bun.IDB, caseIDs []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(caseIDs) == 0 {
		return out, nil
	}
	var rows []caseParty
	if err := db.NewSelect().Model(&rows).Where("case_id IN (?)", bun.List(caseIDs)).OrderExpr("case_id, user_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the parties of %d cases: %w", len(caseIDs), err)
	}
	for _, r := range rows {
		out[r.CaseID] = append(out[r.CaseID], r.UserID)
	}
	return out, nil
}

// Supplement is a 补正 notice: every field and material to correct, in one notice.
type Supplement struct {
	// Form is the form whose data the notice is about.
	Form string `json:"form"`
	// Items are field paths of that form ("name", "members[2].id_number", "members") and material IDs
	// of the item; only these may change when the applicant answers.
	Items       []string  `json:"items"`
	Notice      string    `json:"notice"`
	RequestedBy int64     `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
}

// Event is one entry of a case's history, a row of table case_events. Each event's hash covers its
// content and the hash of the event before, so that a changed or removed event shows.
type Event struct {
	bun.BaseModel `bun:"table:case_events,alias:ev"`

	ID          int64          `bun:",pk,autoincrement" json:"id"`
	CaseID      int64          `json:"case_id"`
	Seq         int            `json:"seq"` // 1, 2, … per case
	At          time.Time      `json:"at"`
	ActorUserID *int64         `json:"actor_user_id,omitempty"`
	Actor       string         `json:"actor"`
	Action      string         `json:"action"` // "start", an action ID, or "cosign" for a signature short of the last
	From        string         `bun:"from_state" json:"from"`
	To          string         `bun:"to_state" json:"to"`
	Comment     string         `json:"comment,omitempty"`
	Changes     map[string]any `bun:",nullzero" json:"changes,omitempty"`
	PrevHash    string         `json:"prev_hash"`
	Hash        string         `json:"hash"`
}

// Document is a decision notice or certificate issued by an issue effect, a row of table documents.
// Its PDF is in document_files under SHA256 (none for a certificate printed at the window); a
// reissue supersedes it rather than changing it.
type Document struct {
	bun.BaseModel `bun:"table:documents,alias:d"`

	ID             int64          `bun:",pk,autoincrement" json:"id"`
	CaseID         int64          `json:"case_id"`
	Kind           string         `json:"kind"`
	Action         string         `json:"action"` // the action that issued it
	Number         string         `json:"number"` // the document number (文号), unique
	Title          string         `json:"title"`  // the template's Chinese title when issued
	Holder         string         `json:"holder"` // to whom it is issued
	HolderIsPerson bool           `json:"holder_is_person"`
	IssuedAt       time.Time      `json:"issued_at"`
	VerifyCode     *string        `json:"verify_code,omitempty"` // nil when nothing was rendered
	SHA256         string         `bun:"sha256" json:"sha256,omitempty"`
	Signature      string         `json:"signature,omitempty"` // Ed25519, base64, over documents.Particulars
	Status         string         `json:"status"`              // valid, superseded or revoked
	SupersededBy   *int64         `json:"superseded_by,omitempty"`
	OrganisationID *int64         `json:"organisation_id,omitempty"`
	Data           map[string]any `bun:",nullzero" json:"data,omitempty"`
}

// The statuses of a document.
const (
	DocumentValid      = "valid"
	DocumentSuperseded = "superseded"
	DocumentRevoked    = "revoked"
)

// Printed reports whether the document exists only on paper printed at the window (no PDF).
func (d *Document) Printed() bool { return d.SHA256 == "" }

// Problems of Apply, worded once.
var (
	errActionNotAvailable = problem.New(problem.Conflict, "action_not_available",
		"当前状态下不能办理此操作。", "This action is not available in the case's current state.")
	errAlreadySigned = problem.New(problem.Conflict, "already_signed",
		"您已经签署过此操作，需由其他人员会签。", "You have already signed this action; another person must co-sign.")
	errNoSupplement = problem.New(problem.Conflict, "no_supplement",
		"该申请没有待补正的通知。", "There is no open supplement notice on this case.")
)

// staleVersion is the conflict of an action taken on a version of the case that is no longer
// current; Detail carries the current state and version so that the client can reload.
func staleVersion(state string, version int64) error {
	p := problem.New(problem.Conflict, "stale_version",
		"该申请已被他人处理或已更新，请刷新后重试。", "The case has changed since you loaded it; reload and try again.")
	p.Detail = map[string]any{"state": state, "version": version}
	return p
}

// guardFailed is the conflict of an action whose guard does not hold.
func guardFailed(a *catalog.Action) error {
	return problem.New(problem.Conflict, "guard_failed",
		fmt.Sprintf("不满足办理“%s”的条件。", a.Name.ZH),
		fmt.Sprintf("The conditions for “%s” are not met.", nonEmpty(a.Name.EN, a.ID)))
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// item returns the pinned catalogue version hash, cached: a version never changes once stored.
func (e *Engine) item(ctx context.Context, hash string) (*catalog.Item, error) {
	if v, ok := e.items.Load(hash); ok {
		return v.(*catalog.Item), nil
	}
	it, err := e.versions(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("loading catalogue version %s: %w", hash, err)
	}
	if it == nil {
		return nil, fmt.Errorf("catalogue version %s: not found", hash)
	}
	e.items.Store(hash, it)
	return it, nil
}

// caseWithParty is a row of a case joined with one of its parties (none: PartyID nil).
type caseWithParty struct {
	Case    `bun:",extend"`
	PartyID *int64 `bun:"party_id"`
}

// loadCase reads case id with its parties in one query, or returns problem.ErrNotFound.
func loadCase(ctx context.Context, db bun.IDB, id int64) (*Case, error) {
	cases, err := loadCases(ctx, db, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, problem.ErrNotFound
	}
	return cases[id], nil
}

// loadCases reads the cases of ids with their parties in one query, by ID; a missing case is absent.
func loadCases(ctx context.Context, db bun.IDB, ids []int64) (map[int64]*Case, error) {
	var rows []caseWithParty
	err := db.NewSelect().Model(&rows).ColumnExpr("c.*").ColumnExpr("pt.user_id AS party_id").
		Join("LEFT JOIN case_parties AS pt ON pt.case_id = c.id").Where("c.id IN (?)", bun.List(ids)).
		OrderExpr("c.id, pt.user_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading cases %v: %w", ids, err)
	}
	out := make(map[int64]*Case, len(ids))
	for i := range rows {
		c := out[rows[i].ID]
		if c == nil {
			c = &rows[i].Case
			out[c.ID] = c
		}
		if rows[i].PartyID != nil {
			c.Parties = append(c.Parties, *rows[i].PartyID)
		}
	}
	return out, nil
}

// mayRead reports whether the actor may see the case: its applicant or another party, or staff with
// case:read in its jurisdiction. Everyone else is told the case does not exist, so that one applicant cannot learn of
// another's cases.
func (e *Engine) mayRead(actor audit.Actor, c *Case) bool {
	if actor.UserID <= 0 {
		return false
	}
	return c.isParty(actor.UserID) || e.enf.Allowed(actor.UserID, c.Jurisdiction, "case", "read")
}

// readableCase loads the case for an actor who may read it (mayRead): a caller without a user gets
// problem.ErrLoginRequired, one who may not read the case problem.ErrNotFound.
func (e *Engine) readableCase(ctx context.Context, actor audit.Actor, caseID int64) (*Case, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	c, err := loadCase(ctx, e.db, caseID)
	if err != nil {
		return nil, err
	}
	if !e.mayRead(actor, c) {
		return nil, problem.ErrNotFound
	}
	return c, nil
}

// mayTake reports whether the actor is among those the action names: the applicant (or another
// party), or a holder of one of its roles in the case's jurisdiction. A withdrawal is the applicant's
// whatever it names.
// Actions naming "system" are taken by the system actor (a timer) only: no person takes them.
func (e *Engine) mayTake(actor audit.Actor, c *Case, a *catalog.Action) bool {
	if actor.UserID <= 0 {
		return actor.Label == audit.System.Label && slices.Contains(a.By, catalog.System)
	}
	applicant := c.isParty(actor.UserID)
	if a.Kind == catalog.KindWithdraw && !applicant {
		return false
	}
	for _, by := range a.By {
		if by == catalog.System {
			continue
		}
		if by == catalog.Applicant {
			if applicant {
				return true
			}
			continue
		}
		// Nobody handles their own case, whatever roles they hold.
		if !applicant && e.enf.HasRole(actor.UserID, by, c.Jurisdiction) {
			return true
		}
	}
	return false
}

// rolesIn lists the roles the user holds in the jurisdiction, for expressions (actor.roles).
func (e *Engine) rolesIn(userID int64, jurisdiction string) []string {
	var out []string
	if userID <= 0 {
		return out
	}
	for _, r := range policies.Roles {
		if e.enf.HasRole(userID, r.Name, jurisdiction) {
			out = append(out, r.Name)
		}
	}
	return out
}

// env is what expressions see of the case for the actor at now.
func (e *Engine) env(actor audit.Actor, c *Case, now time.Time) catalog.Env {
	return catalog.Env{
		Data:   c.Data,
		Fields: envFields(c.Fields),
		Actor: catalog.ActorEnv{ID: actor.UserID, Applicant: c.isParty(actor.UserID),
			Roles: e.rolesIn(actor.UserID, c.Jurisdiction)},
		Case: catalog.CaseEnv{Number: c.Number, State: c.State, Jurisdiction: c.Jurisdiction,
			CreatedAt: c.CreatedAt.In(calendar.Zone), StateEnteredAt: c.StateEnteredAt.In(calendar.Zone)},
		Now: now.In(calendar.Zone),
	}
}

// envFields is the case's fields as expressions see them: a string in full RFC 3339 form (a time a
// set effect stored) becomes a time in Asia/Shanghai, so that months_between(fields.x, now) works;
// dates entered as YYYY-MM-DD stay strings, for date(fields.y).
func envFields(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok && len(s) >= len("2006-01-02T15:04:05Z") {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				out[k] = t.In(calendar.Zone)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// storedValue is how a value computed by a set effect is stored in the case's fields: times as
// RFC 3339 strings in UTC, everything else as it is.
func storedValue(v any) any {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format(time.RFC3339)
	case *time.Time:
		if t == nil {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	return v
}

// program compiles an expression once per catalogue version and place, with compile chosen by the
// expression's use (catalog.CompileBool or catalog.CompileValue).
func (e *Engine) program(key, src string, compile func(string) (*vm.Program, error)) (*vm.Program, error) {
	if p, ok := e.programs.Load(key); ok {
		return p.(*vm.Program), nil
	}
	p, err := compile(src)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", key, err)
	}
	e.programs.Store(key, p)
	return p, nil
}

// guardHolds evaluates the action's guard. An error while running it (a field the expression needs
// is missing, say) counts as the guard not holding, and is logged for the catalogue's maintainers.
func (e *Engine) guardHolds(item *catalog.Item, a *catalog.Action, env catalog.Env) (bool, error) {
	if a.Guard == "" {
		return true, nil
	}
	p, err := e.program(item.Hash+"\x00guard\x00"+a.ID, a.Guard, catalog.CompileBool)
	if err != nil {
		return false, err
	}
	out, err := catalog.Run(p, env)
	if err != nil {
		slog.Warn("workflow: guard failed to run", "item", item.Code, "version", item.Hash, "action", a.ID, "err", err)
		return false, nil
	}
	ok, _ := out.(bool)
	return ok, nil
}

// findAction returns the action with the ID that can be taken from state.
func findAction(item *catalog.Item, id, state string) (*catalog.Action, bool) {
	for i := range item.Workflow.Actions {
		a := &item.Workflow.Actions[i]
		if a.ID == id && slices.Contains(a.From, state) {
			return a, true
		}
	}
	return nil, false
}

// FormOptions are the validation options of a form now, for a check made outside the engine that
// must agree with it: a member list imported into a form (tables.Import).
func (e *Engine) FormOptions(ctx context.Context) forms.Options { return e.formOptions(ctx, e.now()) }

// formOptions are the validation options at now: the division codes that exist are those of the
// jurisdictions table.
func (e *Engine) formOptions(ctx context.Context, now time.Time) forms.Options {
	known := func(code string) bool {
		_, err := jurisdictions.Get(ctx, e.db, code)
		return err == nil
	}
	return forms.Options{Division: known, Now: now.In(calendar.Zone)}
}

// actorLabel is how events name the actor.
func actorLabel(a audit.Actor) string {
	if a.Label != "" {
		return a.Label
	}
	if a.UserID > 0 {
		return fmt.Sprintf("user:%d", a.UserID)
	}
	return audit.System.Label
}
