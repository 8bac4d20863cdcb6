package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
)

// The helpers here walk a form's definition together with its data: which materials the data
// names, which paths changed between two submissions, and whether a supplement notice names real
// fields. Paths are written as forms.Validate reports them: "name", "leader.id_number",
// "members[12].id_number".

// fileRef is a material named by a file field of submitted data.
type fileRef struct {
	ID   int64
	Path string // the file field's path
	Slot string // the item's material the field uploads to
}

// fileRefs returns the materials of every file field in values, in form order, so that they can be
// linked to the case and checked against their slots.
func fileRefs(fields []forms.Field, values map[string]any) []fileRef {
	var out []fileRef
	var walk func(fields []forms.Field, values map[string]any, prefix string)
	walk = func(fields []forms.Field, values map[string]any, prefix string) {
		for i := range fields {
			f := &fields[i]
			v := values[f.Name]
			p := prefix + f.Name
			switch f.Type {
			case forms.TypeFile:
				for _, id := range idsOf(v) {
					out = append(out, fileRef{ID: id, Path: p, Slot: f.Material})
				}
			case forms.TypeGroup:
				walk(f.Fields, asMap(v), p+".")
			case forms.TypeRepeat:
				for j, el := range asSlice(v) {
					walk(f.Fields, asMap(el), p+"["+strconv.Itoa(j)+"].")
				}
			}
		}
	}
	walk(fields, values, "")
	return out
}

// idsOf reads material IDs from a file field's value: []int64 as forms.Validate gives it, or the
// []any of numbers that JSON decoding gives back.
func idsOf(v any) []int64 {
	var out []int64
	for _, el := range asSlice(v) {
		switch n := el.(type) {
		case int64:
			out = append(out, n)
		case int:
			out = append(out, int64(n))
		case float64:
			if n == float64(int64(n)) {
				out = append(out, int64(n))
			}
		case json.Number:
			if i, err := n.Int64(); err == nil {
				out = append(out, i)
			}
		}
	}
	return out
}

// asMap reads a group's value.
func asMap(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil
	}
	out := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		out[it.Key().String()] = it.Value().Interface()
	}
	return out
}

// asSlice reads a list of any element type ([]map[string]any from forms, []any from JSON).
func asSlice(v any) []any {
	if s, ok := v.([]any); ok {
		return s
	}
	rv := reflect.ValueOf(v)
	if v == nil || rv.Kind() != reflect.Slice {
		return nil
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}

// changedPaths lists the paths where the new values differ from the old ones, walking the form:
// leaves by value, groups field by field, repeats item by item (an item added or removed is its
// path "members[3]"). With old nil it lists every path that has a value. fn receives each path with
// the field it belongs to.
func changedPaths(fields []forms.Field, prefix string, old, new map[string]any, fn func(path string, f *forms.Field)) {
	for i := range fields {
		f := &fields[i]
		p := prefix + f.Name
		ov, nv := old[f.Name], new[f.Name]
		switch f.Type {
		case forms.TypeGroup:
			changedPaths(f.Fields, p+".", asMap(ov), asMap(nv), fn)
		case forms.TypeRepeat:
			ol, nl := asSlice(ov), asSlice(nv)
			for j := range max(len(ol), len(nl)) {
				ip := p + "[" + strconv.Itoa(j) + "]"
				if j >= len(ol) || j >= len(nl) {
					fn(ip, f)
					continue
				}
				changedPaths(f.Fields, ip+".", asMap(ol[j]), asMap(nl[j]), fn)
			}
		default:
			if !sameValue(ov, nv) {
				fn(p, f)
			}
		}
	}
}

// sameValue compares two leaf values as JSON, so that a value read back from the database (numbers
// as float64) equals the value forms.Validate produced (int64); absent, null, "" and empty lists
// are the same.
func sameValue(a, b any) bool {
	if blank(a) || blank(b) {
		return blank(a) && blank(b)
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var ca, cb any
	if json.Unmarshal(ja, &ca) != nil || json.Unmarshal(jb, &cb) != nil {
		return false
	}
	return reflect.DeepEqual(ca, cb)
}

func blank(v any) bool {
	if v == nil {
		return true
	}
	if s, ok := v.(string); ok {
		return s == ""
	}
	rv := reflect.ValueOf(v)
	return (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.Len() == 0
}

// covered reports whether a supplement notice's items allow the path (of field f) to change: the
// path itself or an enclosing path is listed ("members" covers "members[3].name"), or f is a file
// field of a listed material.
func covered(items []string, path string, f *forms.Field) bool {
	for _, it := range items {
		if it == path || strings.HasPrefix(path, it+".") || strings.HasPrefix(path, it+"[") {
			return true
		}
		if f.Type == forms.TypeFile && f.Material == it {
			return true
		}
	}
	return false
}

// validItem reports whether a supplement item names something the applicant can correct on the
// page of form, the one the notice is about: a material that a file field of form uploads, or a path
// of form that exists (an index within the submitted list). Materials of other forms are not.
func validItem(form *forms.Form, data map[string]any, path string) bool {
	if form == nil || path == "" {
		return false
	}
	if slices.Contains(materialsOf(form.Fields), path) {
		return true
	}
	fields := form.Fields
	for seg := range strings.SplitSeq(path, ".") {
		name, index, hasIndex, ok := splitSegment(seg)
		if !ok || fields == nil {
			return false
		}
		i := slices.IndexFunc(fields, func(f forms.Field) bool { return f.Name == name })
		if i < 0 {
			return false
		}
		f := &fields[i]
		v := data[f.Name]
		switch {
		case hasIndex && f.Type != forms.TypeRepeat:
			return false
		case hasIndex:
			list := asSlice(v)
			if index >= len(list) {
				return false
			}
			fields, data = f.Fields, asMap(list[index])
		case f.Type == forms.TypeGroup:
			fields, data = f.Fields, asMap(v)
		default:
			fields, data = nil, nil // a leaf, or a whole repeat: nothing may follow
		}
	}
	return true
}

// splitSegment splits "members[3]" into its name and index.
func splitSegment(seg string) (name string, index int, hasIndex, ok bool) {
	open := strings.IndexByte(seg, '[')
	if open < 0 {
		return seg, 0, false, seg != ""
	}
	if open == 0 || !strings.HasSuffix(seg, "]") {
		return "", 0, false, false
	}
	n, err := strconv.Atoi(seg[open+1 : len(seg)-1])
	if err != nil || n < 0 || fmt.Sprint(n) != seg[open+1:len(seg)-1] {
		return "", 0, false, false
	}
	return seg[:open], n, true, true
}

// DataInYuan is a case's data (by form ID) with money in yuan, the unit the item's forms take (see
// forms.Form.InYuan), as the API answers it, so that a client may send back what it read; the stored
// data, in fen, is not changed.
func DataInYuan(item *catalog.Item, data map[string]any) map[string]any {
	if data == nil {
		return nil
	}
	out := make(map[string]any, len(data))
	for id, v := range data {
		out[id] = v
		if f := item.Forms[id]; f != nil {
			if m := asMap(v); m != nil {
				out[id] = f.InYuan(m)
			}
		}
	}
	return out
}

// CaseInYuan is a copy of c with its data in yuan (DataInYuan), for an API answer.
func (e *Engine) CaseInYuan(ctx context.Context, c *Case) (*Case, error) {
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, fmt.Errorf("case %d: %w", c.ID, err)
	}
	out := *c
	out.Data = DataInYuan(item, c.Data)
	return &out, nil
}

// Materials are the IDs of the materials the case's submitted forms name now, in form order: not
// those an answer to a supplement notice replaced, which stay linked to the case for its history.
// Then those that staff attached in the fields of actions the viewer sees (the information a reply
// discloses): the view's fields leave out those of internal actions for the applicant.
func (v *View) Materials() []int64 {
	var out []int64
	for _, id := range v.Item.FormIDs() {
		if f := v.Item.Forms[id]; f != nil {
			for _, ref := range fileRefs(f.Fields, asMap(v.Case.Data[id])) {
				out = append(out, ref.ID)
			}
		}
	}
	for _, a := range v.Item.Workflow.Actions {
		for _, ref := range fileRefs(a.Fields, v.Case.Fields) {
			if !slices.Contains(out, ref.ID) {
				out = append(out, ref.ID)
			}
		}
	}
	return out
}
