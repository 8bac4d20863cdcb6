package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
)

// testNames are the real roles and notification templates, as workflow.CatalogNames gives them (the
// catalogue's own tests cannot import workflow).
var testNames = func() Names {
	n := Names{Templates: notify.TemplateNames()}
	for _, r := range policies.Roles {
		n.Roles = append(n.Roles, r.Name)
		if policies.StaffRole(r.Name) {
			n.StaffRoles = append(n.StaffRoles, r.Name)
		}
	}
	return n
}()

// builtinFS is a built-in catalog made of the lint fixture.
func builtinFS() fstest.MapFS {
	return withBuiltinDocuments(fstest.MapFS{
		"items/x.yaml": &fstest.MapFile{Data: []byte(baseItem)},
		"forms/f.yaml": &fstest.MapFile{Data: []byte(baseForm)},
	})
}

// writeFiles writes files (path → text) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadRefusesBrokenBuiltin(t *testing.T) {
	fsys := builtinFS()
	fsys["items/x.yaml"] = &fstest.MapFile{Data: []byte(edit(baseItem, 35, "      by: [acceptr]"))}
	_, _, err := Load(fsys, "", testNames)
	if err == nil || !strings.Contains(err.Error(), itemFile+`:35: action accept: unknown role "acceptr"`) {
		t.Fatalf("want an error naming the problem, got %v", err)
	}
}

func TestLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	renamed := edit(baseItem, 2, "name: {zh: 改过的事项, en: Changed item}")
	added := edit(baseItem, 1, "code: added-item")
	broken := edit(edit(baseItem, 1, "code: broken-item"), 14, "  start: nowhere")
	writeFiles(t, dir, map[string]string{
		"items/a-renamed.yaml": renamed,
		"items/b-added.yaml":   added,
		"items/c-broken.yaml":  broken,
		"stray.yaml":           "code: stray",
	})
	c, warnings, err := Load(builtinFS(), dir, testNames)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, it := range c.Items() {
		codes = append(codes, it.Code)
	}
	if strings.Join(codes, " ") != "added-item test-item" {
		t.Fatalf("items %v", codes)
	}
	it, _ := c.Item("test-item")
	if it.Name.ZH != "改过的事项" || it.Source != filepath.Join(dir, "items/a-renamed.yaml") {
		t.Fatalf("the override did not replace the built-in item: %q from %s", it.Name.ZH, it.Source)
	}
	if f, ok := c.Form("test_form"); !ok || it.Forms["test_form"] != f {
		t.Fatal("the override's form is not resolved")
	}
	want := []string{
		filepath.Join(dir, "items/c-broken.yaml") + `:14: start state "nowhere" is not a state of this workflow`,
		filepath.Join(dir, "items/c-broken.yaml") + ": file skipped",
		filepath.Join(dir, "stray.yaml") + ": file not read",
	}
	got := make([]string, len(warnings))
	for i, w := range warnings {
		got[i] = w.String()
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("want a warning starting with %s; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(c.Warnings()) != len(warnings) {
		t.Fatal("Warnings() differs from the warnings Load returned")
	}
	// Lint reports the same problems for the directory.
	if ds := Lint(builtinFS(), dir, testNames); len(ds) != len(warnings) {
		t.Fatalf("Lint found %d problems, Load %d", len(ds), len(warnings))
	}
}

func TestOverrideFormThatBreaksABuiltinItemIsSkipped(t *testing.T) {
	dir := t.TempDir()
	// The new form uploads to a material the built-in item does not list.
	writeFiles(t, dir, map[string]string{"forms/f.yaml": edit(baseForm, 20, "    material: photo")})
	c, warnings, err := Load(builtinFS(), dir, testNames)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := c.Form("test_form")
	if f.Fields[2].Material != "letter" {
		t.Fatal("the breaking form override is in effect")
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0].String(), filepath.Join(dir, "forms/f.yaml")+":1: form test_form skipped: built-in item test-item does not work with it") {
		t.Fatalf("warnings: %v", warnings)
	}
	// An override item that uses the new form's material makes the pair consistent.
	item := edit(baseItem, 8, "    required: true\n  - id: photo\n    name: {zh: 照片, en: Photo}")
	writeFiles(t, dir, map[string]string{"items/x.yaml": item})
	c, warnings, err = Load(builtinFS(), dir, testNames)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("%v %v", err, warnings)
	}
	if f, _ := c.Form("test_form"); f.Fields[2].Material != "photo" {
		t.Fatal("the form override is not in effect")
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	if _, _, err := Load(builtinFS(), filepath.Join(t.TempDir(), "none"), testNames); err == nil {
		t.Fatal("a missing CIVICFLOW_CATALOG_DIR must be an error")
	}
}

func TestHashFollowsSharedForms(t *testing.T) {
	c1, _, err := Load(builtinFS(), "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	fsys := builtinFS()
	fsys["forms/f.yaml"] = &fstest.MapFile{Data: []byte(edit(baseForm, 5, "    label: {zh: 全称, en: Full name}"))}
	c2, _, err := Load(fsys, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	// Moving lines or adding comments does not make a new version.
	fsys["forms/f.yaml"] = &fstest.MapFile{Data: []byte("# a comment\n\n" + baseForm)}
	c3, _, err := Load(fsys, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	h := func(c *Catalog) string { it, _ := c.Item("test-item"); return it.Hash }
	if h(c1) == h(c2) {
		t.Fatal("a change in the form must change the item's hash")
	}
	if h(c1) != h(c3) {
		t.Fatal("a comment must not change the item's hash")
	}
}

// The home page's entrances and the site search read the built-in items' audience and keywords:
// two characters of a name or a keyword find an item, in either case for English.
func TestAudienceAndSearch(t *testing.T) {
	cat, _, err := Load(Builtin, "", testNames)
	if err != nil {
		t.Fatal(err)
	}
	codes := func(items []*Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Code)
		}
		return out
	}
	if got := codes(cat.ForAudience(AudienceOrganisations)); !slices.Equal(got, []string{"annual-report", "articles-approval", "credit-abnormal-removal",
		"foundation-change", "foundation-deregistration", "foundation-establishment", "information-disclosure", "leaders-change-filing", "organisation-evaluation",
		"private-non-enterprise-change", "private-non-enterprise-deregistration", "private-non-enterprise-establishment",
		"social-group-change", "social-group-deregistration", "social-group-establishment", "term-renewal-filing"}) {
		t.Errorf("for organisations: %v", got)
	}
	if got := codes(cat.ForAudience(AudienceCitizens)); !slices.Equal(got, []string{"divorce-registration", "information-disclosure",
		"marriage-certificate-replacement", "marriage-registration"}) {
		t.Errorf("for citizens: %v", got)
	}
	for q, want := range map[string][]string{
		"离婚":        {"divorce-registration", "marriage-certificate-replacement"},
		"社团":        {"social-group-change", "social-group-deregistration", "social-group-establishment"},
		" DIVORCE ": {"divorce-registration"},
		"围棋":        nil,
		"":          nil,
	} {
		if got := codes(cat.Search(q)); !slices.Equal(got, want) {
			t.Errorf("searching %q: %v, want %v", q, got, want)
		}
	}
}
