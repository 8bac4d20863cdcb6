package workflow

import (
	"fmt"
	"maps"
	"slices"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
)

// The kinds of EventDetail.
const (
	DetailField      = "field"      // a field the action recorded (a reviewer's opinion, a decision number)
	DetailWarning    = "warning"    // a warning about the submitted form that did not stop it
	DetailSupplement = "supplement" // an item a 补正 notice asked to correct
	DetailChanged    = "changed"    // a part of the form that a resubmission changed
)

// EventDetail is one thing an event recorded, labelled from the definition the case runs on, so that
// whoever decides next reads what was done before: pages and the API show the same.
type EventDetail struct {
	Kind string `json:"kind"`
	// Path is the field's name, or the path in the form ("leaders[1].name"), or a material's ID.
	Path  string    `json:"path"`
	Label lang.Text `json:"label"`
	// Value is a field's value as people read it (an option's label, money in yuan) or a warning's
	// message; absent for the other kinds.
	Value lang.Text `json:"value,omitzero"`
}

// EventDetails lists, for each of the view's events in turn, what it recorded: the fields its
// action entered, the warnings of the form it submitted, the items of its supplement notice, the
// parts of the form its resubmission changed. Events the viewer may not read in full (internal work
// in an applicant's view) have had their changes removed and list nothing.
func (v *View) EventDetails() [][]EventDetail {
	out := make([][]EventDetail, len(v.Events))
	form := v.Item.Form // the form the applicant submitted last, as the events go by
	for i := range v.Events {
		ev := &v.Events[i]
		var ds []EventDetail
		ds = append(ds, v.fieldDetails(ev)...)
		if f, ok := ev.Changes["form"].(string); ok && f != "" {
			form = f
		}
		fd := v.Item.Forms[form]
		for _, w := range asSlice(ev.Changes["warnings"]) {
			m := asMap(w)
			path, _ := m["path"].(string)
			code, _ := m["code"].(string)
			text, ok := forms.WarningText(code)
			if !ok {
				text = lang.Text{ZH: code, EN: code}
			}
			ds = append(ds, EventDetail{Kind: DetailWarning, Path: path, Label: fd.Label(path), Value: text})
		}
		for _, item := range asSlice(ev.Changes["supplement"]) {
			id := fmt.Sprint(item)
			ds = append(ds, EventDetail{Kind: DetailSupplement, Path: id, Label: ItemLabel(v.Item, form, id)})
		}
		for _, p := range asSlice(ev.Changes["data"]) {
			path := fmt.Sprint(p)
			ds = append(ds, EventDetail{Kind: DetailChanged, Path: path, Label: fd.Label(path)})
		}
		out[i] = ds
	}
	return out
}

// fieldDetails lists the fields the event's action entered, in the order the action defines them.
func (v *View) fieldDetails(ev *Event) []EventDetail {
	values := asMap(ev.Changes["fields"])
	if len(values) == 0 {
		return nil
	}
	action := ev.Action
	if cs := asMap(ev.Changes["cosign"]); cs != nil {
		action, _ = cs["action"].(string) // a signature short of the last belongs to its action
	}
	var defs []forms.Field
	if i := slices.IndexFunc(v.Item.Workflow.Actions, func(a catalog.Action) bool { return a.ID == action }); i >= 0 {
		defs = v.Item.Workflow.Actions[i].Fields
	}
	var out []EventDetail
	for i := range defs {
		if val, ok := values[defs[i].Name]; ok {
			out = append(out, EventDetail{Kind: DetailField, Path: defs[i].Name, Label: defs[i].ReadLabel(), Value: defs[i].Display(val)})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(values)) { // fields the definition no longer has: by name, as recorded
		if !slices.ContainsFunc(defs, func(f forms.Field) bool { return f.Name == name }) {
			text := fmt.Sprint(values[name])
			out = append(out, EventDetail{Kind: DetailField, Path: name, Label: lang.Text{ZH: name, EN: name}, Value: lang.Text{ZH: text, EN: text}})
		}
	}
	return out
}
