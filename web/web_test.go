package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

func TestLoginLogoutAndSameAnswerForUnknownAccounts(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("li.ming", "citizen")
		b := st.browser()
		code, body, token := b.get("/login")
		if code != 200 || token == "" || !strings.Contains(body, `<html lang="zh-CN">`) {
			t.Fatalf("login page: %d, token %q", code, token)
		}
		// Wrong password and unknown account: same status, same message.
		r1, wrong := b.post("/login", url.Values{"login": {"li.ming"}, "password": {"nope-nope-nope"}, "_csrf": {token}})
		r2, unknown := b.post("/login", url.Values{"login": {"nobody"}, "password": {"nope-nope-nope"}, "_csrf": {token}})
		if r1.StatusCode != http.StatusUnauthorized || r2.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad logins: %d %d", r1.StatusCode, r2.StatusCode)
		}
		if !strings.Contains(wrong, "登录名或密码不正确") || !strings.Contains(unknown, "登录名或密码不正确") {
			t.Fatal("bad-login message missing or differing")
		}
		if !strings.Contains(unknown, `value="nobody"`) {
			t.Error("the login name typed is not kept on the form")
		}
		b.login("li.ming")
		code, body, _ = b.get("/messages")
		if code != 200 || !strings.Contains(body, "我的消息") {
			t.Fatalf("messages page after login: %d", code)
		}
		_, _, token = b.get("/")
		resp, _ := b.post("/logout", url.Values{"_csrf": {token}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		resp2, err := b.c.Get(st.base + "/messages")
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp2.Header.Get("Location"), "/login") {
			t.Fatalf("after logout /messages: %d %s", resp2.StatusCode, resp2.Header.Get("Location"))
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("wang.fang", "citizen")
		b := st.browser()
		_, _, token := b.get("/login")
		for i := 0; i < 3; i++ {
			b.post("/login", url.Values{"login": {"wang.fang"}, "password": {"wrong-" + strconv.Itoa(i)}, "_csrf": {token}})
		}
		resp, body := b.post("/login", url.Values{"login": {"wang.fang"}, "password": {"wang.fang-password"}, "_csrf": {token}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "登录失败次数过多") {
			t.Fatalf("throttled login: %d", resp.StatusCode)
		}
		var e apiErr
		if code := st.api("POST", "/api/v1/tokens", "", map[string]string{"login": "wang.fang", "password": "wang.fang-password", "name": "x"}, &e); code != http.StatusTooManyRequests || e.Error.Code != "login_throttled" {
			t.Fatalf("throttled API login: %d %+v", code, e)
		}
	})
}

// A browser where the account logged in before holds a known-device cookie: others failing on the
// account lock it out everywhere else, but not there; its own failures still lock it out there.
func TestKnownDeviceIsNotLockedOutByOthers(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("device.owner", "citizen")
		base, _ := url.Parse(st.base)
		// tries logs in with each password in turn from a fresh browser holding device (if any), and
		// returns the status of the last answer and the device cookie it holds then.
		tries := func(device *http.Cookie, passwords ...string) (int, *http.Cookie) {
			b := st.browser()
			if device != nil {
				b.c.Jar.SetCookies(base, []*http.Cookie{device})
			}
			_, _, token := b.get("/login")
			status := 0
			for _, pw := range passwords {
				resp, _ := b.post("/login", url.Values{"login": {"device.owner"}, "password": {pw}, "_csrf": {token}})
				status = resp.StatusCode
			}
			for _, ck := range b.c.Jar.Cookies(base) {
				if ck.Name == "cf_device" {
					device = &http.Cookie{Name: ck.Name, Value: ck.Value}
				}
			}
			return status, device
		}
		status, device := tries(nil, "device.owner-password")
		if status != http.StatusSeeOther || device == nil {
			t.Fatalf("first login: %d, device cookie %v", status, device)
		}
		if status, _ := tries(nil, "wrong-1", "wrong-2", "wrong-3", "device.owner-password"); status != http.StatusTooManyRequests {
			t.Fatalf("the right password after others failed, on an unknown browser: %d, want 429", status)
		}
		forged := &http.Cookie{Name: "cf_device", Value: "made-up." + strings.Repeat("A", 43)}
		if status, _ := tries(forged, "device.owner-password"); status != http.StatusTooManyRequests {
			t.Fatalf("a forged device cookie: %d, want 429", status)
		}
		status, device = tries(device, "device.owner-password")
		if status != http.StatusSeeOther {
			t.Fatalf("the right password on the known browser: %d, want 303", status)
		}
		if status, _ := tries(device, "wrong-1", "wrong-2", "wrong-3", "device.owner-password"); status != http.StatusTooManyRequests {
			t.Fatalf("the right password after the known browser's own failures: %d, want 429", status)
		}
	})
}

// A login name or password longer than any account can have is refused with a 422 on the field,
// on the API and the login page, before anything is hashed or counted.
func TestOverlongCredentialsAreRefused(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("long.password", "citizen")
	for _, tc := range []struct{ login, password, field string }{
		{strings.Repeat("a", 65), "whatever-long", "login"},
		{"long.password", strings.Repeat("p", 1025), "password"},
		{"long.password", strings.Repeat("p", 2000), "password"},
	} {
		var e apiErr
		code := st.api("POST", "/api/v1/tokens", "", map[string]string{"login": tc.login, "password": tc.password, "name": "x"}, &e)
		if code != http.StatusUnprocessableEntity || !hasFieldError(e, tc.field, "too_long") {
			t.Fatalf("an overlong %s: %d %+v", tc.field, code, e)
		}
		b := st.browser()
		_, _, token := b.get("/login")
		resp, body := b.post("/login", url.Values{"login": {tc.login}, "password": {tc.password}, "_csrf": {token}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "最多") {
			t.Fatalf("an overlong %s on the login page: %d", tc.field, resp.StatusCode)
		}
	}
	// None of them counted as a failure: four would have passed the limit per account (3).
	b := st.browser()
	b.login("long.password")
}

func TestStateChangesWithoutCSRFTokenAreRefused(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("zhao.admin", "admin@21*")
		target := st.user("qian.clerk")
		b := st.browser()
		b.login("zhao.admin")
		form := url.Values{"user_id": {strconv.FormatInt(target, 10)}, "role": {"acceptor"}, "jurisdiction": {"210100"}}
		resp, body := b.post("/admin/grants", form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "页面已过期") {
			t.Fatalf("grant without token: %d", resp.StatusCode)
		}
		form.Set("_csrf", "forged")
		if resp, _ := b.post("/admin/grants", form); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("grant with a forged token: %d", resp.StatusCode)
		}
		// A token from another visitor's page is no good either.
		_, _, otherToken := st.browser().get("/login")
		form.Set("_csrf", otherToken)
		if resp, _ := b.post("/admin/grants", form); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("grant with another visitor's token: %d", resp.StatusCode)
		}
		if got := st.enf.Allowed(target, "210100", "jurisdiction", "read"); got {
			t.Fatal("a refused post changed the grants")
		}
		_, _, token := b.get("/admin/users")
		form.Set("_csrf", token)
		resp, body = b.post("/admin/grants", form)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已授予角色") {
			t.Fatalf("grant with the page's token: %d", resp.StatusCode)
		}
		if !st.enf.Allowed(target, "210100", "jurisdiction", "read") || st.enf.Allowed(target, "210102", "jurisdiction", "read") {
			t.Fatal("a grant in 210100 without subordinates must hold in 210100 and not in 210102")
		}
	})
}

func TestJurisdictionsOverHTTP(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("dalian.admin", "admin@2102*")
		st.user("province.admin", "admin@21*")
		clerk := st.user("sun.clerk")
		path := "/api/v1/users/" + strconv.FormatInt(clerk, 10) + "/grants"
		var e apiErr
		code := st.api("POST", path, st.token("dalian.admin"), map[string]any{"role": "acceptor", "jurisdiction": "210100"}, &e)
		if code != http.StatusForbidden || e.Error.Code != "forbidden" {
			t.Fatalf("Dalian admin granting in Shenyang: %d %+v", code, e)
		}
		var out struct {
			Grants []struct{ Role, Pattern string }
		}
		code = st.api("POST", path, st.token("province.admin"), map[string]any{"role": "acceptor", "jurisdiction": "210102"}, &out)
		if code != http.StatusOK || len(out.Grants) != 1 || out.Grants[0].Pattern != "210102" {
			t.Fatalf("province admin granting in a county: %d %+v", code, out)
		}
		// A citizen has no admin API at all.
		st.user("zhou.citizen", "citizen")
		if code := st.api("GET", "/api/v1/users", st.token("zhou.citizen"), nil, &e); code != http.StatusForbidden {
			t.Fatalf("citizen listing users: %d", code)
		}
	})
}

func TestAPIErrorsHaveOneShape(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("admin.one", "admin@21*")
		tok := st.token("admin.one")
		var e apiErr
		if code := st.api("POST", "/api/v1/users", tok, map[string]any{"login": "X", "password": "short", "phone": "123"}, &e); code != http.StatusUnprocessableEntity {
			t.Fatalf("invalid user: %d", code)
		}
		paths := map[string]bool{}
		for _, f := range e.Error.Fields {
			paths[f.Path] = f.Message != ""
		}
		if !paths["login"] || !paths["password"] || !paths["phone"] {
			t.Fatalf("field errors: %+v", e.Error.Fields)
		}
		if code := st.api("GET", "/api/v1/nowhere", tok, nil, &e); code != http.StatusNotFound || e.Error.Code != "not_found" {
			t.Fatalf("unknown route: %d %+v", code, e)
		}
		if code := st.api("GET", "/api/v1/me", "", nil, &e); code != http.StatusUnauthorized || e.Error.Code != "login_required" {
			t.Fatalf("no login: %d %+v", code, e)
		}
		if code := st.api("GET", "/api/v1/me", "cft_not-a-token", nil, &e); code != http.StatusUnauthorized {
			t.Fatalf("bad token: %d", code)
		}
		req, _ := http.NewRequest("POST", st.base+"/api/v1/users", strings.NewReader("{not json"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("malformed JSON: %d", resp.StatusCode)
		}
	})
}

func TestHealthReadinessAndHeaders(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(st.base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	resp, err := http.Get(st.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

func TestAuditAndDeliveriesAreLimitedToTheReadersJurisdictions(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("sy.admin", "admin@2101*")
		st.user("dl.auditor", "auditor@2102*")
		st.user("ln.auditor", "auditor@21*")
		clerk := st.user("clerk.x")
		grants := "/api/v1/users/" + strconv.FormatInt(clerk, 10) + "/grants"
		if code := st.api("POST", grants, st.token("sy.admin"), map[string]any{"role": "acceptor", "jurisdiction": "210100"}, nil); code != http.StatusOK {
			t.Fatalf("grant: %d", code)
		}
		type entries struct {
			Entries []struct{ Action, Jurisdiction string }
		}
		var dl, ln entries
		st.api("GET", "/api/v1/audit", st.token("dl.auditor"), nil, &dl)
		st.api("GET", "/api/v1/audit", st.token("ln.auditor"), nil, &ln)
		for _, e := range dl.Entries {
			if !strings.HasPrefix(e.Jurisdiction, "2102") {
				t.Errorf("Dalian auditor sees %s in %q", e.Action, e.Jurisdiction)
			}
		}
		found := false
		for _, e := range ln.Entries {
			found = found || (e.Action == "role.grant" && e.Jurisdiction == "210100")
		}
		if !found {
			t.Errorf("province auditor misses the Shenyang grant: %+v", ln.Entries)
		}
		if code := st.api("GET", "/api/v1/deliveries/failed", st.token("dl.auditor"), nil, nil); code != http.StatusForbidden {
			t.Errorf("city auditor reading failed deliveries: %d", code)
		}
		if code := st.api("GET", "/api/v1/deliveries/failed", st.token("ln.auditor"), nil, nil); code != http.StatusOK {
			t.Errorf("province auditor reading failed deliveries: %d", code)
		}
	})
}

// NUL characters and invalid UTF-8 get one clear 400 instead of failing deep in an operation.
func TestUnreadableTextIsRefused(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	b := st.browser()
	_, _, token := b.get("/login")
	resp, _ := b.post("/login", url.Values{"login": {"a\x00b"}, "password": {"whatever-long"}, "_csrf": {token}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("NUL in a login form: %d", resp.StatusCode)
	}
	var e apiErr
	if code := st.api("POST", "/api/v1/tokens", "", map[string]string{"login": "a\x00b", "password": "x", "name": "n"}, &e); code != http.StatusBadRequest || e.Error.Code != "unreadable_text" {
		t.Errorf("NUL in JSON: %d %+v", code, e)
	}
	if code := st.api("GET", "/api/v1/catalog?x=%00", "", nil, &e); code != http.StatusBadRequest {
		t.Errorf("NUL in a query: %d", code)
	}
}

// Without configured proxies, a client cannot choose its address with X-Forwarded-For: the login
// throttle and the audit log see the real one.
func TestForwardedForIsIgnoredWithoutTrustedProxies(t *testing.T) {
	s := stacktest.SQLite(t)
	st := startSite(t, s)
	st.user("xff.user", "citizen")
	req, _ := http.NewRequest("POST", st.base+"/api/v1/tokens", strings.NewReader(`{"login":"xff.user","password":"xff.user-password","name":"t"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "10.9.9.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var ip string
	if err := s.DB.NewSelect().TableExpr("audit_log").Column("ip").Where("action = 'token.create'").Scan(context.Background(), &ip); err != nil {
		t.Fatal(err)
	}
	if ip != "127.0.0.1" {
		t.Fatalf("audit ip %q, want the real 127.0.0.1", ip)
	}
}

// After login, the next address must stay on this site, whatever a crafted link puts in it.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	st.user("next.user", "citizen")
	for next, want := range map[string]string{
		"/messages": "/messages", "//evil.example": "/", "/\t/evil.example": "/", "/\\evil.example": "/",
		"https://evil.example": "/", "/%09/evil.example": "/%09/evil.example",
	} {
		b := st.browser()
		_, _, token := b.get("/login")
		resp, _ := b.post("/login", url.Values{"login": {"next.user"}, "password": {"next.user-password"}, "_csrf": {token}, "next": {next}})
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}
