package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/stacktest"
)

// smsTo returns the template and data of the last text message written to the outbox for phone, as the
// log provider would print it.
func (st *site) smsTo(phone string) (string, map[string]any) {
	st.t.Helper()
	var row struct {
		Template string
		Data     string
	}
	err := st.stack.DB.NewSelect().Table("outbox").Column("template").ColumnExpr("data").
		Where("channel = 'sms' AND address = ?", phone).OrderExpr("id DESC").Limit(1).Scan(context.Background(), &row.Template, &row.Data)
	if err != nil {
		st.t.Fatalf("no text message to %s: %v", phone, err)
	}
	var data map[string]any
	if row.Data != "" {
		if err := json.Unmarshal([]byte(row.Data), &data); err != nil {
			st.t.Fatal(err)
		}
	}
	return row.Template, data
}

// codeFor is the code in the last text message to phone, "" when it holds none.
func (st *site) codeFor(phone string) string {
	st.t.Helper()
	_, data := st.smsTo(phone)
	code, _ := data["code"].(string)
	return code
}

// signUp signs a citizen up through the API with the password "<phone>-password" and returns its id.
func (st *site) signUp(phone, kind string) int64 {
	st.t.Helper()
	if code := st.api("POST", "/api/v1/signup/code", "", map[string]string{"phone": phone, "kind": kind}, nil); code != http.StatusAccepted {
		st.t.Fatalf("sign-up code for %s: %d", phone, code)
	}
	var out struct{ User accounts.User }
	if code := st.api("POST", "/api/v1/signup", "", map[string]string{"phone": phone, "kind": kind, "code": st.codeFor(phone),
		"password": phone + "-password", "display_name": "王芳"}, &out); code != http.StatusCreated {
		st.t.Fatalf("sign-up of %s: %d", phone, code)
	}
	return out.User.ID
}

// fieldCode is the code of the error on path in an API error, "" when there is none.
func fieldCode(e apiErr, path string) string {
	for _, f := range e.Error.Fields {
		if f.Path == path {
			return f.Code
		}
	}
	return ""
}

func TestSignupPages(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		b := st.browser()
		status, page, token := b.get("/signup")
		if status != http.StatusOK || !strings.Contains(page, `name="phone"`) {
			t.Fatalf("sign-up page: %d", status)
		}
		resp, body := b.post("/signup", url.Values{"_csrf": {token}, "kind": {"citizen"}, "phone": {"12345"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#phone"`) {
			t.Fatalf("bad number: %d", resp.StatusCode)
		}
		resp, _ = b.post("/signup", url.Values{"_csrf": {token}, "kind": {"citizen"}, "phone": {"13900139000"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signup/confirm?") {
			t.Fatalf("sign-up: %d %s", resp.StatusCode, loc)
		}
		code := st.codeFor("13900139000")
		if len(code) != 6 {
			t.Fatalf("code %q", code)
		}
		_, page, token = b.get("/signup/confirm?phone=13900139000&kind=citizen")
		if !strings.Contains(page, `value="13900139000"`) {
			t.Error("the confirm page does not carry the number")
		}
		form := url.Values{"_csrf": {token}, "kind": {"citizen"}, "phone": {"13900139000"}, "code": {code},
			"display_name": {"王芳"}, "password": {"1234567890"}}
		resp, body = b.post("/signup/confirm", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "太常见") {
			t.Fatalf("common password: %d", resp.StatusCode)
		}
		if strings.Contains(body, "1234567890") {
			t.Error("the refused password is shown again")
		}
		form.Set("password", "冬天的沈阳有很多很多雪")
		resp, body = b.post("/signup/confirm", form)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/account?welcome=1" {
			t.Fatalf("confirm: %d %s %s", resp.StatusCode, loc, body)
		}
		if status, page, _ = b.get("/account?welcome=1"); status != http.StatusOK || !strings.Contains(page, "/account/security") {
			t.Fatalf("account: %d", status)
		}
		u, err := accounts.GetByLogin(context.Background(), s.DB, "13900139000")
		if err != nil || u.DisplayName != "王芳" || u.Phone != "13900139000" {
			t.Fatalf("account %+v, %v", u, err)
		}
		if !st.enf.HasRole(u.ID, "citizen", "210102") || st.enf.HasRole(u.ID, "org_applicant", "210102") {
			t.Error("the account does not hold exactly the citizen role")
		}
		if tmpl, _ := st.smsTo("13900139000"); tmpl != "signup_welcome" {
			t.Errorf("last text message %s, want the welcome", tmpl)
		}

		// Logged in, the other kind of account is added after the password.
		_, page, token = b.get("/signup")
		if !strings.Contains(page, `action="/signup/kind"`) {
			t.Fatal("no offer to add the other kind")
		}
		resp, _ = b.post("/signup/kind", url.Values{"_csrf": {token}, "kind": {"org_applicant"}, "password": {"wrong-password"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || st.enf.HasRole(u.ID, "org_applicant", "210102") {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		resp, _ = b.post("/signup/kind", url.Values{"_csrf": {token}, "kind": {"org_applicant"}, "password": {"冬天的沈阳有很多很多雪"}})
		if resp.StatusCode != http.StatusSeeOther || !st.enf.HasRole(u.ID, "org_applicant", "210102") || !st.enf.HasRole(u.ID, "citizen", "210102") {
			t.Fatalf("add kind: %d", resp.StatusCode)
		}

		// A staff account is not offered a kind, nor may it add one.
		st.user("clerk", "acceptor@210102")
		staff := st.browser()
		staff.login("clerk")
		_, page, token = staff.get("/signup")
		if strings.Contains(page, `action="/signup/kind"`) {
			t.Error("a staff account is offered a kind of public account")
		}
		if resp, _ = staff.post("/signup/kind", url.Values{"_csrf": {token}, "kind": {"citizen"}, "password": {"clerk-password"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("staff adds a kind: %d", resp.StatusCode)
		}
	})
}

func TestSignupCodes(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		finish := func(phone, code string) (int, apiErr) {
			var e apiErr
			status := st.api("POST", "/api/v1/signup", "", map[string]string{"phone": phone, "kind": "org_applicant", "code": code,
				"password": "a long and rare one", "display_name": "李明"}, &e)
			return status, e
		}
		ask := func(phone string) (int, string) {
			var raw json.RawMessage
			status := st.api("POST", "/api/v1/signup/code", "", map[string]string{"phone": phone, "kind": "org_applicant"}, &raw)
			return status, string(raw)
		}

		t.Run("single use", func(t *testing.T) {
			if status, _ := ask("13700137000"); status != http.StatusAccepted {
				t.Fatal(status)
			}
			code := st.codeFor("13700137000")
			if status, _ := finish("13700137000", code); status != http.StatusCreated {
				t.Fatalf("first use: %d", status)
			}
			if status, e := finish("13700137000", code); status != http.StatusUnprocessableEntity || fieldCode(e, "code") != "bad_code" {
				t.Errorf("second use: %d %+v", status, e)
			}
		})

		t.Run("no enumeration", func(t *testing.T) {
			_, fresh := ask("13700137001")
			_, taken := ask("13700137000") // signed up above
			if fresh != taken {
				t.Errorf("answers differ: %s and %s", fresh, taken)
			}
			tmpl, data := st.smsTo("13700137000")
			if tmpl != "signup_existing" || data["code"] != nil {
				t.Errorf("the owner got %s %v", tmpl, data)
			}
			var n int
			if err := s.DB.NewSelect().Table("phone_codes").ColumnExpr("COUNT(*)").Where("phone = ?", "13700137000").Scan(ctx, &n); err != nil || n != 1 {
				t.Errorf("%d codes stored for the taken number (%v), want 1 as for any number", n, err)
			}
			if status, e := finish("13700137000", "000000"); status != http.StatusUnprocessableEntity || fieldCode(e, "code") != "bad_code" {
				t.Errorf("a taken number: %d %+v", status, e)
			}
		})

		t.Run("expiry", func(t *testing.T) {
			ask("13700137002")
			code := st.codeFor("13700137002")
			if _, err := s.DB.NewUpdate().Table("phone_codes").Set("expires_at = ?", time.Now().UTC().Add(-time.Second)).
				Where("phone = ?", "13700137002").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if status, e := finish("13700137002", code); status != http.StatusUnprocessableEntity || fieldCode(e, "code") != "bad_code" {
				t.Errorf("expired code: %d %+v", status, e)
			}
		})

		t.Run("wrong codes", func(t *testing.T) {
			ask("13700137003")
			code := st.codeFor("13700137003")
			wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
			for range 3 { // the harness allows 3 failures per name
				finish("13700137003", wrong)
			}
			if status, _ := finish("13700137003", code); status != http.StatusUnprocessableEntity {
				t.Errorf("the right code after the wrong ones ran out: %d", status)
			}
		})

		t.Run("throttled per number", func(t *testing.T) {
			for i := range 5 {
				if status, _ := ask("13700137004"); status != http.StatusAccepted {
					t.Fatalf("request %d: %d", i+1, status)
				}
			}
			var e apiErr
			if status := st.api("POST", "/api/v1/signup/code", "", map[string]string{"phone": "13700137004", "kind": "citizen"}, &e); status != http.StatusTooManyRequests || e.Error.Code != "sms_code_throttled" {
				t.Errorf("sixth request: %d %+v", status, e)
			}
		})

		t.Run("throttled per address", func(t *testing.T) {
			status := http.StatusAccepted
			for i := 0; status == http.StatusAccepted && i < 30; i++ {
				status, _ = ask(fmt.Sprintf("1360013%04d", i))
			}
			if status != http.StatusTooManyRequests {
				t.Errorf("30 numbers from one address: %d", status)
			}
		})

		t.Run("fields", func(t *testing.T) {
			var e apiErr
			status := st.api("POST", "/api/v1/signup", "", map[string]string{"phone": "1", "kind": "x", "password": "short"}, &e)
			if status != http.StatusUnprocessableEntity {
				t.Fatal(status)
			}
			for _, p := range []string{"phone", "kind", "code", "display_name", "password"} {
				if fieldCode(e, p) == "" {
					t.Errorf("no error on %s: %+v", p, e)
				}
			}
		})
	})
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n) //nolint:errcheck // a code is six digits
	return n
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.signUp("13500135000", "citizen")
		b := st.browser()
		loginWith(t, b, "13500135000", "13500135000-password", http.StatusSeeOther)

		var unknown, known json.RawMessage
		st.api("POST", "/api/v1/password-reset/code", "", map[string]string{"phone": "13500135001"}, &unknown)
		st.api("POST", "/api/v1/password-reset/code", "", map[string]string{"phone": "13500135000"}, &known)
		if string(unknown) != string(known) {
			t.Errorf("answers differ: %s and %s", unknown, known)
		}
		if tmpl, data := st.smsTo("13500135001"); tmpl != "reset_no_account" || data["code"] != nil {
			t.Errorf("a number without account got %s %v", tmpl, data)
		}
		var e apiErr
		if status := st.api("POST", "/api/v1/password-reset", "", map[string]string{"phone": "13500135001", "code": "123456", "password": "a new and rare one"}, &e); status != http.StatusUnprocessableEntity || fieldCode(e, "code") != "bad_code" {
			t.Errorf("reset of a number without account: %d %+v", status, e)
		}

		// The pages: number, then code and new password.
		_, _, token := b.get("/password/reset")
		resp, _ := b.post("/password/reset", url.Values{"_csrf": {token}, "phone": {"13500135000"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reset: %d", resp.StatusCode)
		}
		code := st.codeFor("13500135000")
		other := st.browser()
		_, _, token = other.get("/password/reset/confirm?phone=13500135000")
		resp, _ = other.post("/password/reset/confirm", url.Values{"_csrf": {token}, "phone": {"13500135000"}, "code": {code}, "password": {"a new and rare one"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?reset=1" {
			t.Fatalf("reset confirm: %d %s", resp.StatusCode, loc)
		}
		if status, _, _ := b.get("/account"); status == http.StatusOK {
			t.Error("a session outlived the reset")
		}
		loginWith(t, st.browser(), "13500135000", "13500135000-password", http.StatusUnauthorized)
		loginWith(t, st.browser(), "13500135000", "a new and rare one", http.StatusSeeOther)
		if tmpl, _ := st.smsTo("13500135000"); tmpl != "password_reset" {
			t.Errorf("last text message %s, want the reset notice", tmpl)
		}
		if resp, _ = other.post("/password/reset/confirm", url.Values{"_csrf": {token}, "phone": {"13500135000"}, "code": {code}, "password": {"yet another rare one"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("the reset code worked twice: %d", resp.StatusCode)
		}
		assertAudited(t, s, "user.password_reset")
	})
}

func TestPasswordChangeAndSessions(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.signUp("13300133000", "citizen")
		a, b := st.browser(), st.browser()
		loginWith(t, a, "13300133000", "13300133000-password", http.StatusSeeOther)
		loginWith(t, b, "13300133000", "13300133000-password", http.StatusSeeOther)
		status, page, token := a.get("/account/security")
		if status != http.StatusOK || strings.Count(page, "<tr><td>") != 2 || !strings.Contains(page, "本浏览器") {
			t.Fatalf("sessions page: %d %d rows", status, strings.Count(page, "<tr><td>"))
		}
		resp, body := a.post("/account/password", url.Values{"_csrf": {token}, "old_password": {"not my password"}, "new_password": {"the sea at dalian"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#old_password"`) {
			t.Fatalf("wrong old password: %d", resp.StatusCode)
		}
		resp, _ = a.post("/account/password", url.Values{"_csrf": {token}, "old_password": {"13300133000-password"}, "new_password": {"the sea at dalian"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change: %d", resp.StatusCode)
		}
		if status, _, _ := a.get("/account/security?changed=1"); status != http.StatusOK {
			t.Error("the changing session ended")
		}
		if status, _, _ := b.get("/account"); status == http.StatusOK {
			t.Error("another session outlived the change")
		}
		loginWith(t, b, "13300133000", "the sea at dalian", http.StatusSeeOther)
		if tmpl, _ := st.smsTo("13300133000"); tmpl != "password_changed" {
			t.Errorf("last text message %s, want the change notice", tmpl)
		}

		// Log out everywhere else, and the API's view of the sessions.
		var list struct{ Sessions []struct{ Current bool } }
		if status := st.api("GET", "/api/v1/me/sessions", st.tokenWith("13300133000", "the sea at dalian"), nil, &list); status != http.StatusOK || len(list.Sessions) != 2 {
			t.Fatalf("API sessions: %d %+v", status, list)
		}
		_, _, token = a.get("/account/security")
		if resp, _ = a.post("/account/sessions/end-others", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("end others: %d", resp.StatusCode)
		}
		if status, _, _ := b.get("/account"); status == http.StatusOK {
			t.Error("another session outlived log out everywhere else")
		}
		if status, _, _ := a.get("/account"); status != http.StatusOK {
			t.Error("this session ended too")
		}
		assertAudited(t, s, "user.password_change")
		assertAudited(t, s, "session.end_others")
		assertAudited(t, s, "user.signup")

		var e apiErr
		if status := st.api("POST", "/api/v1/me/password", st.tokenWith("13300133000", "the sea at dalian"),
			map[string]string{"old_password": "the sea at dalian", "new_password": "qwertyuiop"}, &e); status != http.StatusUnprocessableEntity || fieldCode(e, "new_password") != "common" {
			t.Errorf("a common new password: %d %+v", status, e)
		}
	})
}

// loginWith logs b in with a password and checks the answer's status.
func loginWith(t *testing.T, b *browser, login, password string, want int) {
	t.Helper()
	_, _, token := b.get("/login")
	if resp, _ := b.post("/login", url.Values{"login": {login}, "password": {password}, "_csrf": {token}}); resp.StatusCode != want {
		t.Fatalf("login %s: %d, want %d", login, resp.StatusCode, want)
	}
}

// tokenWith is token for an account whose password is not "<login>-password".
func (st *site) tokenWith(login, password string) string {
	st.t.Helper()
	var out struct{ Token string }
	if code := st.api("POST", "/api/v1/tokens", "", map[string]string{"login": login, "password": password, "name": "test"}, &out); code != http.StatusCreated {
		st.t.Fatalf("token for %s: %d", login, code)
	}
	return out.Token
}

// assertAudited fails the test unless the audit log holds an entry of action.
func assertAudited(t *testing.T, s *stacktest.Stack, action string) {
	t.Helper()
	n, err := s.DB.NewSelect().Table("audit_log").Where("action = ?", action).Count(context.Background())
	if err != nil || n == 0 {
		t.Errorf("no audit entry %s (%v)", action, err)
	}
}

// signupContract calls the sign-up, reset, password and sessions operations of the API document.
func signupContract(t *testing.T, k *contract) {
	t.Helper()
	st := k.st
	phone := "13100131000"
	k.do(call{method: "POST", path: "/api/v1/signup/code", valid: true, body: map[string]string{"phone": phone, "kind": "citizen"}}, 202)
	k.fails(call{method: "POST", path: "/api/v1/signup/code", body: map[string]string{"phone": "1", "kind": "citizen"}}, 422, "invalid_input")
	k.fails(call{method: "POST", path: "/api/v1/signup", valid: true, body: map[string]string{"phone": phone, "kind": "citizen", "code": "000000",
		"password": "冬天的沈阳有很多很多雪", "display_name": "王芳"}}, 422, "invalid_input")
	k.do(call{method: "POST", path: "/api/v1/signup/code", valid: true, body: map[string]string{"phone": phone, "kind": "citizen"}}, 202)
	k.do(call{method: "POST", path: "/api/v1/signup", valid: true, body: map[string]string{"phone": phone, "kind": "citizen", "code": st.codeFor(phone),
		"password": "冬天的沈阳有很多很多雪", "display_name": "王芳", "email": "wang.fang@example.org", "locale": "zh-CN"}}, 201)
	k.do(call{method: "POST", path: "/api/v1/password-reset/code", valid: true, body: map[string]string{"phone": phone}}, 202)
	k.fails(call{method: "POST", path: "/api/v1/password-reset", valid: true, body: map[string]string{"phone": phone, "code": "x", "password": "the sea at dalian in june"}}, 422, "invalid_input")
	k.do(call{method: "POST", path: "/api/v1/password-reset", valid: true, body: map[string]string{"phone": phone, "code": st.codeFor(phone), "password": "the sea at dalian in june"}}, 204)
	token := st.tokenWith(phone, "the sea at dalian in june")
	k.fails(call{method: "POST", path: "/api/v1/me/password", token: token, valid: true, body: map[string]string{"old_password": "wrong password", "new_password": "冬天的沈阳有很多很多雪"}}, 422, "invalid_input")
	k.do(call{method: "POST", path: "/api/v1/me/password", token: token, valid: true, body: map[string]string{"old_password": "the sea at dalian in june", "new_password": "冬天的沈阳有很多很多雪"}}, 204)
	k.do(call{method: "GET", path: "/api/v1/me/sessions", token: token, valid: true}, 200)
	k.do(call{method: "POST", path: "/api/v1/me/sessions/end-others", token: token, valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/me/sessions"}, 401, "login_required")
}
