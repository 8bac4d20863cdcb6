package forms

import (
	"strconv"
	"strings"

	"github.com/civicflow/civicflow/lang"
)

// segment is one step of a data path: a field's name and, for a row of a repeat, its index.
type segment struct {
	name  string
	index int // -1: no row
}

// splitPath reads a data path as Validate reports it ("leader.name", "members[12].id_number",
// "members[3]"); ok is false for anything else.
func splitPath(path string) ([]segment, bool) {
	if path == "" {
		return nil, false
	}
	var out []segment
	for part := range strings.SplitSeq(path, ".") {
		name, rest, hasIndex := strings.Cut(part, "[")
		s := segment{name: name, index: -1}
		if hasIndex {
			digits, ok := strings.CutSuffix(rest, "]")
			n, err := strconv.Atoi(digits)
			if !ok || err != nil || n < 0 || strconv.Itoa(n) != digits {
				return nil, false
			}
			s.index = n
		}
		if name == "" {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// walkPath finds the field of each segment of path in turn, calling fn with it; it reports whether
// every segment names a field (an index only on a repeat, nothing below a leaf).
func walkPath(fields []Field, path string, fn func(f *Field, s segment)) bool {
	segs, ok := splitPath(path)
	if !ok {
		return false
	}
	for _, s := range segs {
		var f *Field
		for i := range fields {
			if fields[i].Name == s.name {
				f = &fields[i]
			}
		}
		if f == nil || (s.index >= 0 && f.Type != TypeRepeat) {
			return false
		}
		fn(f, s)
		if f.Type == TypeRepeat && s.index < 0 {
			fields = nil // a whole repeat: nothing may follow
		} else {
			fields = f.Fields
		}
	}
	return true
}

// Field returns the field that a data path names: "leader.name" a field of a group,
// "members[2].photo" a field of a repeat's row, "members[2]" and "members" the repeat itself.
func (f *Form) Field(path string) (*Field, bool) {
	var last *Field
	if f == nil || !walkPath(f.Fields, path, func(fd *Field, _ segment) { last = fd }) {
		return nil, false
	}
	return last, true
}

// Label names the input at path for people, with the groups and rows it sits in, so that an error
// or a supplement item says whose it is: "拟任负责人 第2行 姓名", "Intended leaders, row 2, Name". A
// path that names no field of the form is returned as it is.
func (f *Form) Label(path string) lang.Text {
	var zh, en []string
	ok := f != nil && walkPath(f.Fields, path, func(fd *Field, s segment) {
		zh = append(zh, fd.Label.In("zh-CN"))
		en = append(en, fd.Label.In("en"))
		if s.index >= 0 {
			zh = append(zh, "第"+strconv.Itoa(s.index+1)+"行")
			en = append(en, "row "+strconv.Itoa(s.index+1))
		}
	})
	if !ok {
		return lang.Text{ZH: path, EN: path}
	}
	return lang.Text{ZH: strings.Join(zh, " "), EN: strings.Join(en, ", ")}
}
