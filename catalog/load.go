package catalog

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/civicflow/civicflow/forms"
)

// Builtin holds the definitions compiled into the binary: items/*.yaml (one service item per file,
// with the files its guide offers in items/<file name>/),
// forms/*.yaml (one application form per file), documents/*.yaml (one document template per kind)
// and authorities.yaml (what each jurisdiction's documents name).
//
//go:embed items forms/*.yaml documents/*.yaml authorities.yaml
var Builtin embed.FS

// BuiltinName is the folder built-in files are reported under, so that a message points at the file
// in the source tree.
const BuiltinName = "catalog"

// Catalog is the set of service items in effect: the built-in ones with the valid files of the
// override directory laid over them. It is read-only once loaded.
type Catalog struct {
	items map[string]*Item
	codes []string
	forms map[string]*forms.Form
	docs  map[string]*DocumentTemplate
	// authorities holds the configured authorities by jurisdiction code.
	authorities map[string]Authority
	warnings    []Diagnostic
}

// Document returns the template of a document kind.
func (c *Catalog) Document(kind string) (*DocumentTemplate, bool) {
	d, ok := c.docs[kind]
	return d, ok
}

// Authority returns what authorities.yaml configures for the jurisdiction code, if anything.
func (c *Catalog) Authority(code string) (Authority, bool) {
	a, ok := c.authorities[code]
	return a, ok
}

// Items returns every item, sorted by code.
func (c *Catalog) Items() []*Item {
	out := make([]*Item, 0, len(c.codes))
	for _, code := range c.codes {
		out = append(out, c.items[code])
	}
	return out
}

// Item returns the item with the given code.
func (c *Catalog) Item(code string) (*Item, bool) {
	it, ok := c.items[code]
	return it, ok
}

// Form returns the form with the given ID.
func (c *Catalog) Form(id string) (*forms.Form, bool) {
	f, ok := c.forms[id]
	return f, ok
}

// Warnings are the problems of override files that were skipped at load, for the log and for the
// administrators' dashboard.
func (c *Catalog) Warnings() []Diagnostic { return c.warnings }

// itemDef is one parsed item file with what the linter needs to locate its problems.
type itemDef struct {
	file  string
	item  *Item
	lines map[string]int
	diags []Diagnostic // from parsing
	fatal bool         // the file could not be read at all
}

// formDef is one parsed form file.
type formDef struct {
	file  string
	form  *forms.Form
	lines map[string]int
	diags []Diagnostic
	fatal bool
}

// tree is what one directory of definitions holds.
type tree struct {
	items []*itemDef
	forms []*formDef
	docs  []*docDef
	// authorities is authorities.yaml, nil when the tree has none.
	authorities *Authorities
	diags       []Diagnostic // files in the wrong place, and the problems of authorities.yaml
}

// Names are the names a definition may use that other packages own: the roles that take actions and
// receive notices (policies) and the notification templates (notify). Load and Lint take them from
// the caller, so that the catalogue depends on neither package; workflow.CatalogNames gives the
// engine's.
type Names struct {
	Roles      []string // every role, in the order messages list them
	StaffRoles []string // the roles staff hold in a jurisdiction, a subset of Roles
	Templates  []string // the notification templates
}

// Load reads the built-in definitions and those of dir (the override directory, "" for none). A
// problem in a built-in definition is an error: the binary is broken and must not serve. An override
// file with problems is skipped and its diagnostics are returned (and kept in Warnings) for the
// caller to log and to show to administrators.
func Load(builtin fs.FS, dir string, names Names) (*Catalog, []Diagnostic, error) {
	c, builtinDiags, overrideDiags, err := load(builtin, dir, names)
	if err != nil {
		return nil, nil, err
	}
	if len(builtinDiags) > 0 {
		lines := make([]string, len(builtinDiags))
		for i, d := range builtinDiags {
			lines[i] = d.String()
		}
		return nil, overrideDiags, fmt.Errorf("the built-in catalog has %d problem(s):\n%s", len(builtinDiags), strings.Join(lines, "\n"))
	}
	return c, overrideDiags, nil
}

// Lint checks the built-in definitions and those of dir ("" for none) and returns every problem,
// sorted by file and line. The files of dir are checked as the loader reads them: as overrides of the
// built-in ones, so that they may use built-in forms.
func Lint(builtin fs.FS, dir string, names Names) []Diagnostic {
	_, builtinDiags, overrideDiags, err := load(builtin, dir, names)
	if err != nil {
		return []Diagnostic{{File: dir, Message: err.Error()}}
	}
	return sortDiags(append(builtinDiags, overrideDiags...))
}

// load does the work of Load and Lint: it lints the built-in set as a whole, then lays each override
// file over it, dropping the ones that do not lint, and resolves the result.
func load(builtin fs.FS, dir string, names Names) (c *Catalog, builtinDiags, overrideDiags []Diagnostic, err error) {
	base, err := readTree(builtin, BuiltinName)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading the built-in catalog: %w", err)
	}
	docSet, builtinDiags := lintDocuments(base.docs, nil)
	formSet, itemSet, itemDiags := lintBuiltin(base, docSet, &names)
	builtinDiags = append(builtinDiags, itemDiags...)
	c = &Catalog{items: map[string]*Item{}, forms: map[string]*forms.Form{}, docs: map[string]*DocumentTemplate{},
		authorities: map[string]Authority{}}
	c.addAuthorities(base.authorities)
	if dir != "" {
		over, err := readDir(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		var docDiags []Diagnostic
		docSet, docDiags = lintDocuments(over.docs, docSet)
		overrideDiags = append(docDiags, overlay(over, formSet, itemSet, docSet, &names)...)
		c.addAuthorities(over.authorities)
	}
	c.warnings = sortDiags(overrideDiags)
	for id, fd := range formSet {
		c.forms[id] = fd.form
	}
	for kind, dd := range docSet {
		c.docs[kind] = dd.doc
	}
	for code, idf := range itemSet {
		it := idf.item
		it.Source = idf.file
		it.Forms = map[string]*forms.Form{}
		for _, id := range usedForms(it) {
			if fd, ok := formSet[id]; ok {
				it.Forms[id] = fd.form
			}
		}
		if it.Hash, _, err = hashItem(it); err != nil {
			return nil, nil, nil, fmt.Errorf("hashing item %s: %w", code, err)
		}
		c.items[code] = it
		c.codes = append(c.codes, code)
	}
	sort.Strings(c.codes)
	return c, sortDiags(builtinDiags), c.warnings, nil
}

// lintBuiltin lints the built-in forms and items as a whole and returns those that lint clean, by ID
// and by code, with the problems of the others.
func lintBuiltin(base *tree, docSet map[string]*docDef, names *Names) (formSet map[string]*formDef, itemSet map[string]*itemDef, diags []Diagnostic) {
	diags = append(diags, base.diags...)
	formSet = map[string]*formDef{}
	seenForms := map[string]string{}
	for _, fd := range base.forms {
		ds := lintForm(fd)
		if other, dup := seenForms[fd.form.ID]; dup && fd.form.ID != "" {
			ds = append(ds, Diagnostic{fd.file, fd.lines["id"], fmt.Sprintf("duplicate form id %q (also in %s)", fd.form.ID, other)})
		} else {
			seenForms[fd.form.ID] = fd.file
		}
		diags = append(diags, ds...)
		if len(ds) == 0 {
			formSet[fd.form.ID] = fd
		}
	}
	itemSet = map[string]*itemDef{}
	seen := map[string]string{}
	for _, idf := range base.items {
		ds := lintItem(idf, formSet, docSet, names)
		if other, dup := seen[idf.item.Code]; dup && idf.item.Code != "" {
			ds = append(ds, Diagnostic{idf.file, idf.lines["code"], fmt.Sprintf("duplicate item code %q (also in %s)", idf.item.Code, other)})
		}
		if d, taken := serviceTaken(idf, itemSet); taken {
			ds = append(ds, d)
		}
		diags = append(diags, ds...)
		if _, dup := seen[idf.item.Code]; !dup {
			seen[idf.item.Code] = idf.file
		}
		if len(ds) == 0 {
			itemSet[idf.item.Code] = idf
		}
	}
	return formSet, itemSet, diags
}

// readDir reads the override directory dir.
func readDir(dir string) (*tree, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("the catalog directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("the catalog directory %s is not a directory", dir)
	}
	over, err := readTree(os.DirFS(dir), dir)
	if err != nil {
		return nil, fmt.Errorf("reading the catalog directory %s: %w", dir, err)
	}
	return over, nil
}

// overlay lays the override tree over the built-in forms and items, changing both maps, and returns
// the problems of the files it skipped. An override form is dropped again when a built-in item that
// uses it no longer lints with it, so that an override can never break a built-in item.
func overlay(over *tree, formSet map[string]*formDef, itemSet map[string]*itemDef, docSet map[string]*docDef, names *Names) []Diagnostic {
	diags := append([]Diagnostic(nil), over.diags...)
	builtinForms := maps.Clone(formSet)
	builtinItems := maps.Clone(itemSet)
	overriddenForms := map[string]bool{}
	seenForms := map[string]string{}
	for _, fd := range over.forms {
		ds := lintForm(fd)
		if other, dup := seenForms[fd.form.ID]; dup && fd.form.ID != "" {
			ds = append(ds, Diagnostic{fd.file, fd.lines["id"], fmt.Sprintf("duplicate form id %q (also in %s)", fd.form.ID, other)})
		}
		if len(ds) > 0 {
			diags = append(diags, skipped(fd.file, ds)...)
			continue
		}
		seenForms[fd.form.ID] = fd.file
		formSet[fd.form.ID] = fd
		overriddenForms[fd.form.ID] = true
	}
	overridden := map[string]bool{}
	seenItems := map[string]string{}
	for _, idf := range over.items {
		if other, dup := seenItems[idf.item.Code]; dup && idf.item.Code != "" {
			ds := append(lintItem(idf, formSet, docSet, names), Diagnostic{idf.file, idf.lines["code"],
				fmt.Sprintf("duplicate item code %q (also in %s)", idf.item.Code, other)})
			diags = append(diags, skipped(idf.file, ds)...)
			continue
		}
		ds := lintItem(idf, formSet, docSet, names)
		if d, taken := serviceTaken(idf, itemSet); taken {
			ds = append(ds, d)
		}
		if len(ds) > 0 {
			diags = append(diags, skipped(idf.file, ds)...)
			continue
		}
		seenItems[idf.item.Code] = idf.file
		itemSet[idf.item.Code] = idf
		overridden[idf.item.Code] = true
	}
	// Re-check until stable: reverting a form can break an override item that relied on it.
	for changed := true; changed; {
		changed = false
		codes := slices.Sorted(maps.Keys(itemSet))
		for _, code := range codes {
			idf := itemSet[code]
			ds := lintItem(idf, formSet, docSet, names)
			if len(ds) == 0 {
				continue
			}
			changed = true
			if overridden[code] {
				diags = append(diags, skipped(idf.file, ds)...)
				delete(overridden, code)
				if b, ok := builtinItems[code]; ok {
					itemSet[code] = b
				} else {
					delete(itemSet, code)
				}
				continue
			}
			reverted := false
			for _, id := range usedForms(idf.item) {
				if !overriddenForms[id] {
					continue
				}
				fd := formSet[id]
				diags = append(diags, Diagnostic{fd.file, fd.form.Line, fmt.Sprintf(
					"form %s skipped: built-in item %s does not work with it: %s", id, code, ds[0])})
				delete(overriddenForms, id)
				if b, ok := builtinForms[id]; ok {
					formSet[id] = b
				} else {
					delete(formSet, id)
				}
				reverted = true
			}
			if !reverted { // cannot happen: built-in items lint clean with built-in forms
				diags = append(diags, ds...)
				delete(itemSet, code)
			}
		}
	}
	return diags
}

// serviceTaken reports, for an item booked at an office, whether another item of the set (one with
// another code: an override replaces its built-in item) books the same service: a booking must say
// which item's case the office opens.
func serviceTaken(idf *itemDef, itemSet map[string]*itemDef) (Diagnostic, bool) {
	ap := idf.item.Appointment
	if ap == nil {
		return Diagnostic{}, false
	}
	for _, code := range slices.Sorted(maps.Keys(itemSet)) {
		other := itemSet[code]
		if code != idf.item.Code && other.item.Appointment != nil && other.item.Appointment.Service == ap.Service {
			return Diagnostic{idf.file, idf.lines["appointment.service"], fmt.Sprintf(
				"appointment: service %q is booked for item %s already (%s); one item per service", ap.Service, code, other.file)}, true
		}
	}
	return Diagnostic{}, false
}

// skipped adds to a skipped file's problems a note that the file was not used.
func skipped(file string, ds []Diagnostic) []Diagnostic {
	return append(ds, Diagnostic{File: file, Message: "file skipped: the built-in definition (if any) stays in effect"})
}

// addAuthorities lays the entries of an authorities file over those read before, by jurisdiction.
func (c *Catalog) addAuthorities(a *Authorities) {
	if a == nil {
		return
	}
	for _, au := range a.Authorities {
		c.authorities[au.Jurisdiction] = au
	}
}

// authoritiesFile is the name of the file of per-jurisdiction settings at the top of a tree.
const authoritiesFile = "authorities.yaml"

// readTree parses items/*.yaml, forms/*.yaml, documents/*.yaml and authorities.yaml of fsys, naming
// files under name. An authorities.yaml with problems is reported and left out as a whole.
func readTree(fsys fs.FS, name string) (*tree, error) {
	t := &tree{}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() == authoritiesFile {
			data, err := fs.ReadFile(fsys, authoritiesFile)
			if err != nil {
				return nil, err
			}
			file := joinName(name, authoritiesFile)
			d := newDecoder(file)
			a := &Authorities{}
			d.parse(data, a)
			if ds := lintAuthorities(file, a, d.lines, d.diags); len(ds) > 0 {
				t.diags = append(t.diags, ds...)
			} else {
				t.authorities = a
			}
			continue
		}
		if !e.IsDir() && isYAML(e.Name()) {
			t.diags = append(t.diags, Diagnostic{File: joinName(name, e.Name()),
				Message: "file not read: put item files in items/, form files in forms/ and document templates in documents/"})
		}
	}
	for _, sub := range []string{"items", "forms", "documents"} {
		files, err := fs.ReadDir(fsys, sub)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() || !isYAML(f.Name()) {
				continue
			}
			data, err := fs.ReadFile(fsys, path.Join(sub, f.Name()))
			if err != nil {
				return nil, err
			}
			file := joinName(name, sub, f.Name())
			d := newDecoder(file)
			switch sub {
			case "items":
				it := &Item{}
				d.parse(data, it)
				readTemplates(fsys, path.Join(sub, strings.TrimSuffix(f.Name(), path.Ext(f.Name()))), it)
				t.items = append(t.items, &itemDef{file: file, item: it, lines: d.lines, diags: d.diags, fatal: d.fatal})
			case "documents":
				doc := &DocumentTemplate{}
				d.parse(data, doc)
				t.docs = append(t.docs, &docDef{file: file, doc: doc, lines: d.lines, diags: d.diags, fatal: d.fatal})
			default:
				fm := &forms.Form{}
				d.parse(data, fm)
				fm.Source = file
				t.forms = append(t.forms, &formDef{file: file, form: fm, lines: d.lines, diags: d.diags, fatal: d.fatal})
			}
		}
	}
	return t, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func joinName(name string, parts ...string) string {
	if name == BuiltinName {
		return path.Join(append([]string{name}, parts...)...)
	}
	return filepath.Join(append([]string{name}, parts...)...)
}

// usedForms lists the IDs of the forms an item uses: its application form, then the forms of its
// states, without repeats.
func usedForms(it *Item) []string {
	var ids []string
	if it.Form != "" {
		ids = append(ids, it.Form)
	}
	for _, s := range it.Workflow.States {
		if s.Form != "" && !slices.Contains(ids, s.Form) {
			ids = append(ids, s.Form)
		}
	}
	return ids
}

func sortDiags(ds []Diagnostic) []Diagnostic {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].File != ds[j].File {
			return ds[i].File < ds[j].File
		}
		if ds[i].Line != ds[j].Line {
			// A message without a line (the note that a file was skipped) comes last.
			if ds[i].Line == 0 || ds[j].Line == 0 {
				return ds[j].Line == 0
			}
			return ds[i].Line < ds[j].Line
		}
		return false
	})
	return ds
}

// ForAudience returns the items serving the audience (one of Audiences), sorted by code.
func (c *Catalog) ForAudience(audience string) []*Item {
	var out []*Item
	for _, it := range c.Items() {
		if slices.Contains(it.Audience, audience) {
			out = append(out, it)
		}
	}
	return out
}

// Search returns the items whose name, in either language, or one of whose keywords contains q,
// ignoring case, sorted by code; nothing for a blank q. The catalogue is small and in memory, so
// that a scan answers at once.
func (c *Catalog) Search(q string) []*Item {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	var out []*Item
	for _, it := range c.Items() {
		words := append([]string{it.Name.ZH, it.Name.EN}, it.Keywords...)
		if slices.ContainsFunc(words, func(w string) bool { return strings.Contains(strings.ToLower(w), q) }) {
			out = append(out, it)
		}
	}
	return out
}

// readTemplates reads the files of an item's templates from dir, the folder beside its definition;
// a file that is not there is left without content, for the linter to report.
func readTemplates(fsys fs.FS, dir string, it *Item) {
	for i := range it.Templates {
		t := &it.Templates[i]
		if !templateFile.MatchString(t.File) {
			continue
		}
		if b, err := fs.ReadFile(fsys, path.Join(dir, t.File)); err == nil {
			sum := sha256.Sum256(b)
			t.Content, t.SHA256 = b, hex.EncodeToString(sum[:])
		}
	}
}
