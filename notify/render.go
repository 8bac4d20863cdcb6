package notify

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// DefaultLocale is the language of a message whose recipient's locale is unknown.
const DefaultLocale = "zh-CN"

// Locales are the languages every template is written in.
var Locales = []string{"zh-CN", "en"}

// parsedTemplate is one template parsed for one locale.
type parsedTemplate struct {
	subject, body *template.Template
}

// parsed holds every template parsed once at start-up, by name and locale; parseErr says what is
// wrong with the table if anything is (a test fails on it, and render refuses to work with it).
var parsed, parseErr = parseTemplates(templates)

func parseTemplates(src map[string]source) (map[string]map[string]parsedTemplate, error) {
	out := make(map[string]map[string]parsedTemplate, len(src))
	var errs []error
	for name, s := range src {
		out[name] = make(map[string]parsedTemplate, len(Locales))
		for _, loc := range Locales {
			subject, err := parseOne(name+".subject."+loc, s.Subject, loc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			body, err := parseOne(name+".body."+loc, s.Body, loc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out[name][loc] = parsedTemplate{subject: subject, body: body}
		}
	}
	return out, errors.Join(errs...)
}

func parseOne(name string, texts map[string]string, locale string) (*template.Template, error) {
	text, ok := texts[locale]
	if !ok || strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("notification template %s is missing", name)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parsing notification template %s: %w", name, err)
	}
	return t, nil
}

// TemplateNames lists the notification templates, sorted.
func TemplateNames() []string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// templateLocale picks the language to render in: the locale itself when a template exists for it,
// else its language ("en-US" → "en"), else DefaultLocale.
func templateLocale(locale string) string {
	for _, l := range Locales {
		if strings.EqualFold(locale, l) {
			return l
		}
	}
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	for _, l := range Locales {
		if strings.EqualFold(lang, l) {
			return l
		}
	}
	return DefaultLocale
}

// render returns the subject and body of template name in locale, filled with data. A missing value
// is an error rather than a "<no value>" in a citizen's message.
func render(name, locale string, data map[string]any) (subject, body string, err error) {
	if parseErr != nil {
		return "", "", fmt.Errorf("notification templates are broken: %w", parseErr)
	}
	byLocale, ok := parsed[name]
	if !ok {
		return "", "", fmt.Errorf("notification template %q does not exist", name)
	}
	t := byLocale[templateLocale(locale)]
	var sb, bb strings.Builder
	if err := t.subject.Execute(&sb, data); err != nil {
		return "", "", fmt.Errorf("rendering %s: %w", t.subject.Name(), err)
	}
	if err := t.body.Execute(&bb, data); err != nil {
		return "", "", fmt.Errorf("rendering %s: %w", t.body.Name(), err)
	}
	return sb.String(), bb.String(), nil
}
