// Package register keeps the public register of social organisations (社会组织): social groups,
// private non-enterprise units and foundations registered by the department, each with the unified
// social credit code this installation issued it.
package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/problem"
)

// The kinds of social organisation, named after their type digit in the credit code (51, 52, 53).
const (
	KindSocialGroup          = "social_group"           // 社会团体, 51
	KindPrivateNonEnterprise = "private_non_enterprise" // 民办非企业单位 / 社会服务机构, 52
	KindFoundation           = "foundation"             // 基金会, 53
)

// Kinds lists every kind, for forms and validation.
var Kinds = []string{KindSocialGroup, KindPrivateNonEnterprise, KindFoundation}

// kindDigits is the second character of the credit code of each kind, as the catalogue names the
// kinds an item about an organisation serves.
var kindDigits = catalog.KindDigits

// The statuses an organisation can have on the register.
const (
	StatusActive       = "active"       // registered and in business
	StatusDeregistered = "deregistered" // 注销: closed at its own request
	StatusRevoked      = "revoked"      // 撤销: registration withdrawn by the authority
)

// Statuses lists every status.
var Statuses = []string{StatusActive, StatusDeregistered, StatusRevoked}

// Organisation is one entry of the register.
type Organisation struct {
	bun.BaseModel `bun:"table:organisations"`

	ID                  int64     `bun:",pk,autoincrement" json:"id"`
	USCC                string    `bun:"uscc" json:"uscc"`
	Name                string    `json:"name"`
	Kind                string    `json:"kind"`
	Jurisdiction        string    `json:"jurisdiction"`
	Domicile            string    `json:"domicile"`
	LegalRepresentative string    `json:"legal_representative"`
	Status              string    `json:"status"`
	CaseID              *int64    `json:"case_id,omitempty"`
	RegisteredAt        time.Time `json:"registered_at"`
	// Data holds the further particulars taken from the registration case. It may name people: the
	// public register shows Public() instead.
	Data map[string]any `json:"data,omitempty"`
}

// Public returns the entry as anyone may see it, without the case and the further particulars.
func (o Organisation) Public() Organisation {
	o.CaseID = nil
	o.Data = nil
	return o
}

// Particulars are the further particulars the public register shows, as people read them (an
// option's label, money in 万元 in Chinese), empty when unknown: an organisation imported from paper
// may have none. They name no person.
type Particulars struct {
	BusinessScope lang.Text `json:"business_scope"`
	ActivityArea  lang.Text `json:"activity_area"`
	Funds         lang.Text `json:"funds"`
	SponsorUnit   lang.Text `json:"sponsor_unit"`
}

// Particulars reads the public particulars from the entry's data, where the registration put them.
func (o Organisation) Particulars() Particulars {
	stored, _ := o.Data["particulars"].(map[string]any)
	text := func(key string) lang.Text {
		switch v := stored[key].(type) {
		case lang.Text:
			return v
		case map[string]any: // read back from the database
			zh, _ := v["zh"].(string)
			en, _ := v["en"].(string)
			return lang.Text{ZH: zh, EN: en}
		}
		return lang.Text{}
	}
	return Particulars{BusinessScope: text("business_scope"), ActivityArea: text("activity_area"),
		Funds: text("funds"), SponsorUnit: text("sponsor_unit")}
}

// The kinds of registered event. Other procedures about an organisation add theirs (RecordEvent).
const (
	EventEstablished = "established" // 成立登记
	EventChanged     = "changed"     // 变更登记
)

// Event is a registered event in an organisation's public history: its establishment or import, and
// what procedures about it recorded since (RecordEvent).
type Event struct {
	Kind string    `json:"kind"` // EventEstablished, EventImported, EventChanged, EventProcedure or another procedure's
	At   time.Time `json:"at"`
	// On is At's day in China, what people read (At in UTC may fall on the day before).
	On       calendar.Date `json:"on"`
	Decision string        `json:"decision_number,omitempty"` // the number of the approving decision, when known
	// Title names the procedure of an EventProcedure (社会团体注销登记, 换届备案).
	Title lang.Text `json:"title,omitzero"`
	// Changes are the particulars a change registration changed, each with its previous value.
	Changes []Change `json:"changes,omitempty"`
	// Note is a short public remark of the procedure that recorded the event (a level, a reason).
	Note string `json:"note,omitempty"`
	// CaseID is the case that made the event, if one did; not public.
	CaseID *int64 `json:"-"`
}

// History lists the registered events the organisation's own entry tells, the oldest first: its
// establishment registration, with the decision's number, when this installation registered it; for an
// organisation taken over from the department's earlier register each import that wrote it. An
// imported organisation has no establishment event: the earlier register gives its date of
// registration (RegisteredAt, a particular the page shows) but not the decision, and an event
// without its decision would read as one this register made. HistoryOf adds the recorded events.
func (o Organisation) History() []Event {
	imports := importsOf(o.Data)
	var events []Event
	if o.CaseID != nil || len(imports) == 0 {
		number, _ := o.Data["decision_number"].(string)
		events = append(events, Event{Kind: EventEstablished, At: o.RegisteredAt, On: calendar.DateOf(o.RegisteredAt), Decision: number})
	}
	for _, i := range imports {
		m, _ := i.(map[string]any)
		at, _ := m["at"].(string)
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			events = append(events, Event{Kind: EventImported, At: t, On: calendar.DateOf(t)})
		}
	}
	return events
}

// NewOrganisation is what a registration decision puts on the register.
type NewOrganisation struct {
	Name                string
	Kind                string // one of Kinds
	Jurisdiction        string // division code of the registration authority; also goes into the credit code
	Domicile            string
	LegalRepresentative string
	CaseID              int64 // the registration case; 0 for none (an import)
	Data                map[string]any
}

// Limits on the text fields, in characters.
const (
	maxNameLength     = 200
	maxDomicileLength = 500
	maxPersonLength   = 100
)

// Create validates o, issues its credit code and puts it on the register as active, registered now.
// Call it in the transaction of the decision: the code's number is returned to the sequence on a
// rollback. Every invalid field is reported at once as one Invalid problem.
func Create(ctx context.Context, tx bun.IDB, o NewOrganisation) (*Organisation, error) {
	o.Name = strings.TrimSpace(o.Name)
	o.Jurisdiction = strings.TrimSpace(o.Jurisdiction)
	o.Domicile = strings.TrimSpace(o.Domicile)
	o.LegalRepresentative = strings.TrimSpace(o.LegalRepresentative)
	var fe problem.Fields
	checkText(&fe, "name", o.Name, true, maxNameLength)
	checkText(&fe, "domicile", o.Domicile, false, maxDomicileLength)
	checkText(&fe, "legal_representative", o.LegalRepresentative, false, maxPersonLength)
	if _, ok := kindDigits[o.Kind]; !ok {
		fe.Add("kind", "invalid", "组织类型须为社会团体、民办非企业单位或基金会。",
			"The kind must be social_group, private_non_enterprise or foundation.")
	}
	if !jurisdictions.ValidCode(o.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "登记管理机关须为六位行政区划代码。",
			"The jurisdiction must be a six-digit division code.")
	} else if _, err := jurisdictions.Get(ctx, tx, o.Jurisdiction); errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "unknown", "没有该行政区划。", "There is no such jurisdiction.")
	} else if err != nil {
		return nil, fmt.Errorf("registering %s: %w", o.Name, err)
	}
	if o.CaseID < 0 {
		fe.Add("case_id", "invalid", "案件编号无效。", "The case ID is invalid.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	code, err := NewUSCC(ctx, tx, o.Kind, o.Jurisdiction)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", o.Name, err)
	}
	org := &Organisation{
		USCC: code, Name: o.Name, Kind: o.Kind, Jurisdiction: o.Jurisdiction, Domicile: o.Domicile,
		LegalRepresentative: o.LegalRepresentative, Status: StatusActive,
		RegisteredAt: time.Now().UTC().Truncate(time.Microsecond), Data: o.Data,
	}
	if o.CaseID != 0 {
		id := o.CaseID
		org.CaseID = &id
	}
	if _, err := tx.NewInsert().Model(org).Exec(ctx); err != nil {
		return nil, fmt.Errorf("registering %s: %w", o.Name, err)
	}
	if err := nameindex.Index(ctx, tx, org.ID, org.Name); err != nil {
		return nil, fmt.Errorf("registering %s: %w", o.Name, err)
	}
	return org, nil
}

// checkText records an error on path when s is missing though required, too long, or holds control
// or invisible format characters (a bidi override would show a name other than the one searched).
func checkText(fe *problem.Fields, path, s string, required bool, max int) {
	switch {
	case s == "" && required:
		fe.Add(path, "required", "必填。", "Required.")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) || forms.InvisibleFormat(s, false):
		fe.Add(path, "invalid", "含有不允许的字符。", "Contains characters that are not allowed.")
	case utf8.RuneCountInString(s) > max:
		fe.Add(path, "too_long", fmt.Sprintf("最多%d个字符。", max), fmt.Sprintf("At most %d characters.", max))
	}
}

// Get returns the organisation with id, or problem.ErrNotFound.
func Get(ctx context.Context, db bun.IDB, id int64) (*Organisation, error) {
	return getWhere(ctx, db, "id = ?", id)
}

// ByUSCC returns the organisation with the credit code (letters in either case), or
// problem.ErrNotFound.
func ByUSCC(ctx context.Context, db bun.IDB, code string) (*Organisation, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != 18 {
		return nil, problem.ErrNotFound
	}
	return getWhere(ctx, db, "uscc = ?", code)
}

func getWhere(ctx context.Context, db bun.IDB, where string, arg any) (*Organisation, error) {
	o := new(Organisation)
	err := db.NewSelect().Model(o).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading organisation (%s %v): %w", where, arg, err)
	}
	return o, nil
}
