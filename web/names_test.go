package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/stacktest"
)

// namedUser creates an account with a display name and grants ("role@pattern").
func (st *site) namedUser(login, name string, grants ...string) int64 {
	st.t.Helper()
	id := st.user(login, grants...)
	if _, err := st.stack.DB.NewUpdate().Model((*accounts.User)(nil)).Set("display_name = ?", name).Where("id = ?", id).
		Exec(context.Background()); err != nil {
		st.t.Fatal(err)
	}
	// as accounts index the name they write (the login's grams stay: the search's substring check
	// turns them away)
	if err := nameindex.Users.Add(context.Background(), st.stack.DB, []nameindex.Named{{ID: id, Name: name}}); err != nil {
		st.t.Fatal(err)
	}
	return id
}

// inLanguage switches the browser's interface language.
func (b *browser) inLanguage(lang string) {
	b.st.t.Helper()
	_, _, token := b.get("/")
	if resp, _ := b.post("/lang", url.Values{"lang": {lang}, "next": {"/"}, "_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		b.st.t.Fatalf("switching to %s: %d", lang, resp.StatusCode)
	}
}

var (
	selects = regexp.MustCompile(`(?s)<select.*?</select>`)
	tags    = regexp.MustCompile(`<[^>]+>`)
)

// text is what the main part of a page shows people, its markup and its form inputs left out.
func (b *browser) text(path string) string {
	b.st.t.Helper()
	body, _ := b.page(path, http.StatusOK)
	_, body, _ = strings.Cut(body, "<main")
	return tags.ReplaceAllString(selects.ReplaceAllString(body, " "), " ")
}

// Pages show jurisdictions by name in the page's language and people by display name, never by code
// or login name; the API gives the names beside the codes.
func TestPagesNameJurisdictionsAndPeople(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.namedUser("zhang.applicant", "张三", "org_applicant@*")
		st.namedUser("sy.acceptor", "王芳", "acceptor@2101*")
		st.namedUser("sy.admin", "李明", "admin@21*", "auditor@21*")
		app, acc, adm := st.token("zhang.applicant"), st.token("sy.acceptor"), st.token("sy.admin")
		cs := st.startPreparation(app, "沈阳市青年书法协会")
		caseURL := "/cases/" + strconv.FormatInt(cs.ID, 10)
		var office struct{ ID int64 }
		if code := st.api("POST", "/api/v1/offices", adm, officeBody("和平区婚姻登记处"), &office); code != http.StatusCreated {
			t.Fatalf("creating an office: %d", code)
		}

		// Pages in both languages: the names, not the codes or the logins.
		logins := []string{"zhang.applicant", "sy.acceptor", "sy.admin", "210100", "210102", "2101*"}
		for _, c := range []struct {
			login, path string
			zh, en      []string
		}{
			{"sy.acceptor", "/inbox", []string{"沈阳市"}, []string{"Shenyang"}},
			{"sy.acceptor", caseURL, []string{"沈阳市", "张三"}, []string{"Shenyang", "张三"}},
			{"sy.acceptor", "/account", []string{"沈阳市及下级"}, []string{"Shenyang and below"}},
			{"zhang.applicant", "/cases", []string{"沈阳市"}, []string{"Shenyang"}},
			{"zhang.applicant", caseURL, []string{"沈阳市", "张三"}, []string{"Shenyang", "张三"}},
			{"sy.admin", "/admin/users", []string{"辽宁省及下级", "沈阳市及下级", "全部辖区"}, []string{"Liaoning and below", "Shenyang and below", "all jurisdictions"}},
			{"sy.admin", "/admin/offices", []string{"和平区"}, []string{"Heping District, Shenyang"}},
			{"sy.admin", "/admin/offices/" + strconv.FormatInt(office.ID, 10), []string{"和平区"}, []string{"Heping District, Shenyang"}},
		} {
			b := st.browser()
			b.login(c.login)
			for lang, want := range map[string][]string{"zh-CN": c.zh, "en": c.en} {
				b.inLanguage(lang)
				page := strings.ReplaceAll(b.text(c.path), cs.Number, "") // the case number starts with the code
				for _, w := range want {
					if !strings.Contains(page, w) {
						t.Errorf("%s as %s in %s does not show %q:\n%s", c.path, c.login, lang, w, page)
					}
				}
				for _, code := range logins {
					alone := regexp.MustCompile(`(^|[^0-9])` + regexp.QuoteMeta(code) + `($|[^0-9])`) // not part of an ID number
					if c.path != "/admin/users" && alone.MatchString(page) {
						t.Errorf("%s as %s in %s shows %q:\n%s", c.path, c.login, lang, code, page)
					}
				}
			}
		}

		// The acceptor accepts; the timeline names her, and the audit log names who did what where.
		st.step(acc, cs, "accept_prep", "prep_review", nil)
		b := st.browser()
		b.login("zhang.applicant")
		if page := b.text(caseURL); !strings.Contains(page, "王芳") || strings.Contains(page, "sy.acceptor") {
			t.Errorf("the timeline does not name the acceptor:\n%s", page)
		}
		admin := st.browser()
		admin.login("sy.admin")
		admin.inLanguage("zh-CN")
		if page := admin.text("/admin/audit"); !strings.Contains(page, "王芳") || !strings.Contains(page, "沈阳市") {
			t.Errorf("the audit log does not name the acceptor and the jurisdiction:\n%s", page)
		}

		// The API keeps the codes and adds the names.
		var view struct {
			Case struct {
				Jurisdiction     string
				JurisdictionName struct{ ZH, EN string } `json:"jurisdiction_name"`
			}
			Events []struct {
				Actor     string
				ActorName string `json:"actor_name"`
			}
		}
		if code := st.api("GET", "/api/v1/cases/"+strconv.FormatInt(cs.ID, 10), app, nil, &view); code != http.StatusOK {
			t.Fatalf("GET case: %d", code)
		}
		if view.Case.Jurisdiction != "210100" || view.Case.JurisdictionName.ZH != "沈阳市" || view.Case.JurisdictionName.EN != "Shenyang" ||
			len(view.Events) != 2 || view.Events[0].ActorName != "张三" || view.Events[1].ActorName != "王芳" || view.Events[1].Actor != "sy.acceptor" {
			t.Errorf("the case view: %+v", view)
		}
		var list struct {
			Cases []struct {
				Jurisdiction     string
				JurisdictionName struct{ ZH, EN string } `json:"jurisdiction_name"`
			}
		}
		if code := st.api("GET", "/api/v1/cases", app, nil, &list); code != http.StatusOK || len(list.Cases) != 1 ||
			list.Cases[0].Jurisdiction != "210100" || list.Cases[0].JurisdictionName.EN != "Shenyang" {
			t.Errorf("my cases: %d %+v", code, list)
		}
		st.namedUser("sy.reviewer", "赵六", "reviewer@2101*")
		if code := st.api("GET", "/api/v1/inbox", st.token("sy.reviewer"), nil, &list); code != http.StatusOK || len(list.Cases) != 1 ||
			list.Cases[0].Jurisdiction != "210100" || list.Cases[0].JurisdictionName.ZH != "沈阳市" {
			t.Errorf("the reviewer's inbox: %d %+v", code, list)
		}
	})
}

// English pages name the categories of the catalogue in English.
func TestCategoriesInTheLanguageOfThePage(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	b := st.browser()
	for lang, want := range map[string][]string{"zh-CN": {"行政许可", "行政确认"}, "en": {"Administrative licensing", "Administrative confirmation"}} {
		b.inLanguage(lang)
		catalog, guide := b.text("/catalog"), b.text("/catalog/"+sgItem)
		for _, w := range want {
			if !strings.Contains(catalog, w) {
				t.Errorf("%s: the catalogue does not show %q:\n%s", lang, w, catalog)
			}
		}
		if !strings.Contains(guide, want[0]) {
			t.Errorf("%s: the guide does not show %q", lang, want[0])
		}
		if lang == "en" && (strings.Contains(catalog, "行政") || strings.Contains(guide, "行政许可")) {
			t.Errorf("the English catalogue shows a category in Chinese:\n%s", catalog)
		}
	}
}

// The audit page names each action in the reader's language, with its code beside it.
func TestAuditPageNamesActions(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("au.admin", "admin@21*")
		clerk := st.user("au.clerk")
		if code := st.api("POST", "/api/v1/users/"+strconv.FormatInt(clerk, 10)+"/grants", st.token("au.admin"),
			map[string]any{"role": "reviewer", "jurisdiction": "210100"}, nil); code != http.StatusOK {
			t.Fatalf("granting: %d", code)
		}
		b := st.browser()
		b.login("au.admin")
		for lang, name := range map[string]string{"en": "Role granted", "zh-CN": "授予角色"} {
			b.inLanguage(lang)
			body, _ := b.page("/admin/audit", http.StatusOK)
			if !strings.Contains(body, name+` <span class="meta">role.grant</span>`) {
				t.Errorf("the audit page in %s does not show %q with the code role.grant", lang, name)
			}
		}
	})
}

// A case page names its documents by kind in the page's language, with the number people quote and
// a download link, never by the stored kind code.
func TestDocumentsNamedByKind(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("doc.applicant", "org_applicant@*")
		st.user("doc.acceptor", "acceptor@2101*")
		c := st.startPreparation(st.token("doc.applicant"), "沈阳市青年书法协会")
		st.step(st.token("doc.acceptor"), c, "accept_prep", "prep_review", nil)
		b := st.browser()
		b.login("doc.applicant")
		for lang, name := range map[string]string{"zh-CN": "受理通知书", "en": "Acceptance notice"} {
			b.inLanguage(lang)
			body, _ := b.page("/cases/"+strconv.FormatInt(c.ID, 10), http.StatusOK)
			year := strconv.Itoa(time.Now().In(calendar.Zone).Year())
			if want := name + ` <span class="document-number">沈民受字〔` + year + `〕1号</span>`; !strings.Contains(body, want) {
				t.Errorf("the %s case page does not list %s", lang, want)
			}
			if !regexp.MustCompile(`<a href="/documents/\d+" download>`).MatchString(body) {
				t.Errorf("the %s case page has no download link of the notice", lang)
			}
			if strings.Contains(body, "acceptance_notice") {
				t.Errorf("the %s case page shows the document's code", lang)
			}
		}
	})
}
