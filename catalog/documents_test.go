package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestLintRefusesAnIssueWithoutTemplate(t *testing.T) {
	item := edit(baseItem, 37, "        - issue: no_such_notice")
	ds := lintFiles(map[string]string{"items/x.yaml": item, "forms/f.yaml": baseForm})
	want := itemFile + `:37: action accept: no document template for kind "no_such_notice" (add documents/no_such_notice.yaml)`
	if !slices.Contains(ds, want) {
		t.Fatalf("want %q, got:\n%s", want, strings.Join(ds, "\n"))
	}
}

// A document numbered from a field of its action needs the action to have that text field.
func TestLintRefusesANumberFieldTheActionLacks(t *testing.T) {
	item := edit(baseItem, 37, "        - issue: note")
	doc := "kind: note\ntitle: {zh: 通知, en: Note}\nlayout: letter\nnumber_field: decision_number\nblocks:\n  - heading: 通知\n"
	ds := lintFiles(map[string]string{"items/x.yaml": item, "forms/f.yaml": baseForm, "documents/note.yaml": doc})
	want := itemFile + `:37: action accept: document note takes its number from the text field "decision_number", which the action does not have`
	if !slices.Contains(ds, want) {
		t.Fatalf("want %q, got:\n%s", want, strings.Join(ds, "\n"))
	}
}

func TestLintDocumentTemplates(t *testing.T) {
	good := "kind: note\ntitle: {zh: 通知, en: Note}\nlayout: letter\nblocks:\n  - heading: 通知\n  - paragraph: \"{{.applicant}}\"\n"
	for _, tc := range []struct{ rule, text, want string }{
		{"unknown key", good + "colour: red\n", `documents/note.yaml:7: unknown key "colour"`},
		{"kind other than the file", strings.Replace(good, "kind: note", "kind: other", 1), `documents/note.yaml:1: kind "other" must match the file name note.yaml`},
		{"bad layout", strings.Replace(good, "layout: letter", "layout: poster", 1), `documents/note.yaml:3: layout must be one of letter, certificate, not "poster"`},
		{"template that does not parse", strings.Replace(good, "{{.applicant}}", "{{.applicant", 1), `documents/note.yaml:6: paragraph does not parse as a template`},
		{"block with two keys", strings.Replace(good, "  - heading: 通知\n", "  - heading: 通知\n    remedies: true\n", 1), `documents/note.yaml:5: a block has exactly one of`},
		{"blocks on a printed document", good + "printed_at_window: true\n", `documents/note.yaml:4: a document printed at the window is not rendered`},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			ds := lintFiles(map[string]string{"items/x.yaml": baseItem, "forms/f.yaml": baseForm, "documents/note.yaml": tc.text})
			for _, d := range ds {
				if strings.HasPrefix(d, "catalog/"+tc.want) {
					return
				}
			}
			t.Fatalf("want a diagnostic starting with %q, got:\n%s", tc.want, strings.Join(ds, "\n"))
		})
	}
}

func TestAuthoritiesOverride(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"authorities.yaml": "authorities:\n  - jurisdiction: \"210100\"\n    abbreviation: 沈\n    name: 沈阳市民政局（测试）\n"})
	c, warnings, err := Load(builtinFS(), dir, testNames)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	if a, ok := c.Authority("210100"); !ok || a.Name != "沈阳市民政局（测试）" {
		t.Fatalf("the override is not in effect: %+v", a)
	}
	if d, ok := c.Document("registration_certificate"); !ok || d.Title.ZH != "社会团体法人登记证书" {
		t.Fatalf("the built-in template is missing: %+v", d)
	}
}
