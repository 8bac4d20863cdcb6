package notices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// The names of the workflow effects of this package, which items `run:` (docs/catalog.md).
const (
	EffectEstablishment  = "notices.publish_establishment"
	EffectLicence        = "notices.publish_licence_decision"
	EffectDeregistration = "notices.publish_deregistration"
	EffectChange         = "notices.publish_change"
)

// LicenceCategory is the catalogue category of the items whose decisions are administrative
// licences (行政许可): an item says it is one by its `category`, and only such an item may run
// EffectLicence.
const LicenceCategory = "行政许可"

// Licence holds the fields of a 双公示 entry of a licence decision (domain.md §5) as they were when
// it was published. The current status (当前状态) is the licence's and changes after publication, so
// it is not stored but read by Status; the update time (数据更新时间) is the notice's.
type Licence struct {
	DecisionNumber string `json:"decision_number"`     // 许可决定文书号
	ItemName       string `json:"item_name"`           // 项目名称
	Category       string `json:"category"`            // 审批类别
	Outcome        string `json:"outcome"`             // approved (准予) or refused (不予)
	Content        string `json:"content"`             // 许可内容
	PartyName      string `json:"party_name"`          // 行政相对人名称
	USCC           string `json:"uscc,omitempty"`      // 统一社会信用代码
	IDNumber       string `json:"id_number,omitempty"` // a person's ID number, masked
	// LegalRepresentative (法定代表人) is published for an approval only: the intended representative
	// of an organisation that a refusal kept from being formed is a private person.
	LegalRepresentative string `json:"legal_representative,omitempty"`
	DecidedOn           string `json:"decided_on"` // 许可决定日期, YYYY-MM-DD in China
	// ValidUntil (许可截止期, YYYY-MM-DD) is the last day of the certificate the approval issued, else
	// the case's valid_until field; empty for a refusal, which grants nothing, and for a licence
	// without an end.
	ValidUntil   string `json:"valid_until,omitempty"`
	Jurisdiction string `json:"jurisdiction"` // 地方编码 of the 许可机关
	// Authority (许可机关) is the name of the authority that decided, as its documents name it; empty on
	// entries published before it was recorded, which name it from Jurisdiction.
	Authority string `json:"authority,omitempty"`
	Note      string `json:"note,omitempty"` // 备注
}

// MaskID hides the birth date and sequence of a resident ID number (GB 11643), as published entries
// must: the division code and the last four characters stay. Anything that is not 15 or 18
// characters long is hidden whole but its last character.
func MaskID(id string) string {
	r := []rune(strings.TrimSpace(id))
	switch {
	case len(r) == 18:
		return string(r[:6]) + strings.Repeat("*", 8) + string(r[14:])
	case len(r) == 15:
		return string(r[:6]) + strings.Repeat("*", 6) + string(r[12:])
	case len(r) > 1:
		return strings.Repeat("*", len(r)-1) + string(r[len(r)-1:])
	}
	return strings.Repeat("*", len(r))
}

// DecisionNumber is the number of the decision a case's last action took: the decision number the
// approver entered, else the number of the last document the case was issued (the decision itself,
// as a refusal issues it in the same action). This is the one place that reads it, to change when
// documents get their 文号.
func DecisionNumber(ctx context.Context, tx bun.IDB, c *workflow.Case) (string, error) {
	if dn, ok := c.Fields["decision_number"].(string); ok && dn != "" {
		return dn, nil
	}
	var d workflow.Document
	err := tx.NewSelect().Model(&d).Where("case_id = ?", c.ID).OrderExpr("id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the decision number of case %s: %w", c.Number, err)
	}
	return d.Number, nil
}

// party is who a decision concerns, read from the case's forms, the latest stage's answer first.
type party struct {
	name, legalRep, idNumber string
}

func partyOf(c *workflow.Case, item *catalog.Item) party {
	var p party
	ids := item.FormIDs()
	slices.Reverse(ids)
	for _, formID := range ids {
		values, _ := c.Data[formID].(map[string]any)
		if s, _ := values["name"].(string); p.name == "" && s != "" {
			p.name = s
		}
		if lr, ok := values["legal_representative"].(map[string]any); ok && p.legalRep == "" {
			p.legalRep, _ = lr["name"].(string)
		}
		if s, _ := values["id_number"].(string); p.idNumber == "" && s != "" {
			p.idNumber = s
		}
	}
	return p
}

// outcomeOf is the outcome of the state the case is in: approved or refused for a decision.
func outcomeOf(c *workflow.Case, item *catalog.Item) string {
	for _, s := range item.Workflow.States {
		if s.ID == c.State {
			return s.Outcome
		}
	}
	return ""
}

// publishSystem inserts a system entry of case c, published at once in the decision's transaction:
// it repeats a decision already approved, so it has no second review.
func publishSystem(ctx context.Context, tx bun.Tx, c *workflow.Case, category, kind, title, body string, l *Licence) error {
	caseID := c.ID
	_, err := PublishSystem(ctx, tx, c.Jurisdiction, &caseID, category, kind, title, body, l)
	if err != nil {
		return fmt.Errorf("case %s: %w", c.Number, err)
	}
	return nil
}

// PublishSystem inserts an entry the system writes, published at once in tx: one that repeats
// decisions already taken (a case's, or the results of an annual-report campaign), so it has no
// second review. caseID is nil for an entry of no single case.
func PublishSystem(ctx context.Context, tx bun.IDB, jurisdiction string, caseID *int64, category, kind, title, body string,
	l *Licence) (*Notice, error) {
	t := now()
	n := &Notice{Category: category, Kind: kind, Jurisdiction: jurisdiction, Status: StatusPublished, Title: title,
		Version: 1, CaseID: caseID, CreatedAt: t, PublishedAt: &t, UpdatedAt: t}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return nil, fmt.Errorf("publishing the %s notice: %w", kind, err)
	}
	v := &Version{NoticeID: n.ID, Number: 1, Status: VersionPublished, Title: title, Body: body, Licence: l,
		CreatedAt: t, PublishedAt: &t}
	if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
		return nil, fmt.Errorf("publishing the %s notice: %w", kind, err)
	}
	return n, nil
}

// Effects are the workflow effects of this package. They name the authority of the decision and the
// certificate it issued, so they hold the document issuer and the catalogue, whose authorities.yaml
// names the departments.
type Effects struct {
	Issuer  *documents.Issuer
	Catalog *catalog.Catalog
}

// fundsLabel is what the funds of each kind of organisation are called: a social group's registered
// funds, a private non-enterprise unit's start-up funds, a foundation's original fund.
var fundsLabel = map[string]string{register.KindSocialGroup: "注册资金", register.KindPrivateNonEnterprise: "开办资金",
	register.KindFoundation: "原始基金"}

// decisionOf is the number of the decision the case's action took and the authority that took it,
// which an organisation's notice names.
func (fx Effects) decisionOf(ctx context.Context, tx bun.Tx, c *workflow.Case, jurisdiction string) (string, documents.Authority, error) {
	number, err := DecisionNumber(ctx, tx, c)
	if err != nil {
		return "", documents.Authority{}, err
	}
	auth, err := documents.AuthorityFor(ctx, tx, fx.Catalog, jurisdiction)
	if err != nil {
		return "", documents.Authority{}, fmt.Errorf("naming the authority of case %s: %w", c.Number, err)
	}
	return number, auth, nil
}

// Establishment is the workflow effect EffectEstablishment: the 社会组织成立公告 of an organisation
// the decision just registered, with the particulars the public register shows of it. Run it after
// register.create_organisation.
func (fx Effects) Establishment(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := register.ForCase(ctx, tx, c)
	if err != nil {
		return err
	}
	if o == nil {
		return fmt.Errorf("case %s: %s runs after register.create_organisation, which registers the organisation", c.Number, EffectEstablishment)
	}
	number, auth, err := fx.decisionOf(ctx, tx, c, o.Jurisdiction)
	if err != nil {
		return err
	}
	p := o.Particulars()
	var b strings.Builder
	fmt.Fprintf(&b, "经审查，%s符合法定成立条件，准予成立登记。\n\n", o.Name)
	for _, line := range [][2]string{{"名称", o.Name}, {"统一社会信用代码", o.USCC}, {"住所", o.Domicile},
		{"法定代表人", o.LegalRepresentative}, {"业务范围", p.BusinessScope.ZH}, {"活动地域", p.ActivityArea.ZH},
		{fundsLabel[o.Kind], p.Funds.ZH}, {"业务主管单位", p.SponsorUnit.ZH}, {"登记管理机关", auth.Name}, {"登记决定文号", number}} {
		if line[1] != "" { // an empty particular is unknown, not worth a line
			fmt.Fprintf(&b, "%s：%s\n", line[0], line[1])
		}
	}
	fmt.Fprintf(&b, "成立登记日期：%s\n\n特此公告。", calendar.DateOf(o.RegisteredAt))
	return publishSystem(ctx, tx, c, CategoryOrganisations, KindEstablishment, o.Name+"成立登记公告", b.String(), nil)
}

// Deregistration is the workflow effect EffectDeregistration: the 社会组织注销公告 of the organisation
// the case is about, which the decision just deregistered (run it after register.deregister): its
// name, credit code, 住所 and 法定代表人 as the register has them, the 登记管理机关, the decision number
// and the day.
func (fx Effects) Deregistration(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := register.Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	if o.Status != register.StatusDeregistered {
		return fmt.Errorf("case %s: %s runs after register.deregister, which deregisters the organisation", c.Number, EffectDeregistration)
	}
	number, auth, err := fx.decisionOf(ctx, tx, c, o.Jurisdiction)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "经审查，%s符合注销登记条件，准予注销登记。\n\n", o.Name)
	for _, line := range [][2]string{{"名称", o.Name}, {"统一社会信用代码", o.USCC}, {"住所", o.Domicile},
		{"法定代表人", o.LegalRepresentative}, {"登记管理机关", auth.Name}, {"注销登记决定文号", number}} {
		if line[1] != "" {
			fmt.Fprintf(&b, "%s：%s\n", line[0], line[1])
		}
	}
	fmt.Fprintf(&b, "注销登记日期：%s\n\n自注销登记之日起，该组织的登记证书、印章作废，不得再以该组织名义开展活动。\n\n特此公告。",
		calendar.DateOf(time.Now()))
	return publishSystem(ctx, tx, c, CategoryOrganisations, KindDeregistration, o.Name+"注销登记公告", b.String(), nil)
}

// changeLabels name the particulars of a change registration as its notice prints them.
var changeLabels = map[string]string{"name": "名称", "domicile": "住所", "legal_representative": "法定代表人",
	"business_scope": "业务范围", "funds": "注册资金", "sponsor_unit": "业务主管单位"}

// Change is the workflow effect EffectChange: the 社会组织变更登记公告 of the change the decision just
// applied to the register, each changed particular with its previous and new value. Run it after
// register.apply_change.
func (fx Effects) Change(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := register.ForCase(ctx, tx, c)
	if err != nil {
		return err
	}
	changes, err := register.CaseChanges(ctx, tx, c, item)
	if err != nil {
		return err
	}
	if o == nil || len(changes) == 0 {
		return fmt.Errorf("case %s: %s runs after register.apply_change, which changes an organisation of the register", c.Number, EffectChange)
	}
	number, auth, err := fx.decisionOf(ctx, tx, c, o.Jurisdiction)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "经审查，准予%s（统一社会信用代码：%s）变更登记。\n\n变更事项：\n", o.Name, o.USCC)
	for _, ch := range changes {
		fmt.Fprintf(&b, "%s：由“%s”变更为“%s”\n", changeLabels[ch.Particular], ch.Old.ZH, ch.New.ZH)
	}
	fmt.Fprintf(&b, "\n登记管理机关：%s\n", auth.Name)
	if number != "" {
		fmt.Fprintf(&b, "变更登记决定文号：%s\n", number)
	}
	fmt.Fprintf(&b, "变更登记日期：%s\n\n特此公告。", calendar.DateOf(time.Now()))
	return publishSystem(ctx, tx, c, CategoryOrganisations, KindChange, o.Name+"变更登记公告", b.String(), nil)
}

// LicenceDecision is the workflow effect EffectLicence: the 双公示 entry of the licence decision
// the action just took, an approval or a refusal (the outcome of the final state it reached). The
// item must be of LicenceCategory; the effect goes after the decision's register effect and
// document, whose credit code, number and validity it names. A person's ID number is masked.
func (fx Effects) LicenceDecision(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	if item.Category != LicenceCategory {
		return fmt.Errorf("item %s is not of category %s and may not run %s", item.Code, LicenceCategory, EffectLicence)
	}
	outcome := outcomeOf(c, item)
	if outcome != "approved" && outcome != "refused" {
		return fmt.Errorf("case %s: %s runs on an action that ends the case approved or refused, not in state %s", c.Number, EffectLicence, c.State)
	}
	number, err := DecisionNumber(ctx, tx, c)
	if err != nil {
		return err
	}
	content, err := decisionContent(ctx, tx, c, item, outcome)
	if err != nil {
		return err
	}
	auth, err := documents.AuthorityFor(ctx, tx, fx.Catalog, c.Jurisdiction)
	if err != nil {
		return fmt.Errorf("naming the authority of case %s: %w", c.Number, err)
	}
	l := licenceOf(c, item, outcome, number, calendar.DateOf(time.Now()).String())
	l.Content, l.Authority = content, auth.Name
	if outcome == "approved" {
		cert, err := fx.validUntil(ctx, tx, c)
		if err != nil {
			return err
		}
		if cert != "" {
			l.ValidUntil = cert
		}
	}
	title := l.PartyName + "：" + content
	body := fmt.Sprintf("行政许可决定公示：%s，%s。", l.PartyName, l.Content)
	return publishSystem(ctx, tx, c, CategoryLicensing, KindLicence, title, body, l)
}

// validUntil is the last day (YYYY-MM-DD) of the certificate the approval issued to the organisation
// it registered, "" when it registered none or issued no certificate.
func (fx Effects) validUntil(ctx context.Context, tx bun.IDB, c *workflow.Case) (string, error) {
	o, err := register.ForCase(ctx, tx, c)
	if err != nil || o == nil {
		return "", err
	}
	cert, err := fx.Issuer.Certificate(ctx, tx, o.ID)
	if err != nil || cert == nil {
		return "", err
	}
	return calendar.DateOf(cert.ValidUntil).String(), nil
}

// decisionContent is the 许可内容 of the decision: 准予 or 不予 the item (准予社会团体成立登记), or, when
// the action that took it decides at more than one stage of the item, its name and the stage the
// case was at (不予批准（筹备审批）): what was refused is then the stage's request, not the whole
// item. It reads the stage from the case's last event, the one before the action's own, not yet
// written.
func decisionContent(ctx context.Context, tx bun.IDB, c *workflow.Case, item *catalog.Item, outcome string) (string, error) {
	var last workflow.Event
	err := tx.NewSelect().Model(&last).Where("case_id = ?", c.ID).OrderExpr("seq DESC").Limit(1).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("reading the last event of case %s: %w", c.Number, err)
	}
	for _, a := range item.Workflow.Actions {
		if a.To != c.State || !slices.Contains(a.From, last.To) || !runs(a, EffectLicence) {
			continue
		}
		stages := map[string]bool{}
		for _, from := range a.From {
			stages[stageOf(item, from)] = true
		}
		if len(stages) > 1 {
			return fmt.Sprintf("%s（%s）", a.Name.ZH, stageOf(item, last.To)), nil
		}
	}
	return map[string]string{"approved": "准予", "refused": "不予"}[outcome] + item.Name.ZH, nil
}

// runs reports whether the action runs the Go effect named name.
func runs(a catalog.Action, name string) bool {
	return slices.ContainsFunc(a.Effects, func(e catalog.Effect) bool { return e.Run == name })
}

// stageOf names the stage a state belongs to: the clock that runs over it (筹备审批), else the
// state itself.
func stageOf(item *catalog.Item, state string) string {
	for _, k := range item.Workflow.Clocks {
		if slices.Contains(k.States, state) {
			return k.Name.ZH
		}
	}
	return item.StateName(state, "zh")
}

// licenceOf assembles the fields of a 双公示 entry from the case. A refusal names no legal
// representative: the organisation was never formed, and its intended representative is a private
// person.
func licenceOf(c *workflow.Case, item *catalog.Item, outcome, number, day string) *Licence {
	p := partyOf(c, item)
	l := &Licence{DecisionNumber: number, ItemName: item.Name.ZH, Category: "普通", Outcome: outcome,
		PartyName: p.name, DecidedOn: day, Jurisdiction: c.Jurisdiction}
	if outcome == "approved" {
		l.LegalRepresentative = p.legalRep
		l.ValidUntil, _ = c.Fields["valid_until"].(string) // a licence without a certificate may say it
	}
	if uscc, _ := c.Fields["uscc"].(string); uscc != "" {
		l.USCC = uscc
	}
	if p.idNumber != "" {
		l.IDNumber = MaskID(p.idNumber)
	}
	if l.PartyName == "" {
		l.PartyName = "（未填写）"
	}
	return l
}

// The statuses of a licence (当前状态) that a 双公示 entry shows.
const (
	LicenceValid        = "valid"        // 有效: the approval stands
	LicenceRevoked      = "revoked"      // 撤销: the authority revoked the registration it granted
	LicenceDeregistered = "deregistered" // 注销: the organisation it registered was closed
	LicenceInForce      = "in_force"     // 正常: a refusal, which stands and granted nothing that could end
)

// Status is the licence's current status (当前状态), which changes after the entry is published: an
// approval's follows the register's entry of the organisation it registered, a refusal's is
// LicenceInForce.
func (l *Licence) Status(ctx context.Context, db bun.IDB) (string, error) {
	if l.Outcome != "approved" {
		return LicenceInForce, nil
	}
	if l.USCC == "" {
		return LicenceValid, nil
	}
	o, err := register.ByUSCC(ctx, db, l.USCC)
	if errors.Is(err, problem.ErrNotFound) {
		return LicenceValid, nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the status of licence %s: %w", l.DecisionNumber, err)
	}
	switch o.Status {
	case register.StatusRevoked:
		return LicenceRevoked, nil
	case register.StatusDeregistered:
		return LicenceDeregistered, nil
	}
	return LicenceValid, nil
}
