package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/sso"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/web"
)

// ssoSite serves CivicFlow with single sign-on through idp, configured as an installation would be.
func ssoSite(t *testing.T, s *stacktest.Stack, idp *testIdP) *site {
	t.Helper()
	cfg, err := config.Load(func(name string) (string, bool) {
		v, ok := map[string]string{"CIVICFLOW_OIDC_ISSUER": idp.URL, "CIVICFLOW_OIDC_CLIENT_ID": idp.clientID,
			"CIVICFLOW_OIDC_CLIENT_SECRET": idp.secret, "CIVICFLOW_OIDC_CLAIM_ID_NUMBER": "id_card",
			"CIVICFLOW_OIDC_CLAIM_ID_VERIFIED": "real_name_verified"}[name]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	st := startSiteWith(t, s, "", func(base string, d *web.Deps) {
		d.SSO = sso.New(cfg.OIDC, base+"/login/sso/callback")
	})
	idp.allow(st.base + "/login/sso/callback")
	return st
}

// ssoCallback starts a sign-in with the button of page (POST action) and signs in at idp as
// username: it returns the address of CivicFlow's callback the provider sends the browser to.
func (b *browser) ssoCallback(idp *testIdP, page, action, username string) string {
	b.st.t.Helper()
	_, _, token := b.get(page)
	resp, body := b.post(action, url.Values{"_csrf": {token}, "next": {"/cases"}})
	if resp.StatusCode != http.StatusSeeOther {
		b.st.t.Fatalf("POST %s: %d %s", action, resp.StatusCode, body)
	}
	loc, _ := resp.Location()
	for range 10 {
		if strings.HasPrefix(loc.String(), b.st.base) {
			return loc.String()
		}
		if loc.Path == "/login" { // the provider's login page
			resp, _ = b.postTo(idp.URL+"/login", url.Values{"id": {loc.Query().Get("authRequestID")}, "username": {username}, "password": {"pw-" + username}})
		} else {
			r, err := b.c.Get(loc.String())
			if err != nil {
				b.st.t.Fatal(err)
			}
			r.Body.Close()
			resp = r
		}
		next, err := resp.Location()
		if err != nil {
			b.st.t.Fatalf("%s: %d without a redirect", loc, resp.StatusCode)
		}
		loc = next
	}
	b.st.t.Fatal("the provider never sent the browser back")
	return ""
}

// postTo posts a form to an absolute address.
func (b *browser) postTo(address string, form url.Values) (*http.Response, error) {
	resp, err := b.c.PostForm(address, form)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// ssoLogin signs in through idp from the login page and returns the callback's status and redirect.
func (b *browser) ssoLogin(idp *testIdP, username string) (int, string, string) {
	b.st.t.Helper()
	return b.callback(b.ssoCallback(idp, "/login", "/login/sso", username))
}

// callback asks for CivicFlow's callback address and returns the status, the redirect and the body.
func (b *browser) callback(address string) (int, string, string) {
	b.st.t.Helper()
	resp, err := b.c.Get(address)
	if err != nil {
		b.st.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// loggedInAs is the login name of the browser's account, "" when it is not logged in.
func (b *browser) loggedInAs() string {
	b.st.t.Helper()
	var me struct{ User struct{ Login string } }
	req, _ := http.NewRequest("GET", b.st.base+"/api/v1/me", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		b.st.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		b.st.t.Fatal(err)
	}
	return me.User.Login
}

var ssoLoginPattern = regexp.MustCompile(`^sso-[a-z2-7]{16}$`)

func TestSingleSignOn(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		idp := startIdP(t,
			idpUser{Subject: "sub-wang", Username: "wang", Password: "pw-wang", Name: "王芳", Phone: "+86 138 0013 8000", IDNumber: "110101200001011232", IDVerified: true},
			idpUser{Subject: "sub-li", Username: "li", Password: "pw-li", Name: "李明", Phone: "13900139000", IDNumber: "11010519491231002X"},
			idpUser{Subject: "sub-zhou", Username: "zhou", Password: "pw-zhou", Name: "周强"},
			idpUser{Subject: "sub-sun", Username: "sun", Password: "pw-sun", Name: "孙丽", IDNumber: "11010519491231002X", IDVerified: true},
		)
		st := ssoSite(t, s, idp)
		userOf := func(subject string) *accounts.User {
			t.Helper()
			var id int64
			if err := s.DB.NewSelect().Table("sso_links").Column("user_id").Where("issuer = ? AND subject = ?", idp.URL, subject).Scan(ctx, &id); err != nil {
				t.Fatalf("link of %s: %v", subject, err)
			}
			u := new(accounts.User)
			if err := s.DB.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return u
		}

		t.Run("the login page offers the platform", func(t *testing.T) {
			_, body, _ := st.browser().get("/login")
			if !strings.Contains(body, `action="/login/sso"`) || !strings.Contains(body, "使用统一身份认证登录") {
				t.Fatalf("login page without the sign-in button: %s", body)
			}
		})

		var wang *accounts.User
		t.Run("a first login creates a citizen account with PKCE", func(t *testing.T) {
			b := st.browser()
			status, loc, body := b.ssoLogin(idp, "wang")
			if status != http.StatusSeeOther || loc != "/cases" {
				t.Fatalf("callback: %d %s %s", status, loc, body)
			}
			wang = userOf("sub-wang")
			if got := b.loggedInAs(); got != wang.Login || !ssoLoginPattern.MatchString(got) {
				t.Fatalf("logged in as %q, account %q", got, wang.Login)
			}
			if wang.DisplayName != "王芳" || wang.Phone != "13800138000" {
				t.Fatalf("account: %+v", wang)
			}
			if n, _ := accounts.IDNumberOf(ctx, s.DB, wang.ID); n != "110101200001011232" {
				t.Fatalf("vouched ID number not bound: %q", n)
			}
			grants, err := st.enf.Grants(ctx, wang.ID)
			if err != nil || len(grants) != 1 || grants[0].Role != "citizen" || grants[0].Pattern != "*" {
				t.Fatalf("grants %v %v, want citizen@* only", grants, err)
			}
			if !st.enf.AllowedSomewhere(wang.ID, "appointment", "book") {
				t.Fatal("the new citizen may not book at once")
			}
			challenge, method := idp.lastChallenge()
			if method != "S256" || len(challenge) != 43 {
				t.Fatalf("PKCE challenge %q %q", challenge, method)
			}
			for _, action := range []string{"user.create", "sso.link", "sso.login"} {
				if n := countRows(t, s, "audit_log", "action = ? AND object_id = ?", action, itoa(wang.ID)); n != 1 {
					t.Errorf("audit %s: %d entries", action, n)
				}
			}
		})

		t.Run("a second login finds the account", func(t *testing.T) {
			b := st.browser()
			if status, loc, body := b.ssoLogin(idp, "wang"); status != http.StatusSeeOther || loc != "/cases" {
				t.Fatalf("callback: %d %s %s", status, loc, body)
			}
			if got := b.loggedInAs(); got != wang.Login {
				t.Fatalf("logged in as %q, want %q", got, wang.Login)
			}
			if n := countRows(t, s, "sso_links", "subject = 'sub-wang'"); n != 1 {
				t.Fatalf("%d links", n)
			}
			if n := countRows(t, s, "audit_log", "action = 'sso.login' AND object_id = ?", itoa(wang.ID)); n != 2 {
				t.Fatalf("%d sign-ins audited", n)
			}
		})

		t.Run("an unverified ID number is not taken, and a matching phone links nothing", func(t *testing.T) {
			owner := st.user("li.password")
			if _, err := s.DB.NewUpdate().Table("users").Set("phone = '13900139000'").Where("id = ?", owner).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			b := st.browser()
			if status, _, body := b.ssoLogin(idp, "li"); status != http.StatusSeeOther {
				t.Fatalf("callback: %d %s", status, body)
			}
			li := userOf("sub-li")
			if li.ID == owner {
				t.Fatal("an account was linked by its phone number")
			}
			if n, _ := accounts.IDNumberOf(ctx, s.DB, li.ID); n != "" {
				t.Fatalf("an unverified ID number was bound: %q", n)
			}
		})

		t.Run("an ID number bound to another account creates nothing", func(t *testing.T) {
			holder := st.user("sun.password")
			if err := accounts.BindIDNumber(ctx, s.DB, holder, "11010519491231002X"); err != nil {
				t.Fatal(err)
			}
			b := st.browser()
			status, _, body := b.ssoLogin(idp, "sun")
			if status != http.StatusConflict || !strings.Contains(body, "关联统一身份认证") {
				t.Fatalf("callback: %d %s", status, body)
			}
			if n := countRows(t, s, "sso_links", "subject = 'sub-sun'"); n != 0 || b.loggedInAs() != "" {
				t.Fatal("signed in through a vouched ID number another account holds")
			}
		})

		t.Run("the owner links an existing staff account, and the platform then logs in to it", func(t *testing.T) {
			zhou := st.user("zhou.reviewer", "reviewer@210100")
			b := st.browser()
			b.login("zhou.reviewer")
			status, loc, body := b.callback(b.ssoCallback(idp, "/account/sso", "/account/sso/link", "zhou"))
			if status != http.StatusSeeOther || loc != "/account/sso?linked=1" {
				t.Fatalf("link callback: %d %s %s", status, loc, body)
			}
			if _, page, _ := b.get("/account/sso?linked=1"); !strings.Contains(page, `action="/account/sso/unlink"`) {
				t.Fatalf("account page after linking: %s", page)
			}
			if n := countRows(t, s, "outbox", "user_id = ? AND template = 'sso_linked'", zhou); n == 0 {
				t.Fatal("the owner was not told of the link")
			}
			other := st.browser()
			if status, _, body := other.ssoLogin(idp, "zhou"); status != http.StatusSeeOther {
				t.Fatalf("login: %d %s", status, body)
			}
			if got := other.loggedInAs(); got != "zhou.reviewer" {
				t.Fatalf("logged in as %q", got)
			}
			_, _, token := b.get("/account/sso")
			if resp, body := b.post("/account/sso/unlink", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("unlink: %d %s", resp.StatusCode, body)
			}
			if countRows(t, s, "sso_links", "user_id = ?", zhou) != 0 || countRows(t, s, "audit_log", "action = 'sso.unlink' AND object_id = ?", itoa(zhou)) != 1 {
				t.Fatal("unlink not done or not audited")
			}
		})

		t.Run("an identity linked to one account is not linked to another", func(t *testing.T) {
			st.user("wang.other")
			b := st.browser()
			b.login("wang.other")
			status, _, body := b.callback(b.ssoCallback(idp, "/account/sso", "/account/sso/link", "wang"))
			if status != http.StatusConflict || !strings.Contains(body, "已关联本站另一个账户") {
				t.Fatalf("link callback: %d %s", status, body)
			}
		})

		refused := func(t *testing.T, b *browser, address string) {
			t.Helper()
			status, _, body := b.callback(address)
			if status != http.StatusBadRequest || !strings.Contains(body, "统一身份认证登录未能完成") {
				t.Fatalf("callback: %d %s", status, body)
			}
			if got := b.loggedInAs(); got != "" {
				t.Fatalf("logged in as %q", got)
			}
		}

		t.Run("a tampered ID token is refused", func(t *testing.T) {
			idp.tamper.Store(true)
			b := st.browser()
			refused(t, b, b.ssoCallback(idp, "/login", "/login/sso", "wang"))
		})

		t.Run("a wrong nonce is refused", func(t *testing.T) {
			idp.forgeNonce.Store(true)
			b := st.browser()
			refused(t, b, b.ssoCallback(idp, "/login", "/login/sso", "wang"))
		})

		t.Run("a code without its PKCE verifier is refused", func(t *testing.T) {
			idp.dropVerifier.Store(true)
			defer idp.dropVerifier.Store(false)
			b := st.browser()
			refused(t, b, b.ssoCallback(idp, "/login", "/login/sso", "wang"))
		})

		t.Run("a wrong state is refused", func(t *testing.T) {
			b := st.browser()
			address := b.ssoCallback(idp, "/login", "/login/sso", "wang")
			u, _ := url.Parse(address)
			q := u.Query()
			q.Set("state", q.Get("state")+"x")
			u.RawQuery = q.Encode()
			refused(t, b, u.String())
		})

		t.Run("a callback in another browser is refused", func(t *testing.T) {
			address := st.browser().ssoCallback(idp, "/login", "/login/sso", "wang")
			refused(t, st.browser(), address)
		})

		t.Run("a callback works once", func(t *testing.T) {
			b := st.browser()
			address := b.ssoCallback(idp, "/login", "/login/sso", "wang")
			cookie := b.c.Jar.Cookies(mustURL(st.base))
			if status, _, _ := b.callback(address); status != http.StatusSeeOther {
				t.Fatalf("first callback: %d", status)
			}
			replay := st.browser()
			replay.c.Jar.SetCookies(mustURL(st.base), cookie)
			refused(t, replay, address)
		})
	})
}

// Without an issuer the platform is nowhere: no button, and its addresses do not exist.
func TestSingleSignOnOff(t *testing.T) {
	st := startSite(t, stacktest.SQLite(t))
	b := st.browser()
	_, body, token := b.get("/login")
	if strings.Contains(body, "/login/sso") {
		t.Fatal("login page offers single sign-on without an issuer")
	}
	if resp, _ := b.post("/login/sso", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /login/sso: %d", resp.StatusCode)
	}
	if status, _, _ := b.get("/login/sso/callback?state=x&code=y"); status != http.StatusNotFound {
		t.Fatalf("callback: %d", status)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
