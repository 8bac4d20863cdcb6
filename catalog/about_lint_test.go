package catalog

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The test item about an organisation lints clean and loads with its About; a wrong about and a form
// without its uscc field are reported at the item's about line.
func TestLintAbout(t *testing.T) {
	for _, d := range Lint(Builtin, "testdata/about", testNames) {
		t.Error(d)
	}
	c, _, err := Load(Builtin, "testdata/about", testNames)
	if err != nil {
		t.Fatal(err)
	}
	if it, ok := c.Item("sg-annual-report-test"); !ok || it.About != AboutOrganisation {
		t.Fatalf("the test item about an organisation: %v %+v", ok, it)
	}
	read := func(name string) string {
		b, err := os.ReadFile("testdata/about/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	item, form := read("items/sg-annual-report-test.yaml"), read("forms/annual-report-test.yaml")
	aboutLine := strings.Count(item[:strings.Index(item, "\nabout: organisation")], "\n") + 2
	line := itoa(aboutLine)
	for _, tc := range []struct{ rule, item, form, want string }{
		{"unknown about", strings.Replace(item, "\nabout: organisation", "\nabout: person", 1), form,
			`unknown about "person"; the only one is organisation`},
		{"no uscc field", item, strings.Replace(form, "name: uscc", "name: credit_code", 1),
			"about: organisation: the application form annual_report_test needs a required uscc field named uscc"},
		{"uscc not required", item, strings.Replace(form, "type: uscc\n    required: true", "type: uscc", 1),
			"about: organisation: the application form annual_report_test needs a required uscc field named uscc"},
		{"unknown kind", strings.Replace(item, "\nabout: organisation", "\norganisation_kinds: [trust]\nabout: organisation", 1), form,
			`unknown organisation kind "trust"`},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			ds := lintFiles(map[string]string{"items/a.yaml": tc.item, "forms/a.yaml": tc.form})
			want := "catalog/items/a.yaml:" + line + ": " + tc.want
			for _, d := range ds {
				if strings.HasPrefix(d, want) {
					return
				}
			}
			t.Fatalf("want a diagnostic starting with\n  %s\ngot:\n  %s", want, strings.Join(ds, "\n  "))
		})
	}
	// The lists refused are known ones, on the line after about:, and only about an organisation.
	listed := strings.Replace(item, "\nabout: organisation", "\nabout: organisation\nrefused_if_listed: [abnormal, serious]", 1)
	if ds := lintFiles(map[string]string{"items/a.yaml": listed, "forms/a.yaml": form}); len(ds) > 0 {
		t.Errorf("refused_if_listed with the known lists: %v", ds)
	}
	unknown := strings.Replace(item, "\nabout: organisation", "\nabout: organisation\nrefused_if_listed: [abnormal, blacklist]", 1)
	wantLint(t, map[string]string{"items/a.yaml": unknown, "forms/a.yaml": form},
		"catalog/items/a.yaml:"+itoa(strings.Count(item[:strings.Index(item, "\nabout: organisation")], "\n")+3)+
			`: refused_if_listed: unknown list "blacklist"; the lists are: abnormal, serious`)
	notAbout := strings.Replace(item, "\nabout: organisation", "\nrefused_if_listed: [serious]", 1)
	wantLint(t, map[string]string{"items/a.yaml": notAbout, "forms/a.yaml": form},
		"catalog/items/a.yaml:"+line+": refused_if_listed needs about: organisation")
	kindsNotAbout := strings.Replace(item, "\nabout: organisation", "\norganisation_kinds: [foundation]", 1)
	wantLint(t, map[string]string{"items/a.yaml": kindsNotAbout, "forms/a.yaml": form},
		"catalog/items/a.yaml:"+line+": organisation_kinds is for items with about: organisation")
	concurrentNotAbout := strings.Replace(item, "\nabout: organisation", "\nconcurrent_cases: true", 1)
	wantLint(t, map[string]string{"items/a.yaml": concurrentNotAbout, "forms/a.yaml": form},
		"catalog/items/a.yaml:"+line+": concurrent_cases is for items with about: organisation")
}

// wantLint fails the test unless linting files reports a diagnostic starting with want.
func wantLint(t *testing.T, files map[string]string, want string) {
	t.Helper()
	ds := lintFiles(files)
	if !slices.ContainsFunc(ds, func(d string) bool { return strings.HasPrefix(d, want) }) {
		t.Errorf("want a diagnostic starting with\n  %s\ngot:\n  %s", want, strings.Join(ds, "\n  "))
	}
}
