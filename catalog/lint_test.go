package catalog

import (
	_ "embed"
	"go/build"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// The fixture: a small item and its form that lint clean. Each rule's test breaks one line of it.
var (
	//go:embed testdata/lint/item.yaml
	baseItem string
	//go:embed testdata/lint/form.yaml
	baseForm string
)

const (
	itemFile = "catalog/items/x.yaml"
	formFile = "catalog/forms/f.yaml"
)

// edit replaces line n (from 1) of src with text, which may be several lines or none.
func edit(src string, n int, text string) string {
	lines := strings.Split(src, "\n")
	out := append([]string{}, lines[:n-1]...)
	if text != "" {
		out = append(out, strings.Split(text, "\n")...)
	}
	return strings.Join(append(out, lines[n:]...), "\n")
}

// lintFiles lints a built-in catalog made of the given files (path under the catalog folder → text).
func lintFiles(files map[string]string) []string { return lintWith(testNames, files) }

// lintWith lints the files as lintFiles does, against names.
func lintWith(names Names, files map[string]string) []string {
	fsys := withBuiltinDocuments(fstest.MapFS{})
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	var out []string
	for _, d := range Lint(fsys, "", names) {
		out = append(out, d.String())
	}
	return out
}

// withBuiltinDocuments adds the built-in document templates to fsys, so that a fixture's issue:
// effects find theirs.
func withBuiltinDocuments(fsys fstest.MapFS) fstest.MapFS {
	entries, err := fs.ReadDir(Builtin, "documents")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(Builtin, "documents/"+e.Name())
		if err != nil {
			panic(err)
		}
		fsys["documents/"+e.Name()] = &fstest.MapFile{Data: data}
	}
	return fsys
}

func TestLintFixtureIsClean(t *testing.T) {
	if ds := lintFiles(map[string]string{"items/x.yaml": baseItem, "forms/f.yaml": baseForm}); len(ds) > 0 {
		t.Fatalf("the fixture does not lint clean:\n%s", strings.Join(ds, "\n"))
	}
}

// lineEdit changes one line of the item (or of the form, when form is set).
type lineEdit struct {
	form bool
	line int
	text string
}

func TestLintRules(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		edits []lineEdit
		want  string // the start of one diagnostic: file:line: message
	}{
		{"YAML syntax", []lineEdit{{false, 3, "category: [其他"}}, itemFile + ":3: YAML syntax: did not find expected ',' or ']'"},
		{"YAML syntax in the scanner", []lineEdit{{false, 8, "\trequired: true"}}, itemFile + ":8: YAML syntax: found character that cannot start any token"},
		{"two documents", []lineEdit{{false, 68, "          required: true\n---\ncode: other"}}, itemFile + ":69: one definition per file"},
		{"unknown key", []lineEdit{{false, 8, "    requird: true"}}, itemFile + `:8: unknown key "requird" in materials[0]; the keys here are: id, name,`},
		{"unknown key in a form", []lineEdit{{true, 7, "    mandatory: true"}}, formFile + `:7: unknown key "mandatory"`},
		{"duplicate key", []lineEdit{{false, 4, "levels: [province]\nlevels: [city]"}}, itemFile + `:5: duplicate key "levels" (first on line 4)`},
		{"type mismatch", []lineEdit{{false, 8, "    required: maybe"}}, itemFile + `:8: required: expected true or false, found "maybe"`},
		{"missing code", []lineEdit{{false, 1, "# no code"}}, itemFile + ":1: missing code"},
		{"missing name.zh", []lineEdit{{false, 2, "name: {en: Test item}"}}, itemFile + ":2: missing name.zh"},
		{"unknown category", []lineEdit{{false, 3, "category: 许可"}}, itemFile + `:3: unknown category "许可"`},
		{"missing category", []lineEdit{{false, 3, ""}}, itemFile + ":1: missing category"},
		{"unknown level", []lineEdit{{false, 4, "levels: [province, town]"}}, itemFile + `:4: unknown level "town"`},
		{"missing levels", []lineEdit{{false, 4, "levels: []"}}, itemFile + ":4: missing levels"},
		{"unknown audience", []lineEdit{{false, 4, "levels: [province]\naudience: [citizens, companies]"}}, itemFile + `:5: unknown audience "companies"`},
		{"missing form", []lineEdit{{false, 12, ""}}, itemFile + ":1: missing form"},
		{"unknown form", []lineEdit{{false, 12, "form: nope"}}, itemFile + `:12: unknown form "nope"; the forms are: test_form`},
		{"missing start", []lineEdit{{false, 14, `  start: ""`}}, itemFile + ":14: missing workflow.start"},
		{"unknown start", []lineEdit{{false, 14, "  start: acceptence"}}, itemFile + `:14: start state "acceptence" is not a state`},
		{"duplicate item code", nil, "catalog/items/y.yaml:1: duplicate item code \"test-item\" (also in " + itemFile + ")"},
		{"duplicate state", []lineEdit{{false, 18, "    - id: acceptance"}}, itemFile + `:18: duplicate state "acceptance" (first on line 16)`},
		{"duplicate action", []lineEdit{{false, 38, "    - id: accept"}}, itemFile + `:38: duplicate action "accept" (first on line 31)`},
		{"duplicate material", []lineEdit{{false, 8, "    required: true\n  - id: letter\n    name: {zh: 又一份, en: Again}"}}, itemFile + `:9: duplicate material "letter"`},
		{"duplicate field", []lineEdit{{true, 8, "  - name: name"}}, formFile + `:8: duplicate field "name" (first on line 4)`},
		{"duplicate option", []lineEdit{{true, 13, "      - {value: a, label: {zh: 乙, en: B}}"}}, formFile + `:13: field level: duplicate option "a" (first on line 12)`},
		{"unknown field type", []lineEdit{{true, 6, "    type: string"}}, formFile + `:6: field name: unknown type "string"`},
		{"unknown state in from", []lineEdit{{false, 33, "      from: [acceptanc]"}}, itemFile + `:33: action accept: unknown state "acceptanc" in from`},
		{"unknown state in to", []lineEdit{{false, 34, "      to: decisions"}}, itemFile + `:34: action accept: unknown state "decisions" in to`},
		{"unknown role", []lineEdit{{false, 35, "      by: [acceptr]"}}, itemFile + `:35: action accept: unknown role "acceptr"; the roles are: applicant, citizen,`},
		{"nobody may take it", []lineEdit{{false, 35, "      by: []"}}, itemFile + ":31: action accept: nobody may take it"},
		{"action leaving a final state", []lineEdit{{false, 52, "      from: [decision, approved]"}}, itemFile + ":52: action approve leaves final state approved"},
		{"guard does not compile", []lineEdit{{false, 55, `      guard: case.state ==`}}, itemFile + ":55: action approve: guard does not compile:"},
		{"guard is not boolean", []lineEdit{{false, 55, `      guard: case.number`}}, itemFile + ":55: action approve: guard does not compile:"},
		{"set does not compile", []lineEdit{{false, 57, "        - set: {approved_at: now +}"}}, itemFile + ":57: action approve: set approved_at does not compile:"},
		{"rule does not compile", []lineEdit{{true, 15, "      - when: 'level =='"}}, formFile + ":15: field level: rule does not compile:"},
		{"unreachable state", []lineEdit{{false, 42, "      to: decision"}}, itemFile + ":18: state supplement cannot be reached from the start state acceptance"},
		{"no final state reachable", []lineEdit{{false, 47, "      from: [decision]"}}, itemFile + ":18: no final state can be reached from state supplement"},
		{"time limit without a unit", []lineEdit{{false, 10, "  statutory: 60"}}, itemFile + ":10: time limit of 60 days has no unit"},
		{"time limit with days and no unit", []lineEdit{{false, 10, "  statutory: {days: 60}"}}, itemFile + ":10: time limit of 60 days has no unit"},
		{"time limit in an unknown unit", []lineEdit{{false, 11, "  promised: {days: 10, unit: weeks}"}}, itemFile + `:11: unknown time-limit unit "weeks"`},
		{"file field of an unknown material", []lineEdit{{true, 20, "    material: lettr"}},
			itemFile + `:12: form test_form: file field letter (` + formFile + `:17) uploads to material "lettr", which this item does not list`},
		{"unknown effect", []lineEdit{{false, 57, "        - run: register.nothing"}}, itemFile + `:57: action approve: unknown effect "register.nothing"`},
		{"unknown template", []lineEdit{{false, 37, "        - notify: {to: applicant, template: case_nothing}"}}, itemFile + `:37: action accept: unknown notification template "case_nothing"`},
		{"effect doing two things", []lineEdit{{false, 57, "        - {set: {approved_at: now}, run: register.create_organisation}"}}, itemFile + ":57: action approve: an effect does one thing"},
		{"unknown kind", []lineEdit{{false, 40, "      kind: suplement"}}, itemFile + `:40: action ask: unknown kind "suplement"`},
		{"supplement by the applicant", []lineEdit{{false, 43, "      by: [applicant]"}}, itemFile + ":38: action ask: a supplement action is taken by staff, not by applicant"},
		{"supplement without a way back", []lineEdit{{false, 48, "      to: decision"}}, itemFile + ":38: action ask: supplement goes to supplement, which needs a resubmit action by the applicant back to acceptance"},
		{"resubmit by staff", []lineEdit{{false, 49, "      by: [acceptor]"}}, itemFile + ":44: action resubmit: a resubmit action is taken by the applicant"},
		{"refuse without a reason", []lineEdit{{false, 65, "        - name: why"}}, itemFile + ":58: action refuse: a refuse action needs a required field named reason"},
		{"negative cosign", []lineEdit{{false, 54, "      by: [approver]\n      cosign: -1"}}, itemFile + ":55: action approve: cosign cannot be negative"},
		{"final state without outcome", []lineEdit{{false, 25, ""}}, itemFile + ":22: final state approved needs an outcome"},
		{"双公示 of an item that is no licence", []lineEdit{{false, 57, "        - run: notices.publish_licence_decision"}},
			itemFile + `:57: action approve: notices.publish_licence_decision publishes licence decisions; this item's category is "其他", not 行政许可`},
		{"双公示 of a step that decides nothing", []lineEdit{{false, 3, "category: 行政许可"}, {false, 37, "        - run: notices.publish_licence_decision"}},
			itemFile + ":37: action accept: notices.publish_licence_decision runs on a decision"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			item, form := baseItem, baseForm
			// Apply edits from the bottom up so that line numbers stay those of the fixture.
			for i := len(tc.edits) - 1; i >= 0; i-- {
				e := tc.edits[i]
				if e.form {
					form = edit(form, e.line, e.text)
				} else {
					item = edit(item, e.line, e.text)
				}
			}
			files := map[string]string{"items/x.yaml": item, "forms/f.yaml": form}
			if tc.rule == "duplicate item code" {
				files["items/y.yaml"] = baseItem
			}
			ds := lintFiles(files)
			for _, d := range ds {
				if strings.HasPrefix(d, tc.want) {
					return
				}
			}
			t.Fatalf("want a diagnostic starting with\n  %s\ngot:\n  %s", tc.want, strings.Join(ds, "\n  "))
		})
	}
}

func TestBuiltinCatalogLintsClean(t *testing.T) {
	if ds := Lint(Builtin, "", testNames); len(ds) > 0 {
		var b strings.Builder
		for _, d := range ds {
			b.WriteString("\n" + d.String())
		}
		t.Fatalf("the built-in catalog has problems:%s", b.String())
	}
	c, warnings, err := Load(Builtin, "", testNames)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Load: %v %v", err, warnings)
	}
	it, ok := c.Item("social-group-establishment")
	if !ok {
		t.Fatal("social-group-establishment is missing")
	}
	if it.Forms["sg_preparation"] == nil || it.Forms["sg_establishment"] == nil || len(it.Forms) != 2 {
		t.Fatalf("forms not resolved: %v", it.Forms)
	}
	if len(it.Hash) != 64 || it.Source != "catalog/items/social-group-establishment.yaml" {
		t.Fatalf("hash %q source %q", it.Hash, it.Source)
	}
	if it.Workflow.Line == 0 || it.Materials[0].Line == 0 || it.Forms["sg_preparation"].Fields[0].Line == 0 {
		t.Fatal("Line fields are not set")
	}
}

func TestEffectRegistry(t *testing.T) {
	item := edit(baseItem, 57, "        - run: test.effect_registry")
	files := map[string]string{"items/x.yaml": item, "forms/f.yaml": baseForm}
	if ds := lintFiles(files); len(ds) != 1 {
		t.Fatalf("an unregistered effect must be the one problem: %v", ds)
	}
	RegisterEffectName("test.effect_registry")
	if ds := lintFiles(files); len(ds) != 0 {
		t.Fatalf("a registered effect is rejected: %v", ds)
	}
}

// The roles and templates a definition may name are those the caller passes in: the catalogue
// imports neither policies nor notify to learn them.
func TestLintChecksTheNamesGiven(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasSuffix(imp, "/policies") || strings.HasSuffix(imp, "/notify") {
			t.Errorf("the catalogue imports %s", imp)
		}
	}

	files := map[string]string{"items/x.yaml": edit(baseItem, 35, "      by: [clerk]"), "forms/f.yaml": baseForm}
	if ds := lintWith(testNames, files); len(ds) != 1 || !strings.Contains(ds[0], `unknown role "clerk"`) {
		t.Errorf("clerk is no role of testNames: %v", ds)
	}
	names := Names{Roles: append(slices.Clone(testNames.Roles), "clerk"), StaffRoles: testNames.StaffRoles,
		Templates: testNames.Templates}
	if ds := lintWith(names, files); len(ds) != 0 {
		t.Errorf("a role the caller names is refused: %v", ds)
	}
	names.Templates = slices.DeleteFunc(slices.Clone(names.Templates), func(n string) bool { return n == "case_accepted" })
	if ds := lintWith(names, files); len(ds) != 1 || !strings.Contains(ds[0], `unknown notification template "case_accepted"`) {
		t.Errorf("a template the caller does not name is accepted: %v", ds)
	}
}
