package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// answer is a raw HTTP answer: status, headers and body.
type answer struct {
	status int
	header http.Header
	body   string
}

// request sends a request with a bearer token (or through the browser's client when b is not nil)
// and returns the whole answer.
func (st *site) request(b *browser, method, path, token, contentType, body string) answer {
	st.t.Helper()
	req, _ := http.NewRequest(method, st.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := http.DefaultClient
	if b != nil {
		client = b.c
		req.Header.Set("Accept", "text/html")
	}
	resp, err := client.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(raw)}
}

// unavailable checks that a is a 503 with Retry-After and, for the API, the error code.
func (a answer) unavailable(t *testing.T, what, code string) {
	t.Helper()
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "5" {
		t.Fatalf("%s: %d, Retry-After %q, want 503 with Retry-After 5: %s", what, a.status, a.header.Get("Retry-After"), a.body)
	}
	if code == "" {
		return
	}
	var e apiErr
	if err := json.Unmarshal([]byte(a.body), &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("%s: error %q (%v), want %q with a message: %s", what, e.Error.Code, err, code, a.body)
	}
}

// A database that refuses writes (read-only PostgreSQL, a read-only SQLite file) answers 503
// unavailable with Retry-After on the API and on pages, never 500; /readyz says read-only; reads go
// on, except staff reads of personal data, which cannot be audited and so are refused with a 503
// that says why. Once the database takes writes again, so does the site.
func TestReadOnlyDatabaseAnswers503(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("li.applicant", "org_applicant")
		st.user("wang.acceptor", "acceptor@2101*")
		applicant, acceptor := st.token("li.applicant"), st.token("wang.acceptor")
		c := st.startPreparation(applicant, "沈阳市青年创业协会")
		casePath := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)
		staff := st.browser()
		staff.login("wang.acceptor")
		visitor := st.browser()
		_, _, csrf := visitor.get("/login")
		start, _ := json.Marshal(map[string]any{"item": sgItem, "jurisdiction": "210100", "data": preparationData(t, "沈阳市第二协会", st.uploadAll(applicant, sgItem, prepSlots...))})

		writable := s.ReadOnly(t)
		st.request(nil, "POST", "/api/v1/cases", applicant, "application/json", string(start)).unavailable(t, "API start", "unavailable")
		login := url.Values{"login": {"li.applicant"}, "password": {"li.applicant-password"}, "_csrf": {csrf}}.Encode()
		page := st.request(visitor, "POST", "/login", "", "application/x-www-form-urlencoded", login)
		page.unavailable(t, "login page", "")
		if !strings.Contains(page.body, "数据库暂不可用") {
			t.Errorf("the page does not say the database is unavailable: %s", page.body)
		}
		var ready struct {
			Status string
			Checks map[string]string
		}
		if code := st.api("GET", "/readyz", "", nil, &ready); code != http.StatusServiceUnavailable ||
			ready.Checks["database"] != "read-only" || ready.Checks["redis"] != "ok" {
			t.Fatalf("/readyz: %d %+v, want 503 with database read-only", code, ready)
		}
		if code := st.api("GET", casePath, applicant, nil, nil); code != http.StatusOK {
			t.Fatalf("the applicant reads her case (no audit entry): %d", code)
		}
		read := st.request(nil, "GET", casePath, acceptor, "", "")
		read.unavailable(t, "staff read", "audit_unavailable")
		if !strings.Contains(read.body, "审计日志") {
			t.Errorf("the answer does not say the read could not be audited: %s", read.body)
		}
		page = st.request(staff, "GET", "/cases/"+strconv.FormatInt(c.ID, 10), "", "", "")
		page.unavailable(t, "staff case page", "")
		if !strings.Contains(page.body, "审计日志") {
			t.Errorf("the page does not say the read could not be audited: %s", page.body)
		}

		writable()
		if code := st.api("GET", "/readyz", "", nil, &ready); code != http.StatusOK || ready.Checks["database"] != "ok" {
			t.Fatalf("/readyz once writable: %d %+v", code, ready)
		}
		if code := st.api("GET", casePath, acceptor, nil, nil); code != http.StatusOK {
			t.Fatalf("staff read once writable: %d", code)
		}
		st.startCase(applicant, sgItem, "210100", preparationData(t, "沈阳市第三协会", st.uploadAll(applicant, sgItem, prepSlots...)))
	})
}
