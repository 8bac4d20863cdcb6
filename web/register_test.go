package web_test

import (
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
			!strings.HasPrefix(lines[2], weiqi.USCC+",沈阳市围棋协会,社会团体,正常,210100,沈阳市民政局,,代表0,") ||
			!strings.Contains(lines[1], ",'=大连市围棋协会,") {
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
		k := newContract(t, st, loadOpenAPI(t))
		var got struct {
			History []struct{ Kind string }
		}
		k.do(call{method: "GET", path: "/api/v1/register/" + code, valid: true, out: &got}, 200)
		if len(got.History) != 2 || got.History[1].Kind != register.EventImported {
			t.Errorf("history: %+v", got.History)
		}
	})
}
