package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/web"
)

// twoProcesses serves two sites on one database and one Redis, as two web processes would be, each
// with a cache of sign-ins that lasts an hour (ttl 0: off), so that only an eviction can make one
// forget in time. The second site's statements go to the log.
func twoProcesses(t *testing.T, s *stacktest.Stack, ttl time.Duration) (here, there *site, log *stacktest.Statements) {
	t.Helper()
	here = startSiteWith(t, s, "", func(_ string, d *web.Deps) { d.Auth = accounts.NewCache(ttl, d.Broker) })
	log = &stacktest.Statements{}
	counted := *s
	counted.DB = s.DB.WithQueryHook(log)
	there = startSiteWith(t, &counted, "", func(_ string, d *web.Deps) {
		d.Broker = here.broker
		d.Auth = accounts.NewCache(ttl, here.broker)
	})
	return here, there, log
}

// signIns are the statements of q that read or write sessions, API tokens or users.
func signIns(q []string) []string { return stacktest.On(q, "sessions", "api_tokens", "users") }

// me asks the site who the caller is, with the session of a browser (which keeps its cookie, even
// after the site it logged in at cleared it) or else a bearer token, and returns the status and the
// account's language.
func (st *site) me(b *browser, token string) (int, string) {
	st.t.Helper()
	req, _ := http.NewRequest("GET", st.base+"/api/v1/me", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if b != nil {
		req.AddCookie(&http.Cookie{Name: "cf_session", Value: b.session})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ User struct{ Locale string } }
	_ = json.NewDecoder(resp.Body).Decode(&out) // an error answer has no user
	return resp.StatusCode, out.User.Locale
}

// remember keeps the browser's session cookie for me.
func (b *browser) remember() {
	u, _ := url.Parse(b.st.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "cf_session" {
			b.session = c.Value
		}
	}
	if b.session == "" {
		b.st.t.Fatal("no session cookie")
	}
}

// remembered waits until the site lets the caller in without a statement about sign-ins, as a repeat
// request does once the site's cache is in use.
func (st *site) remembered(log *stacktest.Statements, b *browser, token string) {
	st.t.Helper()
	stacktest.Eventually(st.t, "a repeat request let in from memory", func() bool {
		st.me(b, token)
		log.Take()
		status, _ := st.me(b, token)
		return status == http.StatusOK && len(signIns(log.Take())) == 0
	})
}

// Every write that changes what signing in finds, made through one process, is seen by the other at its
// next requests, although its cache would remember for an hour. Each case fails if its eviction is left
// out.
func TestSignInCacheForgetsEverywhere(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		here, there, log := twoProcesses(t, s, time.Hour)
		n := 0
		loggedIn := func(login string) *browser {
			b := here.browser()
			b.login(login)
			b.remember()
			return b
		}
		person := func() (string, *browser) {
			n++
			login := fmt.Sprintf("cached.%d", n)
			here.user(login, "citizen@*")
			return login, loggedIn(login)
		}
		refused := func(t *testing.T, what string, b *browser, token string) {
			t.Helper()
			stacktest.Eventually(t, what, func() bool { status, _ := there.me(b, token); return status == http.StatusUnauthorized })
		}
		t.Run("logout", func(t *testing.T) {
			_, b := person()
			there.remembered(log, b, "")
			_, _, csrf := b.get("/account")
			if resp, _ := b.post("/logout", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			refused(t, "the session refused after logging out", b, "")
		})
		t.Run("ending the other sessions", func(t *testing.T) {
			login, b := person()
			other := loggedIn(login)
			there.remembered(log, other, "")
			_, _, csrf := b.get("/account/security")
			if resp, body := b.post("/account/sessions/end-others", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("ending the other sessions: %d %s", resp.StatusCode, body)
			}
			refused(t, "the other session refused", other, "")
			there.remembered(log, b, "") // the session that ended the others goes on
		})
		t.Run("revoking a token", func(t *testing.T) {
			login, b := person()
			var created struct {
				Token string
				ID    int64
			}
			if status := here.api("POST", "/api/v1/tokens", "", map[string]string{"login": login, "password": login + "-password", "name": "revoked"}, &created); status != http.StatusCreated {
				t.Fatalf("token: %d", status)
			}
			token := created.Token
			there.remembered(log, nil, token)
			_, _, csrf := b.get("/account")
			if resp, body := b.post(fmt.Sprintf("/account/tokens/%d/revoke", created.ID), url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoking: %d %s", resp.StatusCode, body)
			}
			refused(t, "the revoked token refused", nil, token)
		})
		t.Run("changing the password", func(t *testing.T) {
			login, b := person()
			there.remembered(log, b, "")
			token := here.token(login)
			if status := here.api("POST", "/api/v1/me/password", token, map[string]string{"old_password": login + "-password",
				"new_password": "a new and rare password"}, nil); status != http.StatusNoContent {
				t.Fatalf("changing the password: %d", status)
			}
			refused(t, "a session refused after the password changed", b, "")
		})
		t.Run("resetting the password", func(t *testing.T) {
			phone := "13500135077"
			here.signUp(phone, "citizen")
			b := here.browser()
			loginWith(t, b, phone, phone+"-password", http.StatusSeeOther)
			b.remember()
			there.remembered(log, b, "")
			here.api("POST", "/api/v1/password-reset/code", "", map[string]string{"phone": phone}, nil)
			if status := here.api("POST", "/api/v1/password-reset", "", map[string]string{"phone": phone, "code": here.codeFor(phone),
				"password": "a new and rare password"}, nil); status >= 300 {
				t.Fatalf("resetting the password: %d", status)
			}
			refused(t, "a session refused after a reset", b, "")
		})
		t.Run("a new language", func(t *testing.T) {
			_, b := person()
			there.remembered(log, b, "")
			b.inLanguage("en")
			stacktest.Eventually(t, "the new language there", func() bool { _, lang := there.me(b, ""); return lang == "en" })
		})
	})
}

// With the cache off (CIVICFLOW_AUTH_CACHE_TTL=0) every request reads its token, and what another
// process revokes is refused at the next request, as before the cache.
func TestSignInCacheOff(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		here, there, log := twoProcesses(t, s, 0)
		here.user("uncached", "citizen@*")
		token := here.token("uncached")
		for i := range 3 {
			log.Take()
			if status, _ := there.me(nil, token); status != http.StatusOK {
				t.Fatalf("request %d: %d", i, status)
			}
			if q := signIns(log.Take()); len(q) == 0 {
				t.Fatalf("request %d let in without reading its token", i)
			}
		}
		b := here.browser()
		b.login("uncached")
		b.remember()
		if status, _ := there.me(b, ""); status != http.StatusOK {
			t.Fatalf("session: %d", status)
		}
		_, _, csrf := b.get("/account")
		b.post("/logout", url.Values{"_csrf": {csrf}})
		if status, _ := there.me(b, ""); status != http.StatusUnauthorized {
			t.Fatalf("an ended session: %d", status)
		}
	})
}
