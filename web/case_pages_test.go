package web_test

import (
	"bytes"
	"fmt"
	"html"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// upload is a file a test posts from a page: its name and content.
type upload struct{ name, content string }

// postFiles submits a multipart form with the files as given (postMultipart always sends a PDF).
func (b *browser) postFiles(path string, form url.Values, files map[string]upload) (*http.Response, string) {
	b.st.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range form[k] {
			_ = w.WriteField(k, v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(files)) {
		fw, _ := w.CreateFormFile(k, files[k].name)
		_, _ = fw.Write([]byte(files[k].content))
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", b.st.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp, out.String()
}

var (
	summaryBlock = regexp.MustCompile(`(?s)<div class="error-summary"[^>]*>.*?<ul>(.*?)</ul>`)
	summaryItem  = regexp.MustCompile(`(?s)<li>(.*?)</li>`)
	summaryLink  = regexp.MustCompile(`href="#([^"]+)"`)
	anyTag       = regexp.MustCompile(`<[^>]+>`)
)

// summaryEntry is an entry of a page's error summary: its text and the id it links to.
type summaryEntry struct{ text, target string }

// errorSummary reads the entries of the page's error summary in order.
func errorSummary(body string) []summaryEntry {
	m := summaryBlock.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	var out []summaryEntry
	for _, li := range summaryItem.FindAllStringSubmatch(m[1], -1) {
		e := summaryEntry{text: html.UnescapeString(anyTag.ReplaceAllString(li[1], ""))}
		if l := summaryLink.FindStringSubmatch(li[1]); l != nil {
			e.target = l[1]
		}
		out = append(out, e)
	}
	return out
}

// indexOf is the place of the first entry that starts with prefix, or -1.
func indexOf(entries []summaryEntry, prefix string) int {
	return slices.IndexFunc(entries, func(e summaryEntry) bool { return strings.HasPrefix(e.text, prefix) })
}

// inOrder fails the test unless entries starting with each of the prefixes come in that order, each
// linking to an element that the page has.
func inOrder(t *testing.T, body string, entries []summaryEntry, prefixes ...string) {
	t.Helper()
	last := -1
	for _, p := range prefixes {
		i := indexOf(entries, p)
		if i < 0 {
			t.Errorf("the error summary has no entry %q: %q", p, entries)
			continue
		}
		if i < last {
			t.Errorf("%q comes before %q in the error summary: %q", p, prefixes[slices.Index(prefixes, p)-1], entries)
		}
		last = i
		if target := entries[i].target; target == "" || !strings.Contains(body, `id="`+target+`"`) {
			t.Errorf("the summary entry %q links to %q, which is not on the page", p, target)
		}
	}
}

// The approver reads, on the case page and through the API, what the reviewer proposed and the
// warnings the application was filed with; the applicant never sees the internal opinion.
func TestStaffReadTheOpinionAndWarningsOfACase(t *testing.T) {
	doc := loadOpenAPI(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		st.user("sy.reviewer", "reviewer@2101*")
		st.user("sy.approver", "approver@2101*")
		app, apr := st.token("zhang.applicant"), st.token("sy.approver")
		data := preparationData(t, "沈阳市青年创业促进会", st.uploadAll(app, sgItem, prepSlots...))
		data["sponsor_uscc"] = "5111000050001235XH" // accepted, with a warning about its organisation code
		c := st.startCase(app, sgItem, "210100", data)
		c = st.step(st.token("sy.acceptor"), c, "accept_prep", "prep_review", nil)
		const opinion = "会员构成合理，资金到位，建议准予筹备。"
		st.step(st.token("sy.reviewer"), c, "propose_prep", "prep_decision",
			map[string]any{"comment": "已电话核实发起人", "fields": map[string]any{"opinion": opinion}})
		casePath := "/cases/" + strconv.FormatInt(c.ID, 10)

		approver := st.browser()
		approver.login("sy.approver")
		_, body, _ := approver.get(casePath)
		for _, want := range []string{"<strong>审查意见</strong>：" + opinion, "已电话核实发起人",
			"<strong>业务主管单位统一社会信用代码</strong>：统一社会信用代码中的组织机构代码校验位不符"} {
			if !strings.Contains(body, want) {
				t.Errorf("the approver's case page lacks %s", want)
			}
		}
		applicant := st.browser()
		applicant.login("zhang.applicant")
		_, body, _ = applicant.get(casePath)
		for _, internal := range []string{opinion, "<strong>审查意见</strong>", "已电话核实发起人"} {
			if strings.Contains(body, internal) {
				t.Errorf("the applicant's case page shows %s", internal)
			}
		}
		if !strings.Contains(body, "组织机构代码校验位不符") {
			t.Error("the applicant's case page does not show the warning about the application")
		}

		type detail struct {
			Kind, Path   string
			Label, Value struct{ ZH, EN string }
		}
		var view struct {
			Events []struct {
				Action  string
				Details []detail
			}
		}
		k := newContract(t, st, doc)
		k.do(call{method: "GET", path: "/api/v1/cases/" + strconv.FormatInt(c.ID, 10), token: apr, valid: true, out: &view}, 200)
		var lines []string
		for _, ev := range view.Events {
			for _, d := range ev.Details {
				lines = append(lines, fmt.Sprintf("%s %s %s %s=%s|%s", ev.Action, d.Kind, d.Path, d.Label.ZH, d.Value.ZH, d.Value.EN))
			}
		}
		want := []string{
			"start warning sponsor_uscc 业务主管单位统一社会信用代码=统一社会信用代码中的组织机构代码校验位不符，请核对（部分早期代码属此情况）。|The organisation code inside the credit code fails its check; please verify it (some early codes do).",
			"propose_prep field opinion 审查意见=" + opinion + "|" + opinion,
		}
		if !slices.Equal(lines, want) {
			t.Errorf("the approver's API view details:\n%s", strings.Join(lines, "\n"))
		}
		raw := k.do(call{method: "GET", path: "/api/v1/cases/" + strconv.FormatInt(c.ID, 10), token: app, valid: true}, 200)
		if bytes.Contains(raw, []byte(opinion)) || !bytes.Contains(raw, []byte(`"kind":"warning"`)) {
			t.Errorf("the applicant's API view: %s", raw)
		}
	})
}

// The error summary of a form lists the errors in the order of the form, each saying whose field it
// is and linking to it, and a refused upload is reported together with every other error.
func TestErrorSummaryInFormOrderWithUploads(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		b := st.browser()
		b.login("zhang.applicant")
		_, _, token := b.get("/catalog/" + sgItem + "/apply")
		form := url.Values{"_csrf": {token}, "intent": {"submit"}, "jurisdiction": {""}, "domicile": {"沈阳市和平区南京北街1号"},
			"leaders[0].name": {"张伟"}, "leaders[0].id_number": {residentID(t, 901)}, "leaders[0].position": {"会长"},
			"leaders[1].name": {""}, "leaders[1].id_number": {residentID(t, 902)}, "leaders[1].position": {"秘书长"},
			"individual_members[0].name": {"会员01"}, "individual_members[0].id_number": {"123"}}
		resp, body := b.postFiles("/catalog/"+sgItem+"/apply", form, map[string]upload{
			"upload:application_letter": {"申请书.pdf", "not a PDF at all"},
		})
		if resp.StatusCode != http.StatusUnsupportedMediaType && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("submitting with a refused upload: %d", resp.StatusCode)
		}
		entries := errorSummary(body)
		inOrder(t, body, entries,
			"受理机关（辖区）：",
			"拟成立社会团体名称：此项为必填项",
			"个人会员 第1行 居民身份证号码：",
			"拟任负责人 第2行 姓名：此项为必填项",
			"业务主管单位：此项为必填项",
			"筹备申请书：只接受以下格式的文件",
			"业务主管单位的批准文件：此项为必填项",
		)
		if !strings.Contains(body, `value="沈阳市和平区南京北街1号"`) || !strings.Contains(body, `value="秘书长"`) {
			t.Error("the page lost what was typed")
		}

		// The same in English.
		_, _, token = b.get("/catalog/" + sgItem + "/apply")
		b.post("/lang", url.Values{"_csrf": {token}, "lang": {"en"}, "next": {"/"}})
		form.Set("_csrf", token)
		_, body = b.postFiles("/catalog/"+sgItem+"/apply", form, map[string]upload{"upload:application_letter": {"letter.pdf", "no PDF"}})
		inOrder(t, body, errorSummary(body), "Intended leaders, row 2, Name: This field is required.", "Application letter: Accepted file types")

		// The case page's action forms: the notice's items before its text; another action's
		// form with a field of the same name shows no error and keeps its own ids.
		c := st.startPreparation(st.token("zhang.applicant"), "沈阳市青年创业促进会")
		casePath := "/cases/" + strconv.FormatInt(c.ID, 10)
		clerk := st.browser()
		clerk.login("sy.acceptor")
		_, body, token = clerk.get(casePath)
		// The notice offers what the 筹备 form holds, not the establishment's materials.
		if !strings.Contains(body, `name="items" value="draft_articles"`) || strings.Contains(body, `name="items" value="assembly_minutes"`) {
			t.Error("the supplement notice does not offer the materials of the 筹备 form only")
		}
		resp, body = clerk.post(casePath+"/actions/supplement_prep", url.Values{"_csrf": {token}, "expected_version": {strconv.FormatInt(c.Version, 10)}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a notice without items and text: %d", resp.StatusCode)
		}
		inOrder(t, body, errorSummary(body), "需补正的内容（请一次性全部勾选）：", "补正说明：")
		resp, body = clerk.post(casePath+"/actions/reject", url.Values{"_csrf": {token}, "expected_version": {strconv.FormatInt(c.Version, 10)}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a rejection without a reason: %d", resp.StatusCode)
		}
		inOrder(t, body, errorSummary(body), "不予受理的理由：")
		if n := strings.Count(body, `class="field-error"`); n != 1 {
			t.Errorf("%d field errors on the page after a refused rejection, want the reason's only", n)
		}
	})
}

// The answer to a supplement notice shows the notice, lets only the listed items change (the rest is
// text, not inputs), is submitted with 提交补正, and a new file replaces the unclear one.
func TestSupplementAnswerPage(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		st.user("sy.acceptor", "acceptor@2101*")
		app, acc := st.token("zhang.applicant"), st.token("sy.acceptor")
		c := st.startPreparation(app, "沈阳市青年创业促进会")
		before := st.getCase(app, c.ID).Case.Data["sg_preparation"].(map[string]any)
		const notice = "第2位个人会员的身份证号码有误；章程草案扫描不清，请重新上传。"
		c = st.step(acc, c, "supplement_prep", "prep_supplement", map[string]any{"comment": notice,
			"items": []string{"name", "individual_members[1].id_number", "draft_articles"}})
		casePath := "/cases/" + strconv.FormatInt(c.ID, 10)
		editPath := casePath + "/edit?action=resubmit_prep"

		b := st.browser()
		b.login("zhang.applicant")
		status, body, token := b.get(editPath)
		if status != http.StatusOK {
			t.Fatalf("the answer page: %d", status)
		}
		for _, want := range []string{notice, "<li>拟成立社会团体名称</li>", "<li>个人会员 第2行 居民身份证号码</li>",
			"<li>章程草案（筹备阶段）</li>", ">提交补正</button>", `name="name"`, `name="individual_members[1].id_number"`,
			`name="upload:draft_articles"`, "上传新文件将替换上面的文件。", `<span class="tag">需补正</span>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the answer page lacks %s", want)
			}
		}
		for _, locked := range []string{`name="domicile"`, `name="funds"`, `name="individual_members[0].id_number"`,
			`name="individual_members[1].name"`, `name="upload:application_letter"`, `name="application_letter"`, `name="level"`,
			" readonly", " disabled", "提交申请", `value="add_row:`} {
			if strings.Contains(body, locked) {
				t.Errorf("the answer page offers %s", locked)
			}
		}
		if !strings.Contains(body, "沈阳市和平区南京北街1号") || !strings.Contains(body, "50000 元") {
			t.Error("the answer page does not show the locked values as text")
		}

		// A wrong ID number and a refused file come back together, in the order of the form.
		resp, body := b.postFiles(editPath, url.Values{"_csrf": {token}, "intent": {"submit"}, "expected_version": {strconv.FormatInt(c.Version, 10)},
			"name": {"沈阳市青年创业者协会"}, "individual_members[1].id_number": {"210102199001019999"}},
			map[string]upload{"upload:draft_articles": {"章程.pdf", "not a PDF"}})
		if resp.StatusCode == http.StatusSeeOther {
			t.Fatal("corrections with a wrong ID number and a refused file were accepted")
		}
		inOrder(t, body, errorSummary(body), "个人会员 第2行 居民身份证号码：", "章程草案：只接受以下格式的文件")
		if !strings.Contains(body, `value="沈阳市青年创业者协会"`) || !strings.Contains(body, `id="f-draft_articles-error"`) {
			t.Error("the answer page lost what was typed or the file's error")
		}

		// A post may try to change anything; only the listed items change, the new file replaces
		// the old one, and money stays what it was.
		fixedID := residentID(t, 777)
		resp, body = b.postFiles(editPath, url.Values{"_csrf": {token}, "intent": {"submit"}, "expected_version": {strconv.FormatInt(c.Version, 10)},
			"name": {"沈阳市青年创业者协会"}, "individual_members[1].id_number": {fixedID}, "domicile": {"别处"}, "funds": {"1"},
			"draft_articles": {fmt.Sprint(before["draft_articles"].([]any)[0])}},
			map[string]upload{"upload:draft_articles": {"章程草案-清晰版.pdf", "%PDF-1.4\n% clear\n%%EOF\n"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != casePath {
			t.Fatalf("submitting the corrections: %d\n%s", resp.StatusCode, body)
		}
		v := st.getCase(app, c.ID)
		after := v.Case.Data["sg_preparation"].(map[string]any)
		members := after["individual_members"].([]any)
		if v.Case.State != "prep_acceptance" || after["name"] != "沈阳市青年创业者协会" || after["domicile"] != before["domicile"] ||
			fmt.Sprint(after["funds"]) != fmt.Sprint(before["funds"]) || members[1].(map[string]any)["id_number"] != fixedID ||
			members[0].(map[string]any)["id_number"] != before["individual_members"].([]any)[0].(map[string]any)["id_number"] {
			t.Errorf("after the corrections: %s %v", v.Case.State, after)
		}
		articles := after["draft_articles"].([]any)
		if len(articles) != 1 || articles[0] == before["draft_articles"].([]any)[0] {
			t.Errorf("the draft articles after the corrections: %v (before %v)", articles, before["draft_articles"])
		}
		_, body, _ = b.get(casePath)
		if !strings.Contains(body, "章程草案-清晰版.pdf") {
			t.Error("the case page does not list the new file")
		}
		if old := fmt.Sprintf(`href="/materials/%v"`, before["draft_articles"].([]any)[0]); strings.Contains(body, old) {
			t.Error("the case page lists the replaced file beside the new one")
		}
	})
}

// A file attached again after a refused submit is the same material, listed once.
func TestFileAttachedAgainListedOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		uid := st.user("zhang.applicant", "org_applicant@*")
		b := st.browser()
		b.login("zhang.applicant")
		letter := map[string]upload{"upload:application_letter": {"申请书.pdf", "%PDF-1.4\n% letter\n%%EOF\n"}}
		_, _, token := b.get("/catalog/" + sgItem + "/apply")
		form := url.Values{"_csrf": {token}, "intent": {"submit"}, "name": {"沈阳市青年创业促进会"}}
		_, body := b.postFiles("/catalog/"+sgItem+"/apply", form, letter)
		m := regexp.MustCompile(`name="application_letter" value="(\d+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the refused submit does not list the attached file:\n%s", body)
		}
		form.Set("application_letter", m[1])
		form.Set("_once", onceToken.FindStringSubmatch(body)[1])
		_, body = b.postFiles("/catalog/"+sgItem+"/apply", form, letter)
		if n := strings.Count(body, ">申请书.pdf</a>"); n != 1 {
			t.Errorf("the file attached twice is listed %d times", n)
		}
		if n := countRows(t, s, "materials", "owner_id = ?", uid); n != 1 {
			t.Errorf("%d materials from one file attached twice", n)
		}
	})
}

// Drafts are listed in 我的办件 with a way to continue and one to discard, which asks first.
func TestDraftsListedInMyCases(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		b := st.browser()
		b.login("zhang.applicant")
		_, _, token := b.get("/catalog/" + sgItem + "/apply")
		resp, _ := b.postFiles("/catalog/"+sgItem+"/apply", url.Values{"_csrf": {token}, "intent": {"save"}, "name": {"沈阳市青年创业促进会"}}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("saving a draft: %d", resp.StatusCode)
		}
		_, body, _ := b.get("/cases")
		discard := "/drafts/" + sgItem + "/discard"
		for _, want := range []string{"社会团体成立登记", `href="/catalog/` + sgItem + `/apply"`, `href="` + discard + `"`, "继续填写"} {
			if !strings.Contains(body, want) {
				t.Errorf("我的办件 lacks %s", want)
			}
		}
		status, body, token := b.get(discard)
		if status != http.StatusOK || !strings.Contains(body, "确定放弃“社会团体成立登记”的草稿") {
			t.Fatalf("the discard page: %d", status)
		}
		resp, _ = b.post(discard, url.Values{"_csrf": {token}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases?discarded=1" {
			t.Fatalf("discarding: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body, _ = b.get("/cases?discarded=1")
		if strings.Contains(body, discard) || !strings.Contains(body, "草稿已放弃") {
			t.Error("the draft is still listed after discarding")
		}
		if status, _, _ := b.get(discard); status != http.StatusNotFound {
			t.Errorf("the discard page of a draft that is gone: %d", status)
		}
	})
}

// A withdrawal from the case page needs a tick that says the applicant understands what it does.
func TestWithdrawalNeedsConfirmation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhang.applicant", "org_applicant@*")
		b := st.browser()
		b.login("zhang.applicant")
		c := st.startPreparation(st.token("zhang.applicant"), "沈阳市青年创业促进会")
		casePath := "/cases/" + strconv.FormatInt(c.ID, 10)
		_, body, token := b.get(casePath)
		if !strings.Contains(body, `name="confirm" value="yes"`) {
			t.Error("the withdrawal form has no confirmation")
		}
		form := url.Values{"_csrf": {token}, "expected_version": {strconv.FormatInt(c.Version, 10)}}
		resp, body := b.post(casePath+"/actions/withdraw", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请勾选确认后再撤回申请") {
			t.Errorf("withdrawing without the tick: %d", resp.StatusCode)
		}
		inOrder(t, body, errorSummary(body), "确认撤回：")
		if v := st.getCase(st.token("zhang.applicant"), c.ID); v.Case.State != "prep_acceptance" {
			t.Fatalf("the case was withdrawn without confirmation: %s", v.Case.State)
		}
		form.Set("confirm", "yes")
		if resp, _ = b.post(casePath+"/actions/withdraw", form); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("withdrawing with the tick: %d", resp.StatusCode)
		}
		if v := st.getCase(st.token("zhang.applicant"), c.ID); v.Case.State != "withdrawn" {
			t.Errorf("after the confirmed withdrawal: %s", v.Case.State)
		}
	})
}
