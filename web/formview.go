package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/workflow"
)

// formField is one input as a page shows it: its HTML name (the data path), what was typed or saved,
// its error, and for groups and repeats the inputs inside.
type formField struct {
	Path  string // data path and HTML name: "leader.name", "members[3].name"
	ID    string // HTML id, derived from Path
	Label string
	// ReadLabel names the value in a read-only summary, where Display states a unit the label names
	// for the input (forms.Field.ReadLabel).
	ReadLabel string
	Help      string
	Type      string
	Required  bool
	Value     string
	Selected  map[string]bool // select, multiselect
	Options   []formOption
	Error     string
	Children  []formField   // group
	Rows      [][]formField // repeat
	CanAdd    bool          // repeat: below its maximum
	// Repeat is what a repeat's rows need beside them: bounds, the blank row that the page's script
	// adds, the post address of its buttons, and the list import.
	Repeat   *repeatView
	Uploads  []materials.Material
	Material *catalog.Material
	// ReadOnly fields are shown as their values: a summary, or what a supplement notice leaves as it is.
	ReadOnly bool
	// Tag marks a part that a supplement notice asks to correct ("需补正").
	Tag string
	// Display is the value as a summary shows it: an option's label rather than its code.
	Display  string
	AddLabel string // the accessible name of a repeat's add-row button
	// ReplaceHint, on a file field of a supplement answer, says that a new upload replaces the files.
	ReplaceHint string
	// Accept and TypesHint, on a file field, are the input's accept attribute and the sentence naming
	// the file types of its material.
	Accept, TypesHint string
}

type formOption struct{ Value, Label string }

// formOptions say how a page draws a form.
type formOptions struct {
	// errPrefix is where the form's errors sit among the page's: "data." for an action's form data,
	// "fields." for its fields, "" for an application.
	errPrefix string
	// idPrefix goes before each HTML id, for a page with several forms (the case page's actions).
	idPrefix string
	uploads  map[int64]materials.Material
	// answer limits editing to what an open supplement notice lists; nil leaves everything open.
	answer *workflow.Supplement
	// locked draws every field as its value (a summary).
	locked bool
	// quiet shows no errors and leaves the error summary alone (a summary, another action's form).
	quiet bool
	// action is where the form posts; a repeat's buttons post there with its anchor, so that the page
	// drawn again without JavaScript opens at the repeat. "" for a form without repeat buttons.
	action string
	// table is the list import of the post the page answers, if it imported one.
	table *tableImport
}

// formFields builds the inputs of f for the page, filled with data. Unless quiet, each input gets its
// error and is noted for the error summary with a label that says whose it is ("拟任负责人 第2行 姓名").
func (v *view) formFields(f *forms.Form, it *catalog.Item, data map[string]any, o formOptions) []formField {
	errs := map[string]string{}
	for path, msg := range v.Errors {
		if rest, ok := strings.CutPrefix(path, o.errPrefix); ok && !o.quiet {
			errs[rest] = msg
		}
	}
	b := formBuilder{form: f, it: it, errs: errs, view: v, opts: o}
	return b.fields(f.Fields, "", data)
}

type formBuilder struct {
	form *forms.Form // the whole form, for paths and labels
	it   *catalog.Item
	errs map[string]string
	view *view
	opts formOptions
	// inOpen is set below a part that the supplement notice lists, which is open as a whole.
	inOpen bool
}

func (b formBuilder) fields(fs []forms.Field, prefix string, data map[string]any) []formField {
	out := make([]formField, 0, len(fs))
	for i := range fs {
		out = append(out, b.field(&fs[i], prefix+fs[i].Name, data[fs[i].Name]))
	}
	return out
}

// field builds the input of f at path with the stored or typed value v.
func (b formBuilder) field(f *forms.Field, path string, v any) formField {
	ff, open := b.input(f, path)
	inner := b
	inner.inOpen = b.inOpen || open
	entered := f.Entered(v)
	switch f.Type {
	case forms.TypeGroup:
		m, _ := v.(map[string]any)
		ff.Children = inner.fields(f.Fields, path+".", m)
	case forms.TypeRepeat:
		ff.CanAdd = open && (f.MaxItems == nil || len(rowsOf(v)) < *f.MaxItems)
		ff.Rows = inner.rows(f, path, rowsOf(v), ff.CanAdd)
		if open {
			ff.Repeat = inner.repeat(f, path, len(ff.Rows))
		}
	case forms.TypeFile:
		b.fileField(&ff, f, entered)
	case forms.TypeCheckbox:
		if slices.Equal(entered, []string{"true"}) {
			ff.Value = "true"
		}
	default:
		if len(entered) > 0 {
			ff.Value = entered[0]
		}
	}
	for _, x := range entered {
		ff.Selected[x] = true
	}
	ff.Display = f.Display(v).In(b.view.Locale)
	return ff
}

// input is what the input of f at path shows whatever its type and value: its names, its error, its
// options, whether it is open for editing (open) and marked as to correct; unless quiet, it is noted
// for the error summary.
func (b formBuilder) input(f *forms.Field, path string) (ff formField, open bool) {
	locale := b.view.Locale
	ff = formField{Path: path, ID: htmlID(b.opts.idPrefix + path), Label: f.Label.In(locale), ReadLabel: f.ReadLabel().In(locale), Help: f.Help.In(locale), Type: f.Type,
		Required: f.Required, Error: b.errs[path], Selected: map[string]bool{}, AddLabel: b.view.T("add_row")}
	open, partly := b.access(path)
	ff.ReadOnly = !open && !partly
	if open && b.opts.answer != nil && !b.inOpen {
		ff.Tag = b.view.T("to_correct")
	}
	if !b.opts.quiet {
		b.view.noteInput(b.opts.errPrefix+path, b.form.Label(path).In(locale), ff.ID)
	}
	for _, o := range f.Options {
		ff.Options = append(ff.Options, formOption{Value: o.Value, Label: o.Label.In(locale)})
	}
	return ff, open
}

// rows builds the rows of the repeat f at path, with one empty row to fill in when one may be added.
func (b formBuilder) rows(f *forms.Field, path string, items []map[string]any, canAdd bool) [][]formField {
	n := len(items)
	if canAdd {
		n++
	}
	out := make([][]formField, 0, n)
	for i := range n {
		var m map[string]any
		if i < len(items) {
			m = items[i]
		}
		out = append(out, b.fields(f.Fields, fmt.Sprintf("%s[%d].", path, i), m))
	}
	return out
}

// fileField fills in the file input ff of f: the uploads it names (entered), its material, the
// accept attribute and hint of the types the material allows (all when it names none), and on a
// supplement answer the hint that a new upload replaces them.
func (b formBuilder) fileField(ff *formField, f *forms.Field, entered []string) {
	for _, x := range entered {
		id, _ := strconv.ParseInt(x, 10, 64)
		if m, ok := b.opts.uploads[id]; ok {
			ff.Uploads = append(ff.Uploads, m)
		}
	}
	for i := range b.it.Materials {
		if b.it.Materials[i].ID == f.Material {
			ff.Material = &b.it.Materials[i]
		}
	}
	var allowed []string
	if ff.Material != nil {
		allowed = ff.Material.Types
	}
	ff.Accept = materials.Accept(allowed)
	ff.TypesHint = b.view.Tf("upload_types", "Types", strings.Join(materials.TypeNames(allowed), b.view.T("list_sep")))
	if b.opts.answer != nil {
		ff.ReplaceHint = b.view.T("upload_replaces")
	}
}

// access says whether the field at path is open for editing, or locked with something open inside
// it (partly): everything is open unless the page is a summary or answers a supplement notice.
func (b formBuilder) access(path string) (open, partly bool) {
	switch {
	case b.opts.locked:
		return false, false
	case b.opts.answer == nil || b.opts.answer.Editable(b.form, path):
		return true, false
	}
	return false, b.opts.answer.Encloses(b.form, path)
}

// rowsOf reads a repeat's rows: []any from JSON or a posted form, []map[string]any from validation.
func rowsOf(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			m, _ := e.(map[string]any)
			out = append(out, m)
		}
		return out
	}
	return nil
}

// htmlID turns a data path into an HTML id that error summaries can link to.
func htmlID(path string) string {
	r := strings.NewReplacer(".", "-", "[", "-", "]", "")
	return "f-" + r.Replace(path)
}
