package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// noticeID reads the id of the notice a redirect leads to.
func noticeID(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(resp.Header.Get("Location"), "/notices/%d", &id); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("no notice to go to: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return id
}

// A notice written, reviewed, corrected and withdrawn through the pages: invalid input is answered
// beside its fields; the public never sees a draft; the author cannot pass its own text nor a
// publisher of another city; a withdrawn notice stays public with its reason; a correction keeps the
// version it corrects.
func TestNoticePagesLifecycle(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("sy.writer", "reviewer@2101*", "publisher@210100")
		st.user("sy.publisher", "publisher@2101*")
		st.user("dl.publisher", "publisher@2102*")
		st.user("zhang.citizen", "citizen@*")
		writer, publisher, dalian, citizen, anon := st.browser(), st.browser(), st.browser(), st.browser(), st.browser()
		writer.login("sy.writer")
		publisher.login("sy.publisher")
		dalian.login("dl.publisher")
		citizen.login("zhang.citizen")

		code, page, token := writer.get("/admin/notices")
		if code != http.StatusOK || !strings.Contains(page, `action="/admin/notices"`) || !strings.Contains(page, "沈阳市民政局") {
			t.Fatalf("the writer's notices page: %d %s", code, page)
		}
		if code, _, _ := citizen.get("/admin/notices"); code != http.StatusForbidden {
			t.Errorf("a citizen on the staff's notices page: %d", code)
		}
		resp, body := writer.post("/admin/notices", url.Values{"_csrf": {token}, "category": {"x"}, "jurisdiction": {"210100"}, "title": {""}, "body": {"正文"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="title-error"`) || !strings.Contains(body, `id="category-error"`) {
			t.Fatalf("an invalid notice: %d %s", resp.StatusCode, body)
		}
		// A bidi control would make a title or a body read other than it is stored (U+202E reverses
		// what follows); a title takes no invisible format character at all.
		for field, value := range map[string]string{"title": "关于\u202e知通的", "body": "正文\u2067隔离\u2069", "title ": "关于\u200b通知"} {
			form := url.Values{"_csrf": {token}, "category": {notices.CategoryGeneral}, "jurisdiction": {"210100"}, "title": {"标题"}, "body": {"正文"}}
			form.Set(strings.TrimSpace(field), value)
			resp, body := writer.post("/admin/notices", form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+strings.TrimSpace(field)+`-error"`) {
				t.Errorf("a notice whose %s is %+q: %d %s", field, value, resp.StatusCode, body)
			}
		}
		resp, _ = writer.post("/admin/notices", url.Values{"_csrf": {token}, "category": {notices.CategoryGeneral}, "jurisdiction": {"210200"}, "title": {"大连"}, "body": {"正文"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a Shenyang writer writing for Dalian: %d", resp.StatusCode)
		}
		resp, _ = writer.post("/admin/notices", url.Values{"_csrf": {token}, "category": {notices.CategoryGeneral}, "jurisdiction": {"210100"},
			"title": {"关于调整办公时间的通知"}, "body": {"自12月1日起，窗口下午13:30开始办公。"}})
		id := noticeID(t, resp)
		path := fmt.Sprintf("/notices/%d", id)
		for who, b := range map[string]*browser{"anonymous": anon, "a citizen": citizen, "Dalian's publisher": dalian} {
			if code, _, _ := b.get(path); code != http.StatusNotFound {
				t.Errorf("%s reading a draft: %d", who, code)
			}
		}
		code, page, token = writer.get(path + "?saved=1")
		if code != http.StatusOK || !strings.Contains(page, "草稿已保存") || !strings.Contains(page, `action="`+path+`/submit"`) {
			t.Fatalf("the writer's draft: %d %s", code, page)
		}
		// Attachments: checked by content like every upload; a refused file leaves the text as typed.
		text := url.Values{"_csrf": {token}, "title": {"关于调整办公时间的通知"}, "body": {"自12月1日起，窗口下午13:30开始办公。"}}
		resp, body = writer.postFiles(path+"/edit", text, map[string]upload{"attachments": {name: "时间表.exe", content: "MZ not a pdf"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="attachments-error"`) || !strings.Contains(body, "时间表.exe") {
			t.Fatalf("a refused attachment: %d %s", resp.StatusCode, body)
		}
		if resp, body := writer.postMultipart(path+"/edit", text, map[string]string{"attachments": "办公时间表.pdf"}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("attaching a PDF: %d %s", resp.StatusCode, body)
		}
		_, page, _ = writer.get(path)
		file := regexp.MustCompile(`href="(/notices/\d+/attachments/\d+)"`).FindStringSubmatch(page)
		if file == nil || !strings.Contains(page, "办公时间表.pdf") {
			t.Fatalf("the draft's attachment: %s", page)
		}
		if code, _, _ := anon.get(file[1]); code != http.StatusNotFound {
			t.Errorf("the public downloading a draft's attachment: %d", code)
		}
		if resp, _ := writer.post(path+"/submit", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submitting: %d", resp.StatusCode)
		}
		// The writer is a publisher of Shenyang too, but may not pass its own text; Dalian's may not either.
		_, _, token = writer.get(path)
		resp, body = writer.post(path+"/approve", url.Values{"_csrf": {token}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "不能审查自己撰写的内容") {
			t.Errorf("the author approving: %d %s", resp.StatusCode, body)
		}
		_, _, dtoken := dalian.get("/admin/notices")
		if resp, _ := dalian.post(path+"/approve", url.Values{"_csrf": {dtoken}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("Dalian's publisher approving: %d", resp.StatusCode)
		}
		code, page, ptoken := publisher.get("/admin/notices")
		if code != http.StatusOK || !strings.Contains(page, "关于调整办公时间的通知") || !strings.Contains(page, "待我审查") {
			t.Fatalf("the review queue: %d %s", code, page)
		}
		resp, body = publisher.post(path+"/return", url.Values{"_csrf": {ptoken}, "comment": {" "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="comment-error"`) {
			t.Errorf("returning without a comment: %d %s", resp.StatusCode, body)
		}
		if resp, _ := publisher.post(path+"/approve", url.Values{"_csrf": {ptoken}, "comment": {"同意"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approving: %d", resp.StatusCode)
		}
		code, page, _ = anon.get("/notices?category=general")
		if code != http.StatusOK || !strings.Contains(page, "关于调整办公时间的通知") {
			t.Fatalf("the public list: %d %s", code, page)
		}
		if code, body, _ := anon.get(file[1]); code != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
			t.Errorf("the public downloading the published attachment: %d", code)
		}

		// A correction: the form asks what changed; the public keeps reading version 1 until it is passed.
		code, page, token = writer.get(path + "/edit")
		if code != http.StatusOK || !strings.Contains(page, `name="change"`) {
			t.Fatalf("the correction form: %d %s", code, page)
		}
		resp, body = writer.post(path+"/edit", url.Values{"_csrf": {token}, "title": {"关于调整办公时间的通知"}, "body": {"自12月1日起，窗口下午14:00开始办公。"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="change-error"`) {
			t.Fatalf("a correction without saying what changed: %d %s", resp.StatusCode, body)
		}
		writer.post(path+"/edit", url.Values{"_csrf": {token}, "title": {"关于调整办公时间的通知（更正）"}, "body": {"自12月1日起，窗口下午14:00开始办公。"},
			"change": {"开始办公时间更正为14:00"}})
		writer.post(path+"/submit", url.Values{"_csrf": {token}})
		if _, page, _ := anon.get(path); strings.Contains(page, "14:00") {
			t.Errorf("the public reads a correction before its review: %s", page)
		}
		publisher.post(path+"/approve", url.Values{"_csrf": {ptoken}})
		_, page, _ = anon.get(path)
		if !strings.Contains(page, "14:00") || !strings.Contains(page, "13:30") || !strings.Contains(page, "开始办公时间更正为14:00") || !strings.Contains(page, "第2版") ||
			strings.Count(page, "办公时间表.pdf") != 3 { // the text shown and both versions
			t.Errorf("the corrected notice keeps both versions: %s", page)
		}

		// Withdrawal needs a reason; the notice stays, saying so.
		resp, body = publisher.post(path+"/withdraw", url.Values{"_csrf": {ptoken}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="reason-error"`) {
			t.Errorf("withdrawing without a reason: %d %s", resp.StatusCode, body)
		}
		publisher.post(path+"/withdraw", url.Values{"_csrf": {ptoken}, "reason": {"办公时间另行通知"}})
		code, page, _ = anon.get(path)
		if code != http.StatusOK || !strings.Contains(page, "已撤回") || !strings.Contains(page, "办公时间另行通知") {
			t.Errorf("the withdrawn notice: %d %s", code, page)
		}
		var got struct {
			Status          string
			WithdrawnReason string `json:"withdrawn_reason"`
			Versions        []struct{ Number int }
		}
		if code := st.api("GET", "/api/v1/notices/"+fmt.Sprint(id), "", nil, &got); code != http.StatusOK || got.Status != "withdrawn" ||
			got.WithdrawnReason != "办公时间另行通知" || len(got.Versions) != 2 {
			t.Errorf("the API's withdrawn notice: %d %+v", code, got)
		}
		if code, _, _ := anon.get("/notices?category=x&page=y"); code != http.StatusUnprocessableEntity {
			t.Errorf("invalid filters: %d", code)
		}
	})
}

// atomFeed is what the test reads of an Atom feed.
type atomFeed struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Author  atomAuthor `xml:"author"`
	Links   []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
	Entries []struct {
		Title   string     `xml:"title"`
		ID      string     `xml:"id"`
		Updated string     `xml:"updated"`
		Author  atomAuthor `xml:"author"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

// link is the href of the feed's link of relation rel ("alternate" when none is given).
func (f atomFeed) link(rel string) string {
	for _, l := range f.Links {
		if l.Rel == rel || l.Rel == "" && rel == "alternate" {
			return l.Href
		}
	}
	return ""
}

// A social group's registration publishes, in the decision's transaction and so at once, its
// 成立公告 and the 双公示 entry of the licence; a refusal publishes its 双公示 entry. Neither needs a
// review, both name the decision, neither shows an ID number, and both are in their category's feed.
func TestDecisionsPublishNotices(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		st.user("sy.reviewer", "reviewer@2101*")
		st.user("sy.approver", "approver@2101*")
		app, acc, rev, apr := st.token("zhang.applicant"), st.token("sy.acceptor"), st.token("sy.reviewer"), st.token("sy.approver")

		c := st.groupToDecision(app, acc, rev, apr, "沈阳市围棋公告测试协会")
		if latest, _ := notices.Latest(ctx, s.DB, 10); len(latest) != 0 {
			t.Fatalf("the approval of the preparation published %+v", latest)
		}
		// The entries are written in the decision's transaction: when an effect after them fails, the
		// decision, the register entry and both notices are undone together.
		st.engine.RegisterEffect(notices.EffectLicence, func(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
			if err := st.noticeEffects.LicenceDecision(ctx, tx, c, item); err != nil {
				return err
			}
			return errors.New("the effect after the notices fails")
		})
		decide := map[string]any{"action": "approve_establishment", "expected_version": c.Version,
			"fields": map[string]any{"decision_number": "沈民社登〔2026〕9号"}}
		if code := st.act(apr, c.ID, decide, nil); code != http.StatusInternalServerError {
			t.Fatalf("a decision whose last effect fails: %d", code)
		}
		if n, err := s.DB.NewSelect().Table("notices").Count(ctx); err != nil || n != 0 {
			t.Fatalf("a failed decision left %d notices (%v)", n, err)
		}
		st.engine.RegisterEffect(notices.EffectLicence, st.noticeEffects.LicenceDecision)
		st.step(apr, c, "approve_establishment", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民社登〔2026〕9号"}})

		refused := st.startPreparation(app, "沈阳市不予批准测试会")
		refused = st.step(acc, refused, "accept_prep", "prep_review", nil)
		refused = st.step(rev, refused, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "不符合条件。"}})
		st.step(apr, refused, "refuse", "refused", map[string]any{"fields": map[string]any{"reason": "会员不足五十人。"}})
		// The same action refuses at the 成立登记 stage too, and then says so.
		late := st.groupToDecision(app, acc, rev, apr, "沈阳市成立不予登记测试会")
		st.step(apr, late, "refuse", "refused", map[string]any{"fields": map[string]any{"reason": "会员大会程序不合法。"}})

		var list struct {
			Notices []struct {
				ID       int64
				Category string
				Kind     string
				Status   string
				Title    string
			}
			Total int
		}
		if code := st.api("GET", "/api/v1/notices", "", nil, &list); code != http.StatusOK || list.Total != 4 {
			t.Fatalf("the notices after the decisions: %d %+v", code, list)
		}
		byKind := map[string][]int64{}
		for _, n := range list.Notices {
			if n.Status != notices.StatusPublished {
				t.Errorf("a system entry not published at once: %+v", n)
			}
			byKind[n.Category+"/"+n.Kind] = append(byKind[n.Category+"/"+n.Kind], n.ID)
		}
		if len(byKind["organisations/establishment"]) != 1 || len(byKind["licensing/licence_decision"]) != 3 {
			t.Fatalf("the kinds of notice: %v", byKind)
		}
		anon := st.browser()
		// The service hall lists the entries among its latest notices, and its search finds them.
		est := fmt.Sprintf(`href="/notices/%d"`, byKind["organisations/establishment"][0])
		if _, home, _ := anon.get("/"); !strings.Contains(home, est) || !strings.Contains(home, "沈阳市围棋公告测试协会成立登记公告") {
			t.Errorf("the home page does not list the 成立公告: %s", home)
		}
		if _, found, _ := anon.get("/search?q=" + url.QueryEscape("围棋")); !strings.Contains(found, est) || !strings.Contains(found, `href="/register/51210100`) {
			t.Errorf("the site search for 围棋 does not find the 成立公告 and the organisation: %s", found)
		}
		_, page, _ := anon.get(fmt.Sprintf("/notices/%d", byKind["organisations/establishment"][0]))
		// The 成立公告 gives the particulars the register shows, and the authority that registered.
		var org struct {
			USCC, Domicile string
			Particulars    struct {
				BusinessScope struct{ ZH string } `json:"business_scope"`
				ActivityArea  struct{ ZH string } `json:"activity_area"`
				Funds         struct{ ZH string }
				SponsorUnit   struct{ ZH string } `json:"sponsor_unit"`
			}
			Certificate struct {
				ValidUntil time.Time `json:"valid_until"`
			}
		}
		var orgs struct{ Organisations []struct{ USCC string } }
		st.api("GET", "/api/v1/register?q="+url.QueryEscape("围棋公告"), "", nil, &orgs)
		if len(orgs.Organisations) != 1 {
			t.Fatalf("the register's entry of the group: %+v", orgs)
		}
		st.api("GET", "/api/v1/register/"+orgs.Organisations[0].USCC, "", nil, &org)
		p := org.Particulars
		for _, want := range []string{"沈阳市围棋公告测试协会成立登记公告", "沈民社登〔2026〕9号", "法定代表人：张伟", "统一社会信用代码：" + org.USCC,
			"住所：" + org.Domicile, "业务范围：" + p.BusinessScope.ZH, "活动地域：" + p.ActivityArea.ZH, "注册资金：" + p.Funds.ZH,
			"业务主管单位：" + p.SponsorUnit.ZH, "登记管理机关：沈阳市民政局"} {
			if !strings.Contains(page, want) || strings.HasSuffix(want, "：") {
				t.Errorf("the 成立公告 does not say %q: %s", want, page)
			}
		}
		idNumber := residentID(t, 901)
		for _, id := range byKind["licensing/licence_decision"] {
			var n struct {
				Versions []struct {
					Status  string
					Licence struct {
						notices.Licence
						Status    string
						UpdatedAt time.Time `json:"updated_at"`
					}
				}
			}
			st.api("GET", fmt.Sprintf("/api/v1/notices/%d", id), "", nil, &n)
			_, page, _ := anon.get(fmt.Sprintf("/notices/%d", id))
			if strings.Contains(page, idNumber) || strings.Contains(page, "13912345678") {
				t.Errorf("a 双公示 entry shows personal data: %s", page)
			}
			l := n.Versions[0].Licence
			// The API carries every field the page shows.
			if l.Authority != "沈阳市民政局" || l.UpdatedAt.IsZero() || n.Versions[0].Status != notices.VersionPublished {
				t.Errorf("the API's 双公示 entry lacks fields: %+v", n.Versions[0])
			}
			for _, want := range []string{l.DecisionNumber, l.Content, l.Authority, "<td>" + l.Jurisdiction + "</td>"} {
				if !strings.Contains(page, want) {
					t.Errorf("the page of the 双公示 entry does not show %q: %s", want, page)
				}
			}
			switch l.PartyName {
			case "沈阳市围棋公告测试协会":
				// 许可截止期 is the last day of the certificate the approval issued.
				validUntil := calendar.DateOf(org.Certificate.ValidUntil).String()
				if l.Outcome != "approved" || l.DecisionNumber != "沈民社登〔2026〕9号" || l.USCC != org.USCC || l.LegalRepresentative != "张伟" ||
					l.Jurisdiction != "210100" || l.DecidedOn != calendar.Today().String() || l.ValidUntil != validUntil || l.Status != notices.LicenceValid ||
					l.Content != "准予社会团体成立登记" || org.Certificate.ValidUntil.Year() < time.Now().Year()+4 {
					t.Errorf("the approval's 双公示 entry: %+v (certificate valid until %s)", l, validUntil)
				}
				if !strings.Contains(page, "<td>"+validUntil+"</td>") || !strings.Contains(page, "<td>有效</td>") || strings.Contains(page, "长期") {
					t.Errorf("the approval's page: %s", page)
				}
				// The organisation's page in the register links its 成立公告 and this 双公示 entry.
				_, page, _ = anon.get("/register/" + org.USCC)
				if !strings.Contains(page, fmt.Sprintf(`href="/notices/%d"`, id)) || !strings.Contains(page, est) || !strings.Contains(page, "登记公告与双公示") {
					t.Errorf("the register's page of the organisation does not link its notices: %s", page)
				}
			case "沈阳市不予批准测试会":
				// The decision's number is that of the 不予批准决定书 the refusal issued; it refused the
				// preparation, granted nothing that ends, and names no private person.
				if l.Outcome != "refused" || l.DecisionNumber != fmt.Sprintf("沈民不批字〔%d〕1号", time.Now().In(calendar.Zone).Year()) || l.USCC != "" ||
					l.Content != "不予批准（筹备审批）" || l.ValidUntil != "" || l.LegalRepresentative != "" || l.Status != notices.LicenceInForce {
					t.Errorf("the refusal's 双公示 entry: %+v", l)
				}
				if strings.Contains(page, "长期") || strings.Contains(page, "不予社会团体成立登记") || strings.Contains(page, "已发布</td>") ||
					!strings.Contains(page, "<td>正常</td>") || strings.Contains(page, "法定代表人") {
					t.Errorf("the refusal's page: %s", page)
				}
			case "沈阳市成立不予登记测试会":
				if l.Outcome != "refused" || l.Content != "不予批准（成立登记审批）" || l.LegalRepresentative != "" || l.ValidUntil != "" {
					t.Errorf("the refusal of the registration's 双公示 entry: %+v", l)
				}
			default:
				t.Errorf("a 双公示 entry of %q", l.PartyName)
			}
		}

		// 当前状态 is the licence's as it is now: once the register revokes the registration, the
		// approval's entry says 撤销.
		if _, err := s.DB.NewUpdate().Table("organisations").Set("status = ?", register.StatusRevoked).Where("uscc = ?", org.USCC).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range byKind["licensing/licence_decision"] {
			var n struct {
				Versions []struct {
					Licence struct{ PartyName, Status string }
				}
			}
			st.api("GET", fmt.Sprintf("/api/v1/notices/%d", id), "", nil, &n)
			_, page, _ := anon.get(fmt.Sprintf("/notices/%d", id))
			if l := n.Versions[0].Licence; l.PartyName == "沈阳市围棋公告测试协会" && (l.Status != notices.LicenceRevoked || !strings.Contains(page, "<td>撤销</td>")) {
				t.Errorf("the revoked licence's entry: %+v %s", l, page)
			}
		}

		// A publisher of the jurisdiction withdraws a system entry with a reason; it stays public.
		st.user("sy.publisher", "publisher@2101*")
		publisher := st.browser()
		publisher.login("sy.publisher")
		estPath := fmt.Sprintf("/notices/%d", byKind["organisations/establishment"][0])
		_, page, token := publisher.get(estPath)
		if !strings.Contains(page, `action="`+estPath+`/withdraw"`) || strings.Contains(page, "/edit\"") {
			t.Errorf("the publisher's view of a system entry: %s", page)
		}
		if resp, _ := publisher.post(estPath+"/withdraw", url.Values{"_csrf": {token}, "reason": {"名称登记有误，待更正"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdrawing the 成立公告: %d", resp.StatusCode)
		}
		if _, page, _ := anon.get(estPath); !strings.Contains(page, "已撤回") || !strings.Contains(page, "名称登记有误，待更正") {
			t.Errorf("the withdrawn 成立公告: %s", page)
		}

		// The feed of each category, and of all of them, is Atom with absolute links to the entries.
		for category, want := range map[string]int{notices.CategoryOrganisations: 1, notices.CategoryLicensing: 3, notices.CategoryGeneral: 0, "all": 4} {
			resp, err := http.Get(st.base + "/notices/feed/" + category + ".atom")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var feed atomFeed
			if err := xml.Unmarshal(raw, &feed); err != nil || resp.StatusCode != http.StatusOK ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") || len(feed.Entries) != want || feed.Updated == "" {
				t.Fatalf("the %s feed: %d %v %s", category, resp.StatusCode, err, raw)
			}
			// RFC 4287: an author (the feed's and each entry's, the authority that issued it) and the
			// feed's own address as its self link.
			alternate := "http://127.0.0.1:8080/notices?category=" + category
			if category == "all" {
				alternate = "http://127.0.0.1:8080/notices"
			}
			if feed.Author.Name != "辽宁省民政厅及市县民政部门" || feed.link("self") != "http://127.0.0.1:8080/notices/feed/"+category+".atom" ||
				feed.link("alternate") != alternate {
				t.Errorf("the %s feed's author and links: %s", category, raw)
			}
			for _, e := range feed.Entries {
				if !strings.HasPrefix(e.Link.Href, "http://127.0.0.1:8080/notices/") || e.ID != e.Link.Href || e.Updated == "" || e.Title == "" ||
					e.Author.Name != "沈阳市民政局" {
					t.Errorf("an entry of the %s feed: %+v", category, e)
				}
			}
		}
		// The list offers one feed, the current category's (all of them when none is chosen), outside
		// the category tabs so that it does not read as one.
		for query, feed := range map[string]string{"": "/notices/feed/all.atom", "?category=licensing": "/notices/feed/licensing.atom"} {
			_, page, _ := anon.get("/notices" + query)
			tabs := page[strings.Index(page, `class="tabs"`):]
			tabs = tabs[:strings.Index(tabs, "</nav>")]
			if strings.Count(page, ".atom") != 1 || !strings.Contains(page, `href="`+feed+`"`) || strings.Contains(tabs, ".atom") || !strings.Contains(page, "RSS阅读器") {
				t.Errorf("the feed link of /notices%s: %s", query, page)
			}
		}
		if resp, err := http.Get(st.base + "/notices/feed/x.atom"); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("the feed of no category: %v", err)
		}
	})
}

// seedNotices writes a staff notice in each status for the crawl, beside the system entries the
// decisions of the seed published, and reads every notice into the world.
func (sd *seeder) seedNotices() {
	ctx, db, enf := sd.ctx, sd.st.stack.DB, sd.st.enf
	writer, publisher := actorOf(sd.w.who["reviewer-in"]), actorOf(sd.w.who["publisher-in"])
	must := func(_ *notices.Notice, err error) {
		if err != nil {
			sd.t.Fatal(err)
		}
	}
	for i, steps := range [][]string{{}, {"submit"}, {"submit", "approve"}, {"submit", "approve", "revise"}, {"submit", "approve", "withdraw"}} {
		n, err := notices.Create(ctx, db, enf, writer, notices.Draft{Category: notices.CategoryGeneral, Jurisdiction: "210100",
			Title: fmt.Sprintf("爬行测试通知%d", i), Body: "正文"})
		if err != nil {
			sd.t.Fatal(err)
		}
		if i < 3 { // a draft, one in review and one published have an attachment
			sd.attachPDF(n.ID, sd.w.who["reviewer-in"])
		}
		for _, step := range steps {
			switch step {
			case "submit":
				must(notices.Submit(ctx, db, enf, writer, n.ID))
			case "approve":
				must(notices.Approve(ctx, db, enf, publisher, n.ID, ""))
			case "revise":
				must(notices.Revise(ctx, db, enf, writer, n.ID, notices.Draft{Title: "更正", Body: "正文", Change: "更正"}))
			case "withdraw":
				must(notices.Withdraw(ctx, db, enf, publisher, n.ID, "撤回"))
			}
		}
	}
	if err := db.NewSelect().Model(&sd.w.notices).Order("id").Scan(ctx); err != nil {
		sd.t.Fatal(err)
	}
	if err := db.NewRaw("SELECT na.material_id AS id, v.notice_id FROM notice_attachments AS na JOIN notice_versions AS v ON v.id = na.version_id").
		Scan(ctx, &sd.w.noticeFiles); err != nil {
		sd.t.Fatal(err)
	}
	if len(sd.w.notices) < 7 {
		sd.t.Fatalf("the crawl has %d notices; the decisions of the seed published none?", len(sd.w.notices))
	}
}

// noticesContract calls the notices API as documented: a list with every filter, invalid filters,
// a notice with a correction (two versions), and one that is not public.
func noticesContract(t *testing.T, k *contract) {
	t.Helper()
	ctx, db, enf := context.Background(), k.st.stack.DB, k.st.enf
	writer := audit.Actor{UserID: k.st.user("contract.writer", "reviewer@210100"), Label: "contract.writer"}
	publisher := audit.Actor{UserID: k.st.user("contract.publisher", "publisher@210100"), Label: "contract.publisher"}
	var ids []int64
	for _, title := range []string{"关于开展社会组织年检的通知", "草稿"} {
		n, err := notices.Create(ctx, db, enf, writer, notices.Draft{Category: notices.CategoryGeneral, Jurisdiction: "210100", Title: title, Body: "正文"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	for _, step := range []func() (*notices.Notice, error){
		func() (*notices.Notice, error) { return notices.Submit(ctx, db, enf, writer, ids[0]) },
		func() (*notices.Notice, error) { return notices.Approve(ctx, db, enf, publisher, ids[0], "") },
		func() (*notices.Notice, error) {
			// The correction, with a file attached, through the edit page as the writer does it.
			b := k.st.browser()
			b.login("contract.writer")
			edit := fmt.Sprintf("/notices/%d/edit", ids[0])
			_, _, token := b.get(edit)
			resp, body := b.postMultipart(edit, url.Values{"_csrf": {token}, "title": {"关于开展社会组织年检的通知（更正）"}, "body": {"正文二"},
				"change": {"更正日期"}}, map[string]string{"attachments": "附件.pdf"})
			if resp.StatusCode != http.StatusSeeOther {
				return nil, fmt.Errorf("correcting the notice: %d %s", resp.StatusCode, body)
			}
			return nil, nil
		},
		func() (*notices.Notice, error) { return notices.Submit(ctx, db, enf, writer, ids[0]) },
		func() (*notices.Notice, error) { return notices.Approve(ctx, db, enf, publisher, ids[0], "") },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var list struct{ Total int }
	k.do(call{method: "GET", path: "/api/v1/notices?category=general&q=%E5%B9%B4%E6%A3%80&page=1&per_page=5", valid: true, out: &list}, 200)
	if list.Total != 1 {
		t.Errorf("listing notices: %+v", list)
	}
	e := k.fails(call{method: "GET", path: "/api/v1/notices?category=x&per_page=101"}, 422, "invalid_input")
	if !e.hasField("category", "invalid") || !e.hasField("per_page", "invalid") {
		t.Errorf("bad notice filters: %+v", e)
	}
	// The corrected notice: the first version says it was superseded, the second carries the file its
	// page links to.
	var one struct {
		Versions []struct {
			Number      int
			Status      string
			Attachments []struct{ Name, Href string }
		}
	}
	path := fmt.Sprintf("/notices/%d", ids[0])
	k.do(call{method: "GET", path: "/api/v1" + path, valid: true, out: &one}, 200)
	if len(one.Versions) != 2 || one.Versions[0].Status != notices.VersionSuperseded || one.Versions[1].Status != notices.VersionPublished ||
		len(one.Versions[0].Attachments) != 0 || len(one.Versions[1].Attachments) != 1 || one.Versions[1].Attachments[0].Name != "附件.pdf" {
		t.Fatalf("the corrected notice: %+v", one)
	}
	if _, page, _ := k.st.browser().get(path); !strings.Contains(page, `href="`+one.Versions[1].Attachments[0].Href+`"`) {
		t.Errorf("the notice's page does not link the API's attachment %s: %s", one.Versions[1].Attachments[0].Href, page)
	}
	// A 双公示 entry: its licence carries every field of its page (the schema requires them).
	k.st.user("contract.applicant", "org_applicant@*")
	k.st.user("contract.acceptor", "acceptor@2101*")
	k.st.user("contract.reviewer", "reviewer@2101*")
	k.st.user("contract.approver", "approver@2101*")
	apr := k.st.token("contract.approver")
	c := k.st.groupToDecision(k.st.token("contract.applicant"), k.st.token("contract.acceptor"), k.st.token("contract.reviewer"), apr, "沈阳市契约测试协会")
	k.st.step(apr, c, "approve_establishment", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民社登〔2026〕77号"}})
	var entries struct{ Notices []struct{ ID int64 } }
	k.do(call{method: "GET", path: "/api/v1/notices?category=licensing&q=%E5%A5%91%E7%BA%A6", valid: true, out: &entries}, 200)
	if len(entries.Notices) != 1 {
		t.Fatalf("the 双公示 entry of the registration: %+v", entries)
	}
	var entry struct {
		Versions []struct{ Licence map[string]any }
	}
	k.do(call{method: "GET", path: fmt.Sprintf("/api/v1/notices/%d", entries.Notices[0].ID), valid: true, out: &entry}, 200)
	if l := entry.Versions[0].Licence; l["authority"] != "沈阳市民政局" || l["status"] != notices.LicenceValid || l["valid_until"] == nil || l["updated_at"] == nil {
		t.Errorf("the API's 双公示 entry: %+v", l)
	}
	k.fails(call{method: "GET", path: fmt.Sprintf("/api/v1/notices/%d", ids[1]), valid: true}, 404, "not_found")
	k.fails(call{method: "GET", path: "/api/v1/notices", auth: "Token abc"}, 401, "bad_authorization")
}

// attachPDF attaches a PDF to the draft of the notice through its edit page, as the persona.
func (sd *seeder) attachPDF(id int64, p *persona) {
	b := sd.st.browser()
	base, _ := url.Parse(sd.st.base)
	b.c.Jar.SetCookies(base, []*http.Cookie{{Name: "cf_session", Value: p.session}})
	edit := fmt.Sprintf("/notices/%d/edit", id)
	_, page, token := b.get(edit)
	title := regexp.MustCompile(`name="title" type="text" maxlength="200" value="([^"]*)"`).FindStringSubmatch(page)
	if title == nil {
		sd.t.Fatalf("the edit page of notice %d: %s", id, page)
	}
	if resp, body := b.postMultipart(edit, url.Values{"_csrf": {token}, "title": {title[1]}, "body": {"正文"}},
		map[string]string{"attachments": "附件.pdf"}); resp.StatusCode != http.StatusSeeOther {
		sd.t.Fatalf("attaching a PDF to notice %d: %d %s", id, resp.StatusCode, body)
	}
}

// crawlNoticeFile is an attachment of the crawl's notices.
type crawlNoticeFile struct {
	ID       int64 `bun:"id"`
	NoticeID int64 `bun:"notice_id"`
}

// byNoticeFile visits every attachment by each notice it belongs to, and by another notice: seen by
// whoever sees a version that has it (every version listed is visible to staff of the jurisdiction;
// the public see the published ones).
func byNoticeFile(w *crawlWorld) []target {
	out := []target{{path: fmt.Sprintf("/notices/%d/attachments/%d", unknownID, unknownID), seen: nobody, public: true}}
	for _, f := range w.noticeFiles {
		var n notices.Notice
		for _, x := range w.notices {
			if x.ID == f.NoticeID {
				n = x
			}
		}
		out = append(out,
			target{path: fmt.Sprintf("/notices/%d/attachments/%d", f.NoticeID, f.ID), public: true,
				seen: func(p *persona) bool { return n.Public() || p.readsIn("notice", n.Jurisdiction) }},
			target{path: fmt.Sprintf("/notices/%d/attachments/%d", w.notices[0].ID, f.ID), public: true,
				seen: func(*persona) bool { return false }})
	}
	return out
}

// groupToDecision takes a new 社会团体 case of the applicant through preparation and the
// establishment application to the decision on its registration (state est_decision).
func (st *site) groupToDecision(app, acc, rev, apr, name string) caseState {
	t := st.t
	c := st.startPreparation(app, name)
	c = st.step(acc, c, "accept_prep", "prep_review", nil)
	c = st.step(rev, c, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "建议准予筹备。"}})
	c = st.step(apr, c, "approve_preparation", "establishment_application", nil) // numbered by the system: a test may take several
	est := st.uploadAll(app, sgItem, "registration_form", "assembly_minutes", "adopted_articles", "leaders_list")
	c = st.step(app, c, "submit_establishment", "est_acceptance", map[string]any{"data": map[string]any{
		"assembly_date": time.Now().In(calendar.Zone).AddDate(0, 0, -3).Format(time.DateOnly), "members_present": 46, "articles_adopted": true,
		"legal_representative": map[string]any{"name": "张伟", "id_number": residentID(t, 901), "phone": "13912345678"},
		"leaders":              []any{map[string]any{"name": "张伟", "id_number": residentID(t, 901), "position": "会长"}},
		"leaders_confirmed":    true, "registration_form": []int64{est["registration_form"]}, "assembly_minutes": []int64{est["assembly_minutes"]},
		"articles": []int64{est["adopted_articles"]}, "leaders_list": []int64{est["leaders_list"]},
	}})
	c = st.step(acc, c, "accept_est", "est_review", nil)
	return st.step(rev, c, "propose_est", "est_decision", map[string]any{"fields": map[string]any{"opinion": "建议准予登记。"}})
}

// removeBoxes reads the ids of the attachments an edit page offers to remove, in page order.
var removeBoxes = regexp.MustCompile(`name="remove" value="(\d+)"`)

// A new notice takes attachments at once; an attachment comes off a draft, and off a correction without touching the published version
// until the correction is published; each removal is in the audit trail.
func TestNoticeAttachmentRemoval(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("sy.writer", "reviewer@2101*")
		st.user("sy.publisher", "publisher@2101*")
		writer, publisher, anon := st.browser(), st.browser(), st.browser()
		writer.login("sy.writer")
		publisher.login("sy.publisher")
		// The new-notice form takes attachments at once; its title is a text input, styled as one.
		_, page, token := writer.get("/admin/notices")
		if !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `name="attachments"`) || !strings.Contains(page, `name="title" type="text"`) {
			t.Fatalf("the new-notice form: %s", page)
		}
		create := url.Values{"_csrf": {token}, "category": {notices.CategoryGeneral}, "jurisdiction": {"210100"}, "title": {"关于窗口搬迁的通知"}, "body": {"窗口搬至二楼。"}}
		resp, body := writer.postFiles("/admin/notices", create, map[string]upload{"attachments": {name: "平面图.exe", content: "MZ"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="attachments-error"`) || !strings.Contains(body, "关于窗口搬迁的通知") {
			t.Fatalf("a new notice with a refused attachment: %d %s", resp.StatusCode, body)
		}
		resp, _ = writer.postMultipart("/admin/notices", create, map[string]string{"attachments": "旧平面图.pdf"})
		id := noticeID(t, resp)
		path := fmt.Sprintf("/notices/%d", id)
		text := url.Values{"_csrf": {token}, "title": {"关于窗口搬迁的通知"}, "body": {"窗口搬至二楼。"}}
		if resp, body := writer.postMultipart(path+"/edit", text, map[string]string{"attachments": "新平面图.pdf"}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("attaching a second file: %d %s", resp.StatusCode, body)
		}
		_, page, _ = writer.get(path + "/edit")
		if !strings.Contains(page, `name="title" type="text"`) {
			t.Errorf("the edit form's title is no text input: %s", page)
		}
		boxes := removeBoxes.FindAllStringSubmatch(page, -1)
		if len(boxes) != 2 || !strings.Contains(page, "删除：旧平面图.pdf") {
			t.Fatalf("the draft's form offers no removal: %s", page)
		}
		old, kept := boxes[0][1], boxes[1][1]

		// The publisher returns it asking to remove a file: the writer's list says so with the comment,
		// the message gives the notice's address, and its page leads back to the list.
		writer.post(path+"/submit", url.Values{"_csrf": {token}})
		_, _, ptoken := publisher.get("/admin/notices")
		if resp, _ := publisher.post(path+"/return", url.Values{"_csrf": {ptoken}, "comment": {"请删除旧平面图。"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("returning: %d", resp.StatusCode)
		}
		if _, page, _ := writer.get("/admin/notices"); !strings.Contains(page, "已退回修改") || !strings.Contains(page, "请删除旧平面图。") {
			t.Errorf("the returned notice on the writer's list: %s", page)
		}
		if _, page, _ := writer.get(path); !strings.Contains(page, `href="/admin/notices"`) {
			t.Errorf("the draft's page has no way back to the staff's list: %s", page)
		}
		var data []string
		if err := s.DB.NewSelect().Table("outbox").Column("data").Where("template = 'notice_returned' AND channel = 'inbox'").Scan(context.Background(), &data); err != nil {
			t.Fatal(err)
		}
		var sent struct {
			NoticePath string `json:"notice_path"`
		}
		if len(data) != 1 || json.Unmarshal([]byte(data[0]), &sent) != nil || sent.NoticePath != path {
			t.Errorf("the return message's data: %q", data)
		}
		bad := url.Values{"_csrf": {token}, "title": text["title"], "body": text["body"], "remove": {"999999"}}
		if resp, body := writer.post(path+"/edit", bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="remove-error"`) {
			t.Errorf("removing what is not attached: %d %s", resp.StatusCode, body)
		}
		drop := url.Values{"_csrf": {token}, "title": text["title"], "body": text["body"], "remove": {old}}
		if resp, body := writer.postMultipart(path+"/edit", drop, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("removing an attachment: %d %s", resp.StatusCode, body)
		}
		if _, page, _ := writer.get(path); strings.Contains(page, "旧平面图.pdf") || !strings.Contains(page, "新平面图.pdf") {
			t.Errorf("the draft after the removal: %s", page)
		}
		writer.post(path+"/submit", url.Values{"_csrf": {token}})
		if resp, _ := publisher.post(path+"/approve", url.Values{"_csrf": {ptoken}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approving: %d", resp.StatusCode)
		}

		// A correction drops the published version's attachment from the new version only.
		_, page, _ = writer.get(path + "/edit")
		if boxes := removeBoxes.FindAllStringSubmatch(page, -1); len(boxes) != 1 || boxes[0][1] != kept || !strings.Contains(page, "已发布版本的附件在更正发布前保持不变") {
			t.Fatalf("the correction form's attachments: %s", page)
		}
		writer.post(path+"/edit", url.Values{"_csrf": {token}, "title": text["title"], "body": {"窗口搬至三楼。"}, "change": {"楼层更正，删除平面图"}, "remove": {kept}})
		if _, page, _ := anon.get(path); !strings.Contains(page, "新平面图.pdf") {
			t.Errorf("the published version lost its attachment before the correction was published: %s", page)
		}
		writer.post(path+"/submit", url.Values{"_csrf": {token}})
		publisher.post(path+"/approve", url.Values{"_csrf": {ptoken}})
		_, page, _ = anon.get(path)
		if !strings.Contains(page, "三楼") || strings.Count(page, "新平面图.pdf") != 1 { // only in version 1 of the list
			t.Errorf("the corrected notice's attachments: %s", page)
		}
		entries, err := audit.List(context.Background(), s.DB, "notice", 50, "object_id = ?", fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		removals := 0
		for _, e := range entries {
			if e.Detail["removed_attachments"] != nil {
				removals++
			}
		}
		if removals != 2 || entries[0].Action != "notice.publish" {
			t.Errorf("removals in the audit trail: %d of %+v", removals, entries)
		}
	})
}
