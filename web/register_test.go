package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// The public register's pages and export, without a login: a search by two characters, the
// filters, pages of results, invalid filters beside their fields, an organisation's page, a code on
// no register, and the CSV for Excel.
func TestRegisterPagesAndExport(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		var weiqi *register.Organisation
		for i, e := range []struct{ name, jurisdiction string }{
			{"沈阳市围棋协会", "210100"}, {"=大连市围棋协会", "210200"}, {"辽宁省养老服务促进会", "210000"},
		} {
			o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: e.name, Kind: register.KindSocialGroup,
				Jurisdiction: e.jurisdiction, LegalRepresentative: fmt.Sprintf("代表%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				weiqi = o
			}
		}
		anon := st.browser()
		_, home, _ := anon.get("/")
		if !strings.Contains(home, `href="/register"`) || !strings.Contains(home, `action="/search"`) {
			t.Error("the home page does not lead to the register")
		}

		code, body, _ := anon.get("/register?q=" + url.QueryEscape("围棋"))
		if code != http.StatusOK || !strings.Contains(body, "沈阳市围棋协会") || !strings.Contains(body, "=大连市围棋协会") ||
			strings.Contains(body, "辽宁省养老服务促进会") || !strings.Contains(body, "共找到 2 个社会组织") || !strings.Contains(body, "沈阳市民政局") ||
			!strings.Contains(body, "社会团体") || !strings.Contains(body, "正常") {
			t.Fatalf("searching for 围棋: %d %s", code, body)
		}
		_, body, _ = anon.get("/register?q=" + url.QueryEscape("围棋") + "&jurisdiction=210100")
		if !strings.Contains(body, "沈阳市围棋协会") || strings.Contains(body, "大连市围棋协会") {
			t.Errorf("围棋 in Shenyang: %s", body)
		}
		// Two per page: the first page links to the second, which links back.
		_, body, _ = anon.get("/register?per_page=2")
		next := "/register?page=2&amp;per_page=2"
		if !strings.Contains(body, "第 1 页，共 2 页") || !strings.Contains(body, `href="`+next+`"`) {
			t.Errorf("the first page of two: %s", body)
		}
		_, body, _ = anon.get("/register?page=2&per_page=2")
		if !strings.Contains(body, "第 2 页，共 2 页") || !strings.Contains(body, `href="/register?per_page=2"`) || strings.Contains(body, `rel="next"`) {
			t.Errorf("the second page of two: %s", body)
		}
		// Invalid filters: 422, each beside its field, and no results.
		code, body, _ = anon.get("/register?year=x&kind=charity&q=" + url.QueryEscape(strings.Repeat("协", 51)))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="year-error"`) || !strings.Contains(body, `id="kind-error"`) ||
			!strings.Contains(body, `id="q-error"`) || strings.Contains(body, "<tbody>") {
			t.Errorf("invalid filters: %d %s", code, body)
		}

		code, body, _ = anon.get("/register/" + strings.ToLower(weiqi.USCC))
		if code != http.StatusOK || !strings.Contains(body, "<h1>沈阳市围棋协会</h1>") || !strings.Contains(body, "代表0") || !strings.Contains(body, "成立登记") {
			t.Errorf("the organisation's page: %d %s", code, body)
		}
		if code, _, _ := anon.get("/register/51210100MJ0000000X"); code != http.StatusNotFound {
			t.Errorf("a code on no register: %d", code)
		}

		resp, err := http.Get(st.base + "/register.csv?q=" + url.QueryEscape("围棋"))
		if err != nil {
			t.Fatal(err)
		}
		csvBody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lines := strings.Split(strings.TrimSuffix(string(csvBody), "\r\n"), "\r\n")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(lines[0], "\uFEFF统一社会信用代码 Credit code,名称 Name") || len(lines) != 3 || resp.Header.Get("X-Total-Count") != "2" ||
			!strings.HasPrefix(lines[1], weiqi.USCC+",沈阳市围棋协会,社会团体,正常,210100,沈阳市民政局,,代表0,") ||
			!strings.Contains(lines[2], ",'=大连市围棋协会,") { // the shorter name first
			t.Errorf("the CSV: %d %q %q", resp.StatusCode, resp.Header, lines)
		}
		if resp, err := http.Get(st.base + "/register.csv?per_page=x&status=gone"); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("the CSV of invalid filters: %v %v", resp.StatusCode, err)
		}
	})
}

// An organisation taken over from the department's earlier register by an import: on its page and in
// the API (checked against the OpenAPI document) with the particulars of the file and its import in
// the history.
func TestImportedOrganisation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		const code = "51210100T0000001XG"
		file := "统一社会信用代码,名称,登记管理机关,成立日期,业务范围\n" + code + ",沈阳市围棋协会,210100,2015-03-20,围棋培训\n"
		rep, err := register.Import(context.Background(), s.DB, strings.NewReader(file), register.ImportOptions{Source: "old.csv"})
		if err != nil || rep.Inserted != 1 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		code200, body, _ := st.browser().get("/register/" + code)
		if code200 != http.StatusOK || !strings.Contains(body, "围棋培训") || !strings.Contains(body, "2015-03-20") ||
			!strings.Contains(body, "自原登记档案导入") {
			t.Errorf("the page of an imported organisation: %d %s", code200, body)
		}
		// No establishment event without its decision, and no rows for the particulars the file lacks.
		for _, absent := range []string{">成立登记</td>", "<dt>住所</dt>", "<dt>法定代表人</dt>", "<dt>活动地域</dt>", "<dt>注册资金</dt>"} {
			if strings.Contains(body, absent) {
				t.Errorf("the page of an imported organisation has %s: %s", absent, body)
			}
		}
		k := newContract(t, st, loadOpenAPI(t))
		var got struct {
			RegisteredOn string `json:"registered_on"`
			History      []struct{ Kind string }
		}
		k.do(call{method: "GET", path: "/api/v1/register/" + code, valid: true, out: &got}, 200)
		if len(got.History) != 1 || got.History[0].Kind != register.EventImported {
			t.Errorf("history: %+v", got.History)
		}
		// The day of registration as the register reads it, not the UTC moment's day (2015-03-19).
		if got.RegisteredOn != "2015-03-20" {
			t.Errorf("registered_on %q, want 2015-03-20", got.RegisteredOn)
		}
	})
}

// The register's export, edited in Excel and imported again: its headers and values (kind and
// status labels in Chinese or English, dates) are read back; only the edited row changes.
func TestRegisterExportImportsBack(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		file := "统一社会信用代码,名称,类型,登记管理机关,法定代表人,成立日期,状态\n" +
			"51210100T0000001XG,沈阳市围棋协会,社会团体,210100,王强,2015-03-20,注销\n" +
			"53210100T00000028A,=沈阳市助学基金会,基金会,210100,赵刚,2009-12-31,撤销\n" +
			"52210100T000000368,沈阳市康乐养老服务中心,民办非企业单位,210100,,2018-06-01,\n"
		rep, err := register.Import(ctx, s.DB, strings.NewReader(file), register.ImportOptions{Source: "old.csv"})
		if err != nil || rep.Inserted != 3 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		for _, lang := range []string{"zh-CN", "en"} {
			req, _ := http.NewRequest(http.MethodGet, st.base+"/register.csv", nil)
			req.Header.Set("Accept-Language", lang)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			export, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if label := map[string]string{"zh-CN": "已撤销登记", "en": "Registration revoked"}[lang]; !bytes.Contains(export, []byte(label)) {
				t.Fatalf("the %s export has no %s: %s", lang, label, export)
			}
			rep, err := register.Import(ctx, s.DB, bytes.NewReader(export), register.ImportOptions{Source: "export.csv", DryRun: true})
			if err != nil || rep.Unchanged != 3 || len(rep.Errors) != 0 {
				t.Fatalf("the %s export as it is: %+v %v\n%s", lang, rep, err, export)
			}
			edited := bytes.Replace(export, []byte("赵刚"), []byte("赵明"), 1)
			rep, err = register.Import(ctx, s.DB, bytes.NewReader(edited), register.ImportOptions{Source: "export.csv", DryRun: true})
			if err != nil || rep.Unchanged != 2 || rep.Updated != 1 || len(rep.Errors) != 0 {
				t.Fatalf("the %s export edited: %+v %v", lang, rep, err)
			}
		}
	})
}
