package forms

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// FromFormValues builds Validate's input from an HTML form post, whose flat names use the same paths
// as the errors: "name", "leader.name" for a group, "members[3].name" for a repeat; a multiselect or
// file field repeats its name once per value. Only the form's fields are read. Repeat items are kept
// in the order of their indices and renumbered from 0, so a page that removed row 1 of 0–2 still
// posts a list of two; index spellings other than plain decimal (members[03]) are ignored.
func FromFormValues(f *Form, values map[string][]string) map[string]any {
	if f == nil {
		return map[string]any{}
	}
	return fromValues(f.Fields, values, "")
}

// fromValues reads the fields of one level whose names start with prefix.
func fromValues(fields []Field, values map[string][]string, prefix string) map[string]any {
	out := make(map[string]any, len(fields))
	for i := range fields {
		fd := &fields[i]
		key := prefix + fd.Name
		switch fd.Type {
		case TypeMultiSelect, TypeFile:
			if vs, ok := values[key]; ok {
				list := make([]any, len(vs))
				for j, s := range vs {
					list[j] = s
				}
				out[fd.Name] = list
			}
		case TypeCheckbox:
			// The last value wins, so a hidden "false" before the box posts false when unticked.
			if vs := values[key]; len(vs) > 0 {
				out[fd.Name] = vs[len(vs)-1]
			}
		case TypeGroup:
			if sub := fromValues(fd.Fields, values, key+"."); len(sub) > 0 {
				out[fd.Name] = sub
			}
		case TypeRepeat:
			indices := repeatIndices(values, key+"[")
			if len(indices) == 0 {
				continue
			}
			items := make([]any, len(indices))
			for j, n := range indices {
				items[j] = fromValues(fd.Fields, values, key+"["+strconv.Itoa(n)+"].")
			}
			out[fd.Name] = items
		default:
			if vs := values[key]; len(vs) > 0 {
				out[fd.Name] = vs[0]
			}
		}
	}
	return out
}

// repeatIndices lists, in order, the distinct item indices n of the names that start with
// prefix (members[) followed by n].
func repeatIndices(values map[string][]string, prefix string) []int {
	seen := map[int]bool{}
	var indices []int
	for name := range values {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		digits, _, ok := strings.Cut(rest, "].")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 || strconv.Itoa(n) != digits || seen[n] {
			continue
		}
		seen[n] = true
		indices = append(indices, n)
	}
	sort.Ints(indices)
	return indices
}

// FormValues is the inverse of FromFormValues: stored data as the inputs of a page post it, by path,
// money back in yuan (see Field.Entered), so that stored and posted values can be put together.
func FormValues(f *Form, data map[string]any) map[string][]string {
	out := map[string][]string{}
	if f != nil {
		toValues(f.Fields, data, "", out)
	}
	return out
}

// toValues writes the values of one level under prefix.
func toValues(fields []Field, data map[string]any, prefix string, out map[string][]string) {
	for i := range fields {
		fd := &fields[i]
		v, ok := data[fd.Name]
		if !ok {
			continue
		}
		key := prefix + fd.Name
		switch fd.Type {
		case TypeGroup:
			m, _ := asObject(v)
			toValues(fd.Fields, m, key+".", out)
		case TypeRepeat:
			rows, _ := asList(v)
			for j, row := range rows {
				m, _ := asObject(row)
				toValues(fd.Fields, m, key+"["+strconv.Itoa(j)+"].", out)
			}
		default:
			if entered := fd.Entered(v); len(entered) > 0 {
				out[key] = entered
			}
		}
	}
}

// DropBlankRows removes from posted values the rows of repeats in which nothing was entered or
// uploaded: a page always offers one empty row to fill in, and a browser posts its inputs blank,
// which would otherwise read as a row with every required field missing.
func DropBlankRows(f *Form, values map[string][]string) {
	if f != nil {
		dropBlankRows(f.Fields, values, "")
	}
}

func dropBlankRows(fs []Field, values map[string][]string, prefix string) {
	for _, f := range fs {
		switch f.Type {
		case TypeGroup:
			dropBlankRows(f.Fields, values, prefix+f.Name+".")
		case TypeRepeat:
			head := prefix + f.Name + "["
			filled := map[string]bool{} // row prefix ("members[3].") → something was entered
			for k, vs := range values {
				rest, ok := strings.CutPrefix(k, head)
				if !ok {
					continue
				}
				index, _, ok := strings.Cut(rest, "].")
				if !ok {
					continue
				}
				row := head + index + "]."
				filled[row] = filled[row] || slices.ContainsFunc(vs, func(v string) bool { return strings.TrimSpace(v) != "" })
			}
			for row, ok := range filled {
				if ok {
					dropBlankRows(f.Fields, values, row)
					continue
				}
				for k := range values {
					if strings.HasPrefix(k, row) {
						delete(values, k)
					}
				}
			}
		}
	}
}

// RemoveRow removes from posted values the inputs of row, a row of one of the form's repeats
// ("members[3]"), as the row's remove button asks of a page without JavaScript; it reports whether
// row names one. The rows after it keep their indices: FromFormValues renumbers them.
func RemoveRow(f *Form, values map[string][]string, row string) bool {
	segs, ok := splitPath(row)
	if !ok || segs[len(segs)-1].index < 0 {
		return false
	}
	if fd, ok := f.Field(row); !ok || fd.Type != TypeRepeat {
		return false
	}
	for k := range values {
		if strings.HasPrefix(k, row+".") {
			delete(values, k)
		}
	}
	return true
}

// AppendRows adds rows (values by field name, as Entered reads them) to the repeat at path in posted
// values, after the rows already there, as the page's inputs would post them.
func AppendRows(f *Form, values map[string][]string, path string, rows []map[string]any) {
	fd, ok := f.Field(path)
	if !ok || fd.Type != TypeRepeat {
		return
	}
	next := 0
	if indices := repeatIndices(values, path+"["); len(indices) > 0 {
		next = indices[len(indices)-1] + 1
	}
	for j, row := range rows {
		toValues(fd.Fields, row, path+"["+strconv.Itoa(next+j)+"].", values)
	}
}
