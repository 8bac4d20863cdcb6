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
	"github.com/civicflow/civicflow/workflow"
)

// The names of the workflow effects of this package, which items `run:` (docs/catalog.md).
const (
	EffectEstablishment = "notices.publish_establishment"
	EffectLicence       = "notices.publish_licence_decision"
)

// LicenceCategory is the catalogue category of the items whose decisions are administrative
// licences (行政许可): an item says it is one by its `category`, and only such an item may run
// EffectLicence.
const LicenceCategory = "行政许可"

// Licence holds the fields of a 双公示 entry of a licence decision (domain.md §5). The current status
// (当前状态) and the update time (数据更新时间) are the notice's own; the authority (许可机关) is named
// from Jurisdiction (地方编码).
type Licence struct {
	DecisionNumber      string `json:"decision_number"`       // 许可决定文书号
	ItemName            string `json:"item_name"`             // 项目名称
	Category            string `json:"category"`              // 审批类别
	Outcome             string `json:"outcome"`               // approved (准予) or refused (不予)
	Content             string `json:"content"`               // 许可内容
	PartyName           string `json:"party_name"`            // 行政相对人名称
	USCC                string `json:"uscc,omitempty"`        // 统一社会信用代码
	IDNumber            string `json:"id_number,omitempty"`   // a person's ID number, masked
	LegalRepresentative string `json:"legal_representative"`  // 法定代表人
	DecidedOn           string `json:"decided_on"`            // 许可决定日期, YYYY-MM-DD in China
	ValidUntil          string `json:"valid_until,omitempty"` // 许可截止期; empty when the licence has no end
	Jurisdiction        string `json:"jurisdiction"`          // 地方编码 of the 许可机关
	Note                string `json:"note,omitempty"`        // 备注
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

// publishSystem inserts a system entry, published at once in the decision's transaction: it
// repeats a decision already approved, so it has no second review.
func publishSystem(ctx context.Context, tx bun.Tx, c *workflow.Case, category, kind, title, body string, l *Licence) error {
	t := now()
	caseID := c.ID
	n := &Notice{Category: category, Kind: kind, Jurisdiction: c.Jurisdiction, Status: StatusPublished, Title: title,
		Version: 1, CaseID: &caseID, CreatedAt: t, PublishedAt: &t, UpdatedAt: t}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return fmt.Errorf("publishing the %s notice of case %s: %w", kind, c.Number, err)
	}
	v := &Version{NoticeID: n.ID, Number: 1, Status: VersionPublished, Title: title, Body: body, Licence: l,
		CreatedAt: t, PublishedAt: &t}
	if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
		return fmt.Errorf("publishing the %s notice of case %s: %w", kind, c.Number, err)
	}
	return nil
}

// PublishEstablishmentEffect is the workflow effect EffectEstablishment: the 社会组织成立公告 of an
// organisation the decision just registered. Run it after register.create_organisation, whose
// credit code it names.
func PublishEstablishmentEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	p := partyOf(c, item)
	uscc, _ := c.Fields["uscc"].(string)
	if p.name == "" || uscc == "" {
		return fmt.Errorf("case %s: %s runs after register.create_organisation, which gives the name and credit code", c.Number, EffectEstablishment)
	}
	number, err := DecisionNumber(ctx, tx, c)
	if err != nil {
		return err
	}
	title := p.name + "成立登记公告"
	var b strings.Builder
	fmt.Fprintf(&b, "经审查，%s符合法定成立条件，准予成立登记。\n\n", p.name)
	fmt.Fprintf(&b, "名称：%s\n统一社会信用代码：%s\n", p.name, uscc)
	if p.legalRep != "" {
		fmt.Fprintf(&b, "法定代表人：%s\n", p.legalRep)
	}
	if number != "" {
		fmt.Fprintf(&b, "登记决定文号：%s\n", number)
	}
	fmt.Fprintf(&b, "成立登记日期：%s\n\n特此公告。", calendar.DateOf(time.Now()))
	return publishSystem(ctx, tx, c, CategoryOrganisations, KindEstablishment, title, b.String(), nil)
}

// PublishLicenceDecisionEffect is the workflow effect EffectLicence: the 双公示 entry of the licence
// decision the action just took, an approval or a refusal (the outcome of the final state it
// reached). The item must be of LicenceCategory; the effect goes after the decision's register
// effect and document, whose credit code and number it names. A person's ID number is masked.
func PublishLicenceDecisionEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
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
	l := licenceOf(c, item, outcome, number, calendar.DateOf(time.Now()).String())
	verb := "准予"
	if outcome == "refused" {
		verb = "不予"
	}
	title := fmt.Sprintf("%s（%s%s）", l.PartyName, verb, item.Name.ZH)
	body := fmt.Sprintf("行政许可决定公示：%s，%s。", l.PartyName, l.Content)
	return publishSystem(ctx, tx, c, CategoryLicensing, KindLicence, title, body, l)
}

// licenceOf assembles the fields of a 双公示 entry from the case.
func licenceOf(c *workflow.Case, item *catalog.Item, outcome, number, day string) *Licence {
	p := partyOf(c, item)
	verb := "准予"
	if outcome == "refused" {
		verb = "不予"
	}
	l := &Licence{DecisionNumber: number, ItemName: item.Name.ZH, Category: "普通", Outcome: outcome,
		Content: verb + item.Name.ZH, PartyName: p.name, LegalRepresentative: p.legalRep, DecidedOn: day,
		Jurisdiction: c.Jurisdiction}
	if uscc, _ := c.Fields["uscc"].(string); uscc != "" {
		l.USCC = uscc
	}
	if v, _ := c.Fields["valid_until"].(string); v != "" {
		l.ValidUntil = v
	}
	if p.idNumber != "" {
		l.IDNumber = MaskID(p.idNumber)
	}
	if l.PartyName == "" {
		l.PartyName = "（未填写）"
	}
	return l
}
