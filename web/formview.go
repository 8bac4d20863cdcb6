package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/materials"
)

// formField is one input as a page shows it: its HTML name (the data path), what was typed or saved,
// its error, and for groups and repeats the inputs inside.
type formField struct {
	Path     string // data path and HTML name: "leader.name", "members[3].name"
	ID       string // HTML id, derived from Path
	Label    string
	Help     string
	Type     string
	Required bool
	Value    string
	Selected map[string]bool // select, multiselect
	Options  []formOption
	Error    string
	Children []formField   // group
	Rows     [][]formField // repeat
	CanAdd   bool          // repeat: below its maximum
	Uploads  []materials.Material
	Material *catalog.Material
	ReadOnly bool // during 补正, fields not listed in the notice
	// Display is the value as a summary shows it: an option's label rather than its code.
	Display  string
	AddLabel string // the accessible name of a repeat's add-row button
}

type formOption struct{ Value, Label string }

// formFields builds the inputs of f for the page, filled with data, with the errors whose paths lie
// under prefix ("data." for an action's form data, "fields." for its fields, "" for an application)
// and the uploads by id. editable, when not nil, limits editing to the listed paths (and what lies
// below them). Every input's label is noted by path, so that the error summary can name the field.
func (v *view) formFields(f *forms.Form, it *catalog.Item, data map[string]any, prefix string, uploads map[int64]materials.Material, editable []string) []formField {
	errs := map[string]string{}
	for path, msg := range v.Errors {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			errs[rest] = msg
		}
	}
	b := formBuilder{it: it, errs: errs, uploads: uploads, locale: v.Locale, editable: editable, view: v, prefix: prefix}
	return b.fields(f.Fields, "", data)
}

type formBuilder struct {
	it       *catalog.Item
	errs     map[string]string
	uploads  map[int64]materials.Material
	locale   string
	editable []string
	view     *view
	prefix   string
}

func (b formBuilder) fields(fs []forms.Field, prefix string, data map[string]any) []formField {
	out := make([]formField, 0, len(fs))
	for _, f := range fs {
		out = append(out, b.field(f, prefix+f.Name, data[f.Name]))
	}
	return out
}

func (b formBuilder) field(f forms.Field, path string, v any) formField {
	ff := formField{Path: path, ID: htmlID(path), Label: f.Label.In(b.locale), Help: f.Help.In(b.locale), Type: f.Type,
		Required: f.Required, Error: b.errs[path], Selected: map[string]bool{}, ReadOnly: !b.mayEdit(path)}
	if b.view != nil {
		b.view.Labels[b.prefix+path] = ff.Label
		ff.AddLabel = b.view.T("add_row")
	}
	for _, o := range f.Options {
		ff.Options = append(ff.Options, formOption{Value: o.Value, Label: o.Label.In(b.locale)})
	}
	switch f.Type {
	case forms.TypeGroup:
		m, _ := v.(map[string]any)
		ff.Children = b.fields(f.Fields, path+".", m)
	case forms.TypeRepeat:
		items := rowsOf(v)
		n := len(items)
		ff.CanAdd = f.MaxItems == nil || n < *f.MaxItems
		if ff.CanAdd && !ff.ReadOnly {
			n++ // one empty row to fill in
		}
		for i := 0; i < n; i++ {
			var m map[string]any
			if i < len(items) {
				m = items[i]
			}
			ff.Rows = append(ff.Rows, b.fields(f.Fields, fmt.Sprintf("%s[%d].", path, i), m))
		}
	case forms.TypeMultiSelect:
		for _, x := range asList(v) {
			ff.Selected[x] = true
		}
	case forms.TypeFile:
		for _, x := range asList(v) {
			id, _ := strconv.ParseInt(x, 10, 64)
			if m, ok := b.uploads[id]; ok {
				ff.Uploads = append(ff.Uploads, m)
			}
		}
		for i := range b.it.Materials {
			if b.it.Materials[i].ID == f.Material {
				ff.Material = &b.it.Materials[i]
			}
		}
	case forms.TypeMoney:
		ff.Value = moneyText(v)
	case forms.TypeCheckbox:
		if on, _ := v.(bool); on {
			ff.Value = "true"
		}
	default:
		if v != nil {
			ff.Value = fmt.Sprint(v)
		}
		ff.Selected[ff.Value] = true
	}
	ff.Display = display(ff)
	return ff
}

// display is what a read-only summary shows for a simple field.
func display(ff formField) string {
	switch ff.Type {
	case forms.TypeSelect, forms.TypeMultiSelect:
		var labels []string
		for _, o := range ff.Options {
			if ff.Selected[o.Value] {
				labels = append(labels, o.Label)
			}
		}
		return strings.Join(labels, "、")
	}
	return ff.Value
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

// mayEdit reports whether path is open for editing: always, unless a supplement notice limits the
// applicant to what it lists.
func (b formBuilder) mayEdit(path string) bool {
	if b.editable == nil {
		return true
	}
	for _, p := range b.editable {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

// moneyText shows a stored amount (integer fen) in yuan; text typed by the user is shown as typed.
func moneyText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x/100, 'f', -1, 64)
	case int64:
		return strconv.FormatFloat(float64(x)/100, 'f', -1, 64)
	case string:
		return x
	}
	return ""
}

func asList(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if f, ok := e.(float64); ok {
				out = append(out, strconv.FormatInt(int64(f), 10))
				continue
			}
			out = append(out, fmt.Sprint(e))
		}
		return out
	case []string:
		return x
	case []int64:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, strconv.FormatInt(e, 10))
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
