package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Diagnostic is one problem in a definition file, located by file and line so that an administrator
// can go straight to it.
type Diagnostic struct {
	File    string
	Line    int
	Message string
}

// String formats the diagnostic as "file:line: message", the form editors and CI jump to.
func (d Diagnostic) String() string {
	if d.Line <= 0 {
		return d.File + ": " + d.Message
	}
	return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
}

// decoder turns a YAML node tree into the catalog's Go types by reflection. yaml.v3's Node.Decode
// ignores unknown keys and stops at the first type error; this walk reports every unknown key,
// duplicate key and type mismatch at its own line, and fills the Line fields as it goes.
type decoder struct {
	file  string
	diags []Diagnostic
	// lines maps the path of every value ("workflow.actions[2].guard") to the line it is on, for
	// linter messages about values that have no Line field of their own.
	lines map[string]int
	// fatal is set when the file could not be read as a mapping at all, so that the linter does not
	// add a "missing" message for every key.
	fatal bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, lines: map[string]int{}}
}

func (d *decoder) errorf(line int, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{File: d.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// yamlLineError matches the position yaml.v3 puts in its syntax errors.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse reads one YAML document from data and decodes it into out (a pointer to a struct).
func (d *decoder) parse(data []byte, out any) {
	var doc, extra yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if err == nil && dec.Decode(&extra) == nil {
		d.errorf(extra.Line, "one definition per file: a second YAML document starts here")
	}
	if err != nil {
		msg := err.Error()
		if m := yamlLineError.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			if parserProblem(m[2]) {
				line++ // yaml.v3 counts lines from 0 in parser (not scanner) errors
			}
			d.errorf(line, "YAML syntax: %s", m[2])
			d.fatal = true
			return
		}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		d.errorf(1, "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
		d.fatal = true
		return
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorf(1, "the file is empty")
		d.fatal = true
		return
	}
	if root := doc.Content[0]; root.Kind != yaml.MappingNode {
		d.errorf(root.Line, "expected key: value lines at the top of the file, found %s", describeNode(root))
		d.fatal = true
		return
	}
	d.decode(doc.Content[0], reflect.ValueOf(out).Elem(), "")
}

// parserProblem reports whether a yaml.v3 error message comes from its parser, whose line numbers
// count from 0, rather than from its scanner, whose line numbers count from 1.
func parserProblem(msg string) bool {
	for _, p := range []string{"did not find expected ',' or", "did not find expected '-' indicator",
		"did not find expected <", "did not find expected key", "did not find expected node content",
		"found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

var (
	periodType = reflect.TypeOf(Period{})
	lineField  = "Line"
)

// decode fills v from n; path names v for the lines table and for messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != "" {
		if _, ok := d.lines[path]; !ok {
			d.lines[path] = n.Line
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value leaves the zero value
	}
	if v.Type() == periodType && n.Kind == yaml.ScalarNode {
		d.decodeBarePeriod(n, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n.Line, "%s: expected a list (lines starting with \"- \"), found %s", keyName(path), describeNode(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n.Line, "%s: expected a mapping (key: value lines), found %s", keyName(path), describeNode(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if first, dup := seen[k.Value]; dup {
				d.errorf(k.Line, "duplicate key %q (first on line %d)", k.Value, first)
				continue
			}
			seen[k.Value] = k.Line
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, e, path+"."+k.Value)
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		d.decodeScalar(n, v, path)
	default:
		d.errorf(n.Line, "%s: cannot read a value of Go type %s", keyName(path), v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := "a mapping (key: value lines)"
		if v.Type().PkgPath() == "github.com/civicflow/civicflow/lang" {
			what = "a text in both languages (zh: … and en: …)"
		}
		d.errorf(n.Line, "%s: expected %s, found %s", keyName(path), what, describeNode(n))
		return
	}
	if f := v.FieldByName(lineField); f.IsValid() && f.Kind() == reflect.Int {
		f.SetInt(int64(n.Line))
	}
	keys, order := yamlKeys(v.Type())
	seen := map[string]int{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.ShortTag() == "!!merge" { // "<<: *anchor" merges another mapping's keys
				for val.Kind == yaml.AliasNode && val.Alias != nil {
					val = val.Alias
				}
				if val.Kind == yaml.MappingNode {
					walk(val)
				}
				continue
			}
			if first, dup := seen[k.Value]; dup {
				d.errorf(k.Line, "duplicate key %q (first on line %d)", k.Value, first)
				continue
			}
			seen[k.Value] = k.Line
			idx, ok := keys[k.Value]
			if !ok {
				where := ""
				if path != "" {
					where = " in " + keyName(path)
				}
				d.errorf(k.Line, "unknown key %q%s; the keys here are: %s", k.Value, where, strings.Join(order, ", "))
				continue
			}
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			d.lines[sub] = k.Line
			d.decode(val, v.FieldByIndex(idx), sub)
		}
	}
	walk(n)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, "%s: expected a single value, found %s", keyName(path), describeNode(n))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
		return
	case reflect.Bool:
		var b bool
		if n.ShortTag() == "!!bool" && n.Decode(&b) == nil {
			v.SetBool(b)
			return
		}
		d.errorf(n.Line, "%s: expected true or false, found %q", keyName(path), n.Value)
	case reflect.Int, reflect.Int64:
		var i int64
		if n.ShortTag() == "!!int" && n.Decode(&i) == nil {
			v.SetInt(i)
			return
		}
		d.errorf(n.Line, "%s: expected a whole number, found %q", keyName(path), n.Value)
	case reflect.Float64:
		var f float64
		if (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") && n.Decode(&f) == nil {
			v.SetFloat(f)
			return
		}
		d.errorf(n.Line, "%s: expected a number, found %q", keyName(path), n.Value)
	}
}

// decodeBarePeriod reads a time limit written as a bare number ("statutory: 60"). It keeps the days
// and leaves the unit empty for the linter to report: the mistake the issue calls "a time limit
// without a unit", rather than a type error.
func (d *decoder) decodeBarePeriod(n *yaml.Node, v reflect.Value) {
	p := v.Addr().Interface().(*Period)
	p.Line = n.Line
	var days int
	if n.ShortTag() != "!!int" || n.Decode(&days) != nil {
		d.errorf(n.Line, "time limit %q: write days and unit, e.g. {days: 20, unit: working_days}", n.Value)
		return
	}
	p.Days = days
}

// yamlKeys maps the yaml keys of a struct type to its field indexes, with the keys in field order.
func yamlKeys(t reflect.Type) (map[string][]int, []string) {
	keys := map[string][]int{}
	var order []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		keys[name] = f.Index
		order = append(order, name)
	}
	return keys, order
}

// keyName is the last key of a path, for messages: "workflow.actions[2].by" → "by".
func keyName(path string) string {
	if path == "" {
		return "the file"
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// describeNode says what kind of YAML value an administrator wrote, for type-mismatch messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}
