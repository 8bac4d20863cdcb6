package web_test

import (
	"fmt"
	"time"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// filingChains are the ways of the procedures about an organisation to their approval, by item.
var filingChains = map[string][]string{
	"social-group-deregistration":           {"accept", "propose", "approve"},
	"private-non-enterprise-deregistration": {"accept", "propose", "approve"},
	"foundation-deregistration":             {"accept", "propose", "approve"},
	"articles-approval":                     {"propose", "approve"},
	"leaders-change-filing":                 {"propose", "approve"},
	"term-renewal-filing":                   {"propose", "approve"},
}

// seedFilings puts a case of each procedure about an organisation in each of
// its states, for organisations of the register bound to the applicant: the closed ones first, so
// that no organisation has two open cases of one item; the deregistered one its own organisation.
// Foundations are registered by the province, whose staff act on theirs.
func (sd *seeder) seedFilings() {
	province := map[string]audit.Actor{}
	for _, role := range []string{"acceptor", "reviewer", "approver"} {
		id := sd.account("c-province-"+role, role+"@210000")
		province[role] = audit.Actor{UserID: id, Label: "province " + role}
	}
	if err := sd.st.enf.Reload(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	city := map[string]audit.Actor{"acceptor": actorOf(sd.w.who["acceptor-in"]), "reviewer": actorOf(sd.w.who["reviewer-in"]),
		"approver": actorOf(sd.w.who["approver-in"])}
	kinds := map[string]string{"social-group-deregistration": register.KindSocialGroup,
		"private-non-enterprise-deregistration": register.KindPrivateNonEnterprise, "foundation-deregistration": register.KindFoundation}
	orgs := map[string][]*register.Organisation{}
	for _, kind := range register.Kinds {
		for range 4 {
			orgs[kind] = append(orgs[kind], sd.boundOrganisation(kind))
		}
	}
	for _, item := range []string{"social-group-deregistration", "private-non-enterprise-deregistration", "foundation-deregistration",
		"articles-approval", "leaders-change-filing", "term-renewal-filing"} {
		kind, staff := kinds[item], city
		if kind == "" {
			kind = register.KindSocialGroup
		}
		if kind == register.KindFoundation {
			staff = province
		}
		chain := filingChains[item]
		first := orgs[kind][0]
		sd.filing(item, sd.boundOrganisation(kind), staff, chain) // a deregistration's approval ends its organisation
		sd.filing(item, first, staff, []string{"withdraw"})
		refusal := "refuse"
		if len(chain) == 3 {
			refusal = "reject"
		}
		sd.filing(item, first, staff, []string{refusal})
		sd.filing(item, first, staff, nil) // the start state
		sd.filing(item, orgs[kind][1], staff, []string{"request_supplement"})
		sd.filing(item, orgs[kind][2], staff, chain[:1])
		sd.filing(item, orgs[kind][3], staff, chain[:2])
	}
}

// boundOrganisation enters an organisation of the kind in the register, bound to the applicant.
func (sd *seeder) boundOrganisation(kind string) *register.Organisation {
	sd.groups++
	jurisdiction := "210100"
	if kind == register.KindFoundation {
		jurisdiction = "210000"
	}
	o, err := register.Create(sd.ctx, sd.st.stack.DB, register.NewOrganisation{Name: fmt.Sprintf("沈阳市爬行备案测试组织%02d", sd.groups),
		Kind: kind, Jurisdiction: jurisdiction})
	if err != nil {
		sd.t.Fatal(err)
	}
	b := &register.Binding{OrganisationID: o.ID, UserID: sd.w.who["applicant"].id, How: register.HowRegistration,
		Status: register.BindingActive, CreatedAt: time.Now().UTC()}
	if _, err := sd.st.stack.DB.NewInsert().Model(b).Exec(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	return o
}

// filing starts a case of the item about o as the applicant and takes the actions, each by whom it
// belongs to.
func (sd *seeder) filing(item string, o *register.Organisation, staff map[string]audit.Actor, actions []string) {
	app := sd.w.who["applicant"]
	today := calendar.DateOf(sd.st.clock.Now())
	extra := map[string]map[string]any{
		"articles-approval": {"adopted_on": today.String(), "adopted_by": "council", "changes": "修改会费标准。"},
		"leaders-change-filing": {"decided_on": today.String(),
			"leaders": []any{map[string]any{"change": "joined", "name": "王强", "id_number": residentID(sd.t, 903), "position": "秘书长"}}},
		"term-renewal-filing": {"assembly_date": today.String(), "term_starts_on": today.String(), "term_ends_on": today.AddDays(1000).String(),
			"leaders": []any{map[string]any{"name": "李娜", "id_number": residentID(sd.t, 902), "position": "会长"}}},
	}[item]
	slots := map[string][]string{"articles-approval": {"articles", "comparison", "minutes"}, "leaders-change-filing": {"resolution", "leaders_details"},
		"term-renewal-filing": {"minutes"}}[item]
	if extra == nil {
		extra = map[string]any{"grounds": "dissolution", "grounds_detail": "决议解散。", "resolution_date": today.AddDays(-30).String(),
			"liquidation_completed_on": today.AddDays(-3).String(), "contact_name": "张伟", "contact_phone": "13912345678"}
		slots = []string{"application_letter", "resolution", "liquidation_report", "audit_report", "creditor_announcement"}
	}
	started := sd.st.startCase(app.token, item, o.Jurisdiction, sd.st.filingData(app.token, item, o.USCC, o.Name, extra, slots...))
	c := sd.reload(started.ID)
	deregistration := len(filingChains[item]) == 3
	for _, action := range actions {
		req := workflow.ApplyRequest{Action: action}
		actor := staff["approver"]
		switch action {
		case "accept", "reject":
			actor = staff["acceptor"]
		case "propose":
			actor, req.Fields = staff["reviewer"], map[string]any{"opinion": "建议准予。"}
		case "request_supplement":
			actor, req.Items, req.Comment = staff["reviewer"], []string{"name"}, "请核对名称。"
			if deregistration {
				actor = staff["acceptor"]
			}
		case "withdraw":
			actor = actorOf(app)
		}
		if action == "reject" || action == "refuse" {
			req.Fields = map[string]any{"reason": "材料不符合要求。"}
			if action == "refuse" {
				actor = staff["reviewer"]
			}
		}
		c = sd.take(actor, c, req)
	}
}
