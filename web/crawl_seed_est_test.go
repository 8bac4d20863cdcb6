package web_test

import (
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/workflow"
)

// estChain is the way of a case of the establishment items of part est_ to each of their states:
// the actions after the start, by whom (the applicant, or a clerk of the case's jurisdiction).
var estChain = map[string][]string{
	"acceptance": nil,
	"supplement": {"supplement"},
	"review":     {"accept"},
	"decision":   {"accept", "propose"},
	"registered": {"accept", "propose", "approve"},
	"refused":    {"reject"},
	"withdrawn":  {"withdraw"},
}

// establishmentKinds seeds a case in every state of the 民办非企业单位 item (in Shenyang, handled by
// the staff inside) and of the 基金会 item (at the province, by a clerk of the province's who holds
// the three roles). Run it last: the acceptance limit of 行政许可法 art. 32 would overtake them.
func (sd *seeder) establishmentKinds() {
	app := sd.w.who["applicant"]
	clerk := audit.Actor{UserID: sd.account("est-province", "acceptor@210000", "reviewer@210000", "approver@210000"), Label: "est-province"}
	if err := sd.st.enf.Reload(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	inside := map[string]audit.Actor{"accept": actorOf(sd.w.who["acceptor-in"]), "supplement": actorOf(sd.w.who["acceptor-in"]),
		"reject": actorOf(sd.w.who["acceptor-in"]), "propose": actorOf(sd.w.who["reviewer-in"]), "approve": actorOf(sd.w.who["approver-in"])}
	for state, chain := range estChain {
		for _, item := range []string{pneItem, foundationItem} {
			var data map[string]any
			jurisdiction := "210100"
			if item == pneItem {
				data = pneData(sd.t, "沈阳市爬行测试服务中心"+state, "50000", sd.st.uploadAll(app.token, item, pneSlots...))
			} else {
				data = foundationData(sd.t, "辽宁省爬行测试"+state+"基金会", "non_public", "2000000", sd.st.uploadAll(app.token, item, foundationSlots...))
				jurisdiction = "210000"
			}
			c := sd.reload(sd.st.startCase(app.token, item, jurisdiction, data).ID)
			for _, action := range chain {
				req := workflow.ApplyRequest{Action: action, Fields: map[string]any{}}
				by := inside[action]
				if jurisdiction == "210000" {
					by = clerk
				}
				switch action {
				case "supplement":
					req.Items, req.Comment = []string{"name"}, "请核对名称后补正。"
				case "reject":
					req.Fields["reason"] = "材料不符合法定形式。"
				case "propose":
					req.Fields["opinion"] = "建议准予登记。"
				case "approve":
					req.Fields["decision_number"] = "爬行登〔2026〕" + state + "号"
				case "withdraw":
					by = actorOf(app)
				}
				c = sd.take(by, c, req)
			}
			if c.State != state {
				sd.t.Fatalf("%s: the chain %v ends in %s, not %s", item, chain, c.State, state)
			}
		}
	}
}
