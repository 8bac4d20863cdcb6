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

// pickLocale chooses the language of an answer: the first of choices that is one of Locales, else
// Chinese.
func pickLocale(choices ...string) string {
	for _, c := range choices {
		if isLocale(c) {
			return c
		}
	}
	return Locales[0]
}

// acceptedLocale is the first language of an Accept-Language header that the interface speaks, or ""
// when the header names none.
func acceptedLocale(header string) string {
	tags, _, _ := language.ParseAcceptLanguage(header)
	for _, tag := range tags {
		switch base, _ := tag.Base(); base.String() {
		case "en":
			return "en"
		case "zh":
			return "zh-CN"
		}
	}
	return ""
}

func isLocale(s string) bool {
	for _, l := range Locales {
		if s == l {
			return true
		}
	}
	return false
}
