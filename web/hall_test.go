package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// The home page is a service hall for everybody, logged in or not: the site search, the entrances
// for organisations and citizens with the items that exist, the progress lookup, the register and
// the hotline; and it promises no procedure the catalogue lacks (charity recognition is still to come).
func TestHomePageIsAServiceHall(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		logins := map[string]string{"": "", "zhou.citizen": "citizen@*", "zhang.applicant": "org_applicant@*",
			"sy.acceptor": "acceptor@2101*", "prov.admin": "admin@21*", "prov.auditor": "auditor@21*"}
		for login, grant := range logins {
			b := st.browser()
			if login != "" {
				st.user(login, grant)
				b.login(login)
			}
			code, body, _ := b.get("/")
			if code != http.StatusOK {
				t.Fatalf("the home page for %q: %d", login, code)
			}
			for _, want := range []string{`action="/search"`, "法人办事", `href="/catalog/social-group-establishment"`, `href="/catalog/social-group-change"`,
				`href="/catalog/social-group-deregistration"`, `href="/catalog/annual-report"`, `href="/catalog/organisation-evaluation"`, "个人办事",
				`href="/catalog/marriage-registration"`, `href="/catalog/divorce-registration"`, `action="/progress"`,
				`href="/register"`, `href="/notices"`, `href="tel:12345"`, "咨询电话", `href="/catalog/information-disclosure"`,
				`href="/inquiries/new"`, `href="/qa"`, `href="/consultations"`, `href="/ratings"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the home page for %q lacks %s", login, want)
				}
			}
			for _, promise := range []string{"慈善组织认定", "公开募捐"} {
				if strings.Contains(body, promise) {
					t.Errorf("the home page for %q promises %s, which does not exist", login, promise)
				}
			}
		}
	})
}

// The site search finds a service item by two characters of its name or keywords and an
// organisation by two characters of its name, each in its group; too long a query is a field error.
func TestSiteSearch(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		if _, err := register.Create(context.Background(), s.DB, register.NewOrganisation{Name: "沈阳市围棋协会",
			Kind: register.KindSocialGroup, Jurisdiction: "210100", LegalRepresentative: "代表"}); err != nil {
			t.Fatal(err)
		}
		anon := st.browser()
		code, body, _ := anon.get("/search?q=" + url.QueryEscape("离婚"))
		if code != http.StatusOK || !strings.Contains(body, `href="/catalog/divorce-registration"`) ||
			strings.Contains(body, `href="/catalog/social-group-establishment"`) || !strings.Contains(body, "没有找到相关的社会组织") {
			t.Errorf("searching 离婚: %d %s", code, body)
		}
		code, body, _ = anon.get("/search?q=" + url.QueryEscape("围棋"))
		if code != http.StatusOK || !strings.Contains(body, "沈阳市围棋协会") || !strings.Contains(body, `href="/register/51`) ||
			!strings.Contains(body, "没有找到相关的办事事项") {
			t.Errorf("searching 围棋: %d %s", code, body)
		}
		code, body, _ = anon.get("/search?q=" + url.QueryEscape("协会 沈阳"))
		if code != http.StatusOK || !strings.Contains(body, "沈阳市围棋协会") || strings.Contains(body, "case-number-hint") {
			t.Errorf("searching two words of the name: %d", code)
		}
		// A case number is not in the search: the page points to the progress lookup, which takes
		// the number in and asks for the query code without an error yet.
		code, body, _ = anon.get("/search?q=" + url.QueryEscape(" 210100-2026-000001 "))
		if code != http.StatusOK || !strings.Contains(body, `<a href="/progress?number=210100-2026-000001">查询办件进度</a>`) {
			t.Errorf("searching a case number: %d", code)
		}
		code, body, _ = anon.get("/progress?number=210100-2026-000001")
		if code != http.StatusOK || !strings.Contains(body, `value="210100-2026-000001"`) || strings.Contains(body, `class="field-error"`) {
			t.Errorf("the progress lookup from the search: %d", code)
		}
		if code, _, _ = anon.get("/progress?number=210100-2026-000001&code="); code != http.StatusUnprocessableEntity {
			t.Errorf("the progress form sent without the code: %d, want 422", code)
		}
		code, body, _ = anon.get("/search?q=" + url.QueryEscape("社团"))
		if code != http.StatusOK || !strings.Contains(body, `href="/catalog/social-group-establishment"`) {
			t.Errorf("searching 社团 (a keyword): %d", code)
		}
		if _, body, _ = anon.get("/search?q=+"); strings.Contains(body, "沈阳市围棋协会") {
			t.Error("a blank search lists organisations")
		}
		code, body, _ = anon.get("/search?q=" + url.QueryEscape(strings.Repeat("协", 51)))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="q-error"`) {
			t.Errorf("too long a query: %d", code)
		}
	})
}
