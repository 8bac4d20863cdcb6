package forms

import (
	"strconv"
	"strings"

	"github.com/civicflow/civicflow/lang"
)

// Duplicate is a value that two rows of a repeat share in a field that identifies a person or an
// organisation: the same resident ID number or credit code twice in one member list is a mistake
// (a row pasted twice), never two people.
type Duplicate struct {
	Field   string // the field's name in the row
	Row     int    // the later row, from 0
	Earlier int    // the first row with the same value, from 0
}

// Duplicates lists the rows of the repeat fd whose id_card or uscc fields (those directly in the
// row) repeat an earlier row's, comparing values as Validate stores them (trimmed, in capitals) and
// skipping empty ones. Validate refuses them; the table import uses it to name the rows of a pasted
// list by their lines.
func (fd *Field) Duplicates(rows []map[string]any) []Duplicate {
	var out []Duplicate
	for i := range fd.Fields {
		f := &fd.Fields[i]
		if f.Type != TypeIDCard && f.Type != TypeUSCC {
			continue
		}
		first := map[string]int{}
		for r, row := range rows {
			s, ok := asString(row[f.Name])
			s = strings.ToUpper(strings.TrimSpace(s))
			if !ok || s == "" {
				continue
			}
			if e, seen := first[s]; seen {
				out = append(out, Duplicate{Field: f.Name, Row: r, Earlier: e})
				continue
			}
			first[s] = r
		}
	}
	return out
}

// duplicates refuses the values of the repeat fd at path that repeat an earlier row's, with an
// error on both rows that names the other, once per row and field.
func (v *validator) duplicates(fd *Field, rows []map[string]any, path string) {
	told := map[string]bool{}
	for _, d := range fd.Duplicates(rows) {
		label := fd.fieldLabel(d.Field)
		for _, pair := range [][2]int{{d.Row, d.Earlier}, {d.Earlier, d.Row}} {
			at := path + "[" + strconv.Itoa(pair[0]) + "]." + d.Field
			if told[at] {
				continue
			}
			told[at] = true
			other := strconv.Itoa(pair[1] + 1)
			v.add(at, CodeDuplicateRow, "与第 "+other+" 行的"+label.ZH+"相同，同一名单中不能重复。",
				"The same "+strings.ToLower(label.In("en"))+" as row "+other+"; a list cannot hold it twice.")
		}
	}
}

// fieldLabel is the label of the row field named name.
func (fd *Field) fieldLabel(name string) lang.Text {
	for i := range fd.Fields {
		if fd.Fields[i].Name == name {
			return fd.Fields[i].Label
		}
	}
	return lang.Text{ZH: name, EN: name}
}

// CodeDuplicateRow is the error code of a value that repeats another row's (see Duplicates).
const CodeDuplicateRow = "duplicate_row"
