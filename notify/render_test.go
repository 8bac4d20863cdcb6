package notify

import (
	"strings"
	"testing"
)

func TestEveryTemplateRendersInEveryLocale(t *testing.T) {
	if parseErr != nil {
		t.Fatalf("the template table is broken: %v", parseErr)
	}
	for _, name := range TemplateNames() {
		src := templates[name]
		if len(src.Sample) == 0 {
			t.Errorf("template %s has no Sample data", name)
		}
		rendered := map[string]string{}
		for _, loc := range Locales {
			subject, body, err := render(name, loc, src.Sample)
			if err != nil {
				t.Errorf("%s/%s: %v", name, loc, err)
				continue
			}
			if strings.TrimSpace(subject) == "" || strings.TrimSpace(body) == "" {
				t.Errorf("%s/%s renders an empty subject or body", name, loc)
			}
			if strings.Contains(subject+body, "<no value>") {
				t.Errorf("%s/%s renders a missing value: %q %q", name, loc, subject, body)
			}
			rendered[loc] = subject + "\n" + body
		}
		if rendered["zh-CN"] == rendered["en"] {
			t.Errorf("%s is the same in Chinese and English", name)
		}
	}
}

func TestRenderLocales(t *testing.T) {
	data := templates["role_granted"].Sample
	zh, _, err := render("role_granted", "zh-CN", data)
	if err != nil {
		t.Fatal(err)
	}
	en, _, err := render("role_granted", "en", data)
	if err != nil {
		t.Fatal(err)
	}
	for locale, want := range map[string]string{"en": en, "en-US": en, "EN": en, "zh-CN": zh, "zh": zh, "fr": zh, "": zh} {
		got, _, err := render("role_granted", locale, data)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("locale %q: subject %q, want %q", locale, got, want)
		}
	}
	_, body, err := render("role_granted", "en", map[string]any{"role": "reviewer", "jurisdiction": "Dongcheng"})
	if err != nil {
		t.Fatal(err)
	}
	if body != "You now hold the role “reviewer” in Dongcheng." {
		t.Errorf("body = %q", body)
	}
}

func TestRenderErrors(t *testing.T) {
	if _, _, err := render("no_such_template", "en", nil); err == nil {
		t.Error("an unknown template rendered")
	}
	if _, _, err := render("role_granted", "en", map[string]any{"role": "x"}); err == nil {
		t.Error("a template with a missing value rendered")
	}
}

func TestBrokenTemplatesAreFound(t *testing.T) {
	for name, src := range map[string]source{
		"syntax": {
			Subject: map[string]string{"zh-CN": "主题", "en": "Subject"},
			Body:    map[string]string{"zh-CN": "{{.x", "en": "ok"},
		},
		"missing locale": {
			Subject: map[string]string{"zh-CN": "主题"},
			Body:    map[string]string{"zh-CN": "正文", "en": "Body"},
		},
		"empty body": {
			Subject: map[string]string{"zh-CN": "主题", "en": "Subject"},
			Body:    map[string]string{"zh-CN": "正文", "en": " "},
		},
	} {
		if _, err := parseTemplates(map[string]source{"t": src}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
