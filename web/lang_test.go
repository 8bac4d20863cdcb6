package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/stacktest"
)

// A language chosen before logging in stays after it and becomes the account's, so that other
// devices and the account's messages follow it.
func TestLanguageChosenBeforeLoginStays(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("lang.citizen", "citizen") // reads Chinese until told otherwise
		shows := func(b *browser, lang string) {
			t.Helper()
			if _, body, _ := b.get("/account"); !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("the account page is not in %s", lang)
			}
		}
		saved := func(lang string) {
			t.Helper()
			u, err := accounts.GetByLogin(context.Background(), s.DB, "lang.citizen")
			if err != nil {
				t.Fatal(err)
			}
			if u.Locale != lang {
				t.Errorf("the account's language is %s, want %s", u.Locale, lang)
			}
		}

		phone := st.browser()
		phone.inLanguage("en")
		phone.login("lang.citizen")
		shows(phone, "en")
		saved("en")

		laptop := st.browser() // no choice made there: the account's language
		laptop.login("lang.citizen")
		shows(laptop, "en")

		kiosk := st.browser() // a choice made there before logging in wins again
		kiosk.inLanguage("zh-CN")
		kiosk.login("lang.citizen")
		shows(kiosk, "zh-CN")
		saved("zh-CN")
	})
}

// A language remembered from an earlier visit (the long-lived cf_lang cookie alone, no switch used in
// this visit) changes nothing at login: the account's language wins on every page after it.
func TestRememberedLanguageLeavesTheAccountsAlone(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("lang.staff", "citizen") // reads Chinese
		b := st.browser()
		base, _ := url.Parse(st.base)
		b.c.Jar.SetCookies(base, []*http.Cookie{{Name: "cf_lang", Value: "en", Path: "/"}})
		if _, body, _ := b.get("/"); !strings.Contains(body, `<html lang="en">`) {
			t.Error("a visitor's remembered language is not used before login")
		}
		b.login("lang.staff")
		if _, body, _ := b.get("/account"); !strings.Contains(body, `<html lang="zh-CN">`) {
			t.Error("after login the remembered cookie, not the account's language, shows")
		}
		u, err := accounts.GetByLogin(context.Background(), s.DB, "lang.staff")
		if err != nil || u.Locale != "zh-CN" {
			t.Errorf("the account's language became %s (%v)", u.Locale, err)
		}

		// A choice made in this visit is the account's at login, once: the next person to log in
		// on the same browser keeps theirs.
		st.user("lang.next", "citizen")
		b.post("/logout", url.Values{"_csrf": {csrfOf(b, "/")}})
		b.inLanguage("en")
		b.login("lang.staff")
		b.post("/logout", url.Values{"_csrf": {csrfOf(b, "/")}})
		b.login("lang.next")
		for login, want := range map[string]string{"lang.staff": "en", "lang.next": "zh-CN"} {
			if u, err := accounts.GetByLogin(context.Background(), s.DB, login); err != nil || u.Locale != want {
				t.Errorf("%s reads %s, want %s (%v)", login, u.Locale, want, err)
			}
		}
	})
}

// csrfOf is the CSRF token of a page.
func csrfOf(b *browser, path string) string {
	b.st.t.Helper()
	_, _, token := b.get(path)
	return token
}

// The API answers in the language of Accept-Language when the request names one, else in the
// account's language, for a caller logged in by token as well.
func TestAPIFollowsAcceptLanguageThenTheAccount(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		id := st.user("lang.api", "citizen")
		if err := accounts.SetLocale(context.Background(), s.DB, st.srv.Auth, id, "en"); err != nil {
			t.Fatal(err)
		}
		token := st.token("lang.api")
		message := func(acceptLanguage string) string {
			t.Helper()
			req, _ := http.NewRequest("GET", st.base+"/api/v1/cases/999999", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if acceptLanguage != "" {
				req.Header.Set("Accept-Language", acceptLanguage)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out apiErr
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusNotFound {
				t.Fatalf("GET a missing case: %d %v", resp.StatusCode, err)
			}
			return out.Error.Message
		}
		for header, want := range map[string]string{
			"zh-CN,zh;q=0.9": "未找到该内容，或您无权查看。",
			"en-GB":          "Not found, or not yours to see.",
			"fr":             "Not found, or not yours to see.", // no language of ours: the account's
			"":               "Not found, or not yours to see.",
		} {
			if got := message(header); got != want {
				t.Errorf("Accept-Language %q: the message is %q, want %q", header, got, want)
			}
		}
	})
}
