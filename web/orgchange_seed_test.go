package web_test

import (
	"fmt"
	"time"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// changeChain is the way of a change registration to each of its states from acceptance, and who
// takes each step: "in" for the staff of the case's jurisdiction, "applicant" for the applicant.
var changeChain = map[string][]string{
	"acceptance": nil, "supplement": {"request_supplement"}, "review": {"accept"}, "decision": {"accept", "propose"},
	"changed": {"accept", "propose", "approve"}, "refused": {"reject"}, "withdrawn": {"withdraw"},
}

// orgChanges seeds a change registration of each kind in each state, each of its own organisation of
// the register bound to the applicant (an organisation has one open case of an item at a time). The
// foundations' are handled by the province, whose staff the seeder adds.
func (sd *seeder) orgChanges() {
	app := sd.w.who["applicant"]
	province := map[string]audit.Actor{}
	for _, role := range []string{"acceptor", "reviewer", "approver"} {
		province[role] = audit.Actor{UserID: sd.account("orgchange-province-"+role, role+"@210000"), Label: role}
	}
	if err := sd.st.enf.Reload(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	staff := func(jurisdiction, role string) audit.Actor {
		if jurisdiction == "210000" {
			return province[role]
		}
		return actorOf(sd.w.who[role+"-in"])
	}
	for _, k := range []struct{ item, kind, jurisdiction string }{
		{sgChange, register.KindSocialGroup, "210100"},
		{"private-non-enterprise-change", register.KindPrivateNonEnterprise, "210100"},
		{"foundation-change", register.KindFoundation, "210000"},
	} {
		for _, state := range []string{"acceptance", "supplement", "review", "decision", "changed", "refused", "withdrawn"} {
			o, err := register.Create(sd.ctx, sd.st.stack.DB, register.NewOrganisation{Name: fmt.Sprintf("沈阳市变更测试%s%s", k.kind, state),
				Kind: k.kind, Jurisdiction: k.jurisdiction, Domicile: "沈阳市和平区南京北街1号", LegalRepresentative: "李明"})
			if err != nil {
				sd.t.Fatal(err)
			}
			b := &register.Binding{OrganisationID: o.ID, UserID: app.id, How: register.HowRequest, Status: register.BindingActive,
				CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
			if _, err := sd.st.stack.DB.NewInsert().Model(b).Exec(sd.ctx); err != nil {
				sd.t.Fatal(err)
			}
			up := sd.st.uploadAll(app.token, k.item, "application_letter", "resolution")
			c, err := sd.st.engine.Start(sd.ctx, actorOf(app), k.item, k.jurisdiction, map[string]any{
				"uscc": o.USCC, "name": o.Name + "（新）", "domicile": o.Domicile, "legal_representative": map[string]any{"name": "李明"},
				"business_scope": "社会服务。", "funds": "30000", "reason": "章程修改。", "resolved_on": "2026-01-05",
				"application_letter": []int64{up["application_letter"]}, "resolution": []int64{up["resolution"]}})
			if err != nil {
				sd.t.Fatalf("starting a change of %s: %v", o.Name, err)
			}
			for _, action := range changeChain[state] {
				req := workflow.ApplyRequest{Action: action, Fields: map[string]any{}}
				actor := actorOf(app)
				switch action {
				case "request_supplement":
					req.Items, req.Comment, actor = []string{"name"}, "请核对名称。", staff(k.jurisdiction, "acceptor")
				case "accept":
					actor = staff(k.jurisdiction, "acceptor")
				case "reject":
					req.Fields["reason"], actor = "材料不符合法定形式。", staff(k.jurisdiction, "acceptor")
				case "propose":
					req.Fields["opinion"], actor = "建议准予。", staff(k.jurisdiction, "reviewer")
				case "approve":
					req.Fields["decision_number"], actor = fmt.Sprintf("民社变〔2026〕%d号", c.ID), staff(k.jurisdiction, "approver")
				}
				c = sd.take(actor, c, req)
			}
		}
	}
}
