package catalog

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestTemplatesAreReadBesideTheItem(t *testing.T) {
	templates := "templates:\n  - file: form.xlsx\n    name: {zh: 申请表, en: Application form}\nform: test_form"
	fsys := builtinFS()
	fsys["items/x.yaml"] = &fstest.MapFile{Data: []byte(edit(baseItem, 12, templates))}
	fsys["items/x/form.xlsx"] = &fstest.MapFile{Data: []byte("PK\x03\x04 a workbook")}
	c, _, err := Load(fsys, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := c.Item("test-item")
	if len(it.Templates) != 1 || string(it.Templates[0].Content) != "PK\x03\x04 a workbook" || len(it.Templates[0].SHA256) != 64 {
		t.Fatalf("templates %+v", it.Templates)
	}

	cases := map[string]struct{ yaml, want string }{
		"missing file":  {"  - file: missing.pdf\n    name: {zh: 申请表}", "template file missing.pdf not found: put it in catalog/items/x/"},
		"unsafe name":   {"  - file: ../x.yaml\n    name: {zh: 申请表}", `template file "../x.yaml" must be`},
		"unknown type":  {"  - file: form.exe\n    name: {zh: 申请表}", `template file form.exe: unknown type ".exe"`},
		"missing name":  {"  - file: form.xlsx", "template form.xlsx: missing name.zh"},
		"same file two": {"  - file: form.xlsx\n    name: {zh: 甲}\n  - file: form.xlsx\n    name: {zh: 乙}", "duplicate template file form.xlsx"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fsys["items/x.yaml"] = &fstest.MapFile{Data: []byte(edit(baseItem, 12, "templates:\n"+tc.yaml+"\nform: test_form"))}
			var got []string
			for _, d := range Lint(fsys, "", testNames) {
				got = append(got, d.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("diagnostics %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuiltinSocialGroupOffersModelArticles(t *testing.T) {
	c, _, err := Load(Builtin, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := c.Item("social-group-establishment")
	if len(it.Templates) == 0 || !strings.Contains(string(it.Templates[0].Content), "章程") {
		t.Fatalf("templates %+v", it.Templates)
	}
}
