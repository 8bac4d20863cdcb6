package web

import (
	"embed"
	"fmt"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// Locales are the languages of the interface; the first is the default.
var Locales = []string{"zh-CN", "en"}

// translations holds the interface texts of every locale, loaded from locales/ at start-up.
type translations struct {
	bundle *i18n.Bundle
	byLang map[string]*i18n.Localizer
}

func loadTranslations() (*translations, error) {
	b := i18n.NewBundle(language.SimplifiedChinese)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	t := &translations{bundle: b, byLang: map[string]*i18n.Localizer{}}
	for _, l := range Locales {
		if _, err := b.LoadMessageFileFS(localeFiles, "locales/"+l+".yaml"); err != nil {
			return nil, fmt.Errorf("loading locale %s: %w", l, err)
		}
		t.byLang[l] = i18n.NewLocalizer(b, l)
	}
	return t, nil
}

// text returns the message id in locale, filled with data. A missing id shows as the id itself in
// square brackets, so a gap is visible on the page and caught by the locale test.
func (t *translations) text(locale, id string, data map[string]any) string {
	s, ok := t.lookup(locale, id, data)
	if !ok {
		return "[" + id + "]"
	}
	return s
}

// lookup is text for the ids a page may lack on purpose (the name of a document kind that a
// catalogue directory added), so that the caller can fall back to a general word.
func (t *translations) lookup(locale, id string, data map[string]any) (string, bool) {
	l, ok := t.byLang[locale]
	if !ok {
		l = t.byLang[Locales[0]]
	}
	s, err := l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	return s, err == nil
}

// pickLocale chooses the interface language: an explicit choice (cookie), else the user's, else the
// browser's Accept-Language, else Chinese.
func pickLocale(cookie, userLocale, acceptLanguage string) string {
	for _, c := range []string{cookie, userLocale} {
		if isLocale(c) {
			return c
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	for _, tag := range tags {
		if base, _ := tag.Base(); base.String() == "en" {
			return "en"
		}
		if base, _ := tag.Base(); base.String() == "zh" {
			return "zh-CN"
		}
	}
	return Locales[0]
}

func isLocale(s string) bool {
	for _, l := range Locales {
		if s == l {
			return true
		}
	}
	return false
}
