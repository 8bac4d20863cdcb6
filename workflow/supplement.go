package workflow

import (
	"slices"
	"strings"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
)

// The rules here say, for pages and the API alike, which form an applicant fills in on an open case
// and, while a 补正 notice is open, which parts of it may change: Apply enforces the same rules (see
// covered, lastForm).

// FormFor is the form that the applicant's submit or resubmit action a fills in on the case now: for
// a resubmission the form of the open notice, else the form of the case's state, else the
// application form.
func FormFor(item *catalog.Item, c *Case, a *catalog.Action) string {
	if a.Kind == catalog.KindResubmit && c.Supplement != nil {
		return c.Supplement.Form
	}
	if st, ok := item.State(c.State); ok && st.Form != "" {
		return st.Form
	}
	return item.Form
}

// SupplementForm is the form a supplement notice taken now would be about: the one the applicant
// submitted last (recorded by the start, submit and resubmit events).
func (v *View) SupplementForm() string { return lastFormIn(v.Events, v.Item) }

// lastFormIn finds the last form recorded by the events, oldest first; the application form when
// none is.
func lastFormIn(events []Event, item *catalog.Item) string {
	for i := len(events) - 1; i >= 0; i-- {
		if f, ok := events[i].Changes["form"].(string); ok && f != "" {
			return f
		}
	}
	return item.Form
}

// Editable reports whether an answer to the notice may change the value at path of the notice's
// form: the notice lists the path or one enclosing it, or the path is a file field of a listed
// material.
func (s *Supplement) Editable(form *forms.Form, path string) bool {
	f, ok := form.Field(path)
	return ok && covered(s.Items, path, f)
}

// Encloses reports whether something the notice lists lies inside the group, repeat or row at path,
// so that a page shows it open with its other parts locked.
func (s *Supplement) Encloses(form *forms.Form, path string) bool {
	for _, it := range s.Items {
		if strings.HasPrefix(it, path+".") || strings.HasPrefix(it, path+"[") {
			return true
		}
	}
	f, ok := form.Field(path)
	return ok && s.listsFileIn(f.Fields)
}

// listsFileIn reports whether a file field among fields, or below them, uploads a listed material.
func (s *Supplement) listsFileIn(fields []forms.Field) bool {
	return slices.ContainsFunc(materialsOf(fields), func(m string) bool { return slices.Contains(s.Items, m) })
}

// materialsOf lists the materials that the file fields among fields, or below them, upload.
func materialsOf(fields []forms.Field) []string {
	var out []string
	for i := range fields {
		if f := &fields[i]; f.Type == forms.TypeFile {
			out = append(out, f.Material)
		}
		out = append(out, materialsOf(fields[i].Fields)...)
	}
	return out
}

// Choice is something a supplement notice may list: a field path or a material ID, with its name.
type Choice struct {
	ID    string
	Label lang.Text
}

// SupplementChoices are what a notice about the form formID may list, for a staff page to offer: the
// form's fields other than files, then the materials its file fields upload. The applicant answers a
// notice on that form's page, so a material of another stage (an establishment document while the
// case is in 筹备) is not among them; Apply refuses it (see validItem).
func SupplementChoices(item *catalog.Item, formID string) []Choice {
	form := item.Forms[formID]
	if form == nil {
		return nil
	}
	var out []Choice
	for _, f := range form.Fields {
		if f.Type != forms.TypeFile {
			out = append(out, Choice{ID: f.Name, Label: f.Label})
		}
	}
	uploaded := materialsOf(form.Fields)
	for _, m := range item.Materials {
		if slices.Contains(uploaded, m.ID) {
			out = append(out, Choice{ID: m.ID, Label: m.Name})
		}
	}
	return out
}

// Answer builds the data an answer to the notice submits from what a page posted (values by path,
// as forms.FromFormValues reads them): the posted values at the paths the notice lets change, the
// data as submitted before everywhere else, so that nothing locked changes whatever the post holds
// and a page need not post what it shows as locked text.
func (s *Supplement) Answer(form *forms.Form, submitted map[string]any, posted map[string][]string) map[string]any {
	values := forms.FormValues(form, submitted)
	for path := range values {
		if s.Editable(form, path) {
			delete(values, path)
		}
	}
	for path, vs := range posted {
		if s.Editable(form, path) {
			values[path] = vs
		}
	}
	return forms.FromFormValues(form, values)
}

// ItemLabel names an item of a supplement notice about formID for people: the material's name, or
// the field's label with its group and row ("拟任负责人 第2行 姓名").
func ItemLabel(item *catalog.Item, formID, id string) lang.Text {
	for _, m := range item.Materials {
		if m.ID == id {
			return m.Name
		}
	}
	return item.Forms[formID].Label(id)
}
