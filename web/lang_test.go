package web_test

import (
	"context"
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
