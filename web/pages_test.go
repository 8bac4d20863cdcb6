package web_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// Every text of the interface exists in both languages.
func TestLocalesHaveTheSameKeys(t *testing.T) {
	keys := map[string][]string{}
	for _, l := range []string{"zh-CN", "en"} {
		b, err := os.ReadFile("locales/" + l + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", l, k)
			}
			keys[l] = append(keys[l], k)
		}
		sort.Strings(keys[l])
	}
	if strings.Join(keys["zh-CN"], ",") != strings.Join(keys["en"], ",") {
		t.Fatalf("locale keys differ:\nzh-CN %v\nen    %v", keys["zh-CN"], keys["en"])
	}
}

// Chinese texts use full-width punctuation: no ( ) : ; , ? ! beside a Chinese character, as in
// "格式:PDF(按内容判断)".
func TestChineseTextsUseFullWidthPunctuation(t *testing.T) {
	b, err := os.ReadFile("locales/zh-CN.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	halfWidth := regexp.MustCompile(`\p{Han}[(),:;?!]|[(),:;?!]\p{Han}`)
	for k, v := range m {
		if bad := halfWidth.FindString(templateAction.ReplaceAllString(v, "")); bad != "" {
			t.Errorf("%s: half-width punctuation in %q", k, bad)
		}
	}
}

var templateAction = regexp.MustCompile(`{{.*?}}`)

func TestPagesInBothLanguagesForEveryRole(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("page.admin", "admin@21*")
	st.user("page.citizen", "citizen")
	for _, who := range []struct {
		login string
		pages []string
	}{
		{"page.admin", []string{"/", "/messages", "/account", "/admin/users", "/admin/deliveries", "/admin/audit"}},
		{"page.citizen", []string{"/", "/messages", "/account"}},
	} {
		b := st.browser()
		b.login(who.login)
		for _, lang := range []string{"en", "zh-CN"} {
			_, _, token := b.get("/")
			if resp, _ := b.post("/lang", url.Values{"lang": {lang}, "next": {"/"}, "_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("switching to %s: %d", lang, resp.StatusCode)
			}
			for _, p := range who.pages {
				code, body, _ := b.get(p)
				if code != 200 {
					t.Fatalf("%s %s as %s: %d", lang, p, who.login, code)
				}
				if !strings.Contains(body, `<html lang="`+lang+`">`) || strings.Contains(body, "[") && strings.Contains(body, "_title]") {
					t.Errorf("%s %s: wrong lang attribute or a missing text", lang, p)
				}
			}
		}
		if who.login == "page.citizen" {
			if code, _, _ := b.get("/admin/users"); code != http.StatusForbidden {
				t.Errorf("citizen on /admin/users: %d", code)
			}
		}
	}
}

func TestMetricsAreForAdmins(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("metrics.admin", "admin@21*")
	st.user("metrics.citizen", "citizen")
	get := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", st.base+"/metrics", nil)
		req.Header.Set("Accept", "text/plain") // as a Prometheus scraper asks
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous /metrics: %d", code)
	}
	if code, _ := get(st.token("metrics.citizen")); code != http.StatusForbidden {
		t.Fatalf("citizen /metrics: %d", code)
	}
	code, body := get(st.token("metrics.admin"))
	if code != http.StatusOK || !strings.Contains(body, "civicflow_http_requests_total") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("admin /metrics: %d\n%s", code, body)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("cookie.user", "citizen")
	b := st.browser()
	_, _, token := b.get("/login")
	resp, _ := b.post("/login", url.Values{"login": {"cookie.user"}, "password": {"cookie.user-password"}, "_csrf": {token}})
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "cf_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", session)
	}
	if session.Secure {
		t.Fatal("Secure set on plain HTTP without CIVICFLOW_SECURE_COOKIES")
	}
}

// Every kind of document the built-in catalogue issues has a name in the locale files, so that no
// case page falls back to the general word for one of them.
func TestDocumentKindsOfTheCatalogueAreNamed(t *testing.T) {
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("locales/en.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, it := range cat.Items() {
		for _, a := range it.Workflow.Actions {
			for _, e := range a.Effects {
				if _, ok := m["document_"+e.Issue]; e.Issue != "" && !ok {
					t.Errorf("%s: action %s issues %s, which has no name document_%s", it.Code, a.ID, e.Issue, e.Issue)
				}
			}
		}
	}
}
