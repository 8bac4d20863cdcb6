package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/civicflow/civicflow/forms"
)

// Names that definitions use in expressions (data.<form>.<field>, fields.<name>) must be identifiers;
// item codes appear in URLs.
var (
	identifier = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	itemCode   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// Kinds lists the action kinds, for the linter and the documentation.
var Kinds = []string{KindDecide, KindSubmit, KindSupplement, KindResubmit, KindRefuse, KindWithdraw, KindExtend}

// Outcomes are the ways a final state ends a case.
var Outcomes = []string{"approved", "refused", "withdrawn"}

// MaterialTypes are the upload types a material may allow.
var MaterialTypes = []string{"pdf", "jpeg", "png"}

// effectNames holds the names a run effect may use; the packages that implement effects register
// theirs, so that the linter rejects a name nothing would run.
var effectNames = struct {
	sync.RWMutex
	set map[string]bool
}{set: map[string]bool{
	// Effects of packages that import this one, and so cannot register from their own init.
	"register.create_organisation": true, "notices.publish_establishment": true, "notices.publish_licence_decision": true,
	"credit.remove_abnormal":     true,
	"register.record_evaluation": true, "notices.publish_evaluation_publicity": true, "notices.publish_evaluation_result": true,
	"register.deregister": true, "register.record_filing": true, "register.record_term": true,
	"documents.revoke_certificates": true, "notices.publish_deregistration": true,
	"annualreport.file": true, "annualreport.record_result": true, "annualreport.rectified": true,
	"register.apply_change": true, "notices.publish_change": true,
	"disclosure.received": true, "disclosure.closed": true, "disclosure.fee": true,
}}

// RegisterEffectName declares that an effect called name is implemented, so that definitions may
// `run:` it. Packages that implement effects call it from init.
func RegisterEffectName(name string) {
	effectNames.Lock()
	defer effectNames.Unlock()
	effectNames.set[name] = true
}

// EffectNames lists the names a run effect may use, sorted.
func EffectNames() []string {
	effectNames.RLock()
	defer effectNames.RUnlock()
	out := make([]string, 0, len(effectNames.set))
	for n := range effectNames.set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func knownEffect(name string) bool {
	effectNames.RLock()
	defer effectNames.RUnlock()
	return effectNames.set[name]
}

// lintCtx collects the problems of one file; names are those an item may use (nil for a form).
type lintCtx struct {
	file  string
	lines map[string]int
	diags []Diagnostic
	names *Names
}

// staffRole reports whether r is a role staff hold in a jurisdiction.
func (l *lintCtx) staffRole(r string) bool { return slices.Contains(l.names.StaffRoles, r) }

func (l *lintCtx) at(line int, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{File: l.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// line returns the line of path, or of the nearest enclosing value that has one.
func (l *lintCtx) line(path string) int {
	for {
		if n, ok := l.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 1
		}
		path = path[:i]
	}
}

// lintForm checks one form on its own: keys, names, types, options and rules.
func lintForm(fd *formDef) []Diagnostic {
	l := &lintCtx{file: fd.file, lines: fd.lines, diags: append([]Diagnostic(nil), fd.diags...)}
	if fd.fatal {
		return l.diags
	}
	f := fd.form
	switch {
	case f.ID == "":
		l.at(l.line("id"), "missing id (the form's ID, used by items in form:)")
	case !identifier.MatchString(f.ID):
		l.at(l.line("id"), "form id %q must be lower case letters, digits and _, starting with a letter", f.ID)
	}
	if f.Title.ZH == "" {
		l.at(l.line("title"), "missing title.zh")
	}
	if len(f.Fields) == 0 {
		l.at(l.line("fields"), "the form has no fields")
	}
	l.fields(f.Fields, "fields")
	return l.diags
}

// fields checks one level of fields (names are unique within a level) and the levels below it.
func (l *lintCtx) fields(fs []forms.Field, path string) {
	seen := map[string]int{}
	for i := range fs {
		fd := &fs[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case fd.Name == "":
			l.at(fd.Line, "field without a name")
		case !identifier.MatchString(fd.Name):
			l.at(fd.Line, "field name %q must be lower case letters, digits and _, starting with a letter", fd.Name)
		}
		if first, dup := seen[fd.Name]; dup && fd.Name != "" {
			l.at(fd.Line, "duplicate field %q (first on line %d)", fd.Name, first)
		} else {
			seen[fd.Name] = fd.Line
		}
		if fd.Label.ZH == "" {
			l.at(fd.Line, "field %s: missing label.zh", fd.Name)
		}
		l.fieldType(fd, p)
		l.options(fd, p)
		if fd.MinItems != nil && fd.MaxItems != nil && *fd.MinItems > *fd.MaxItems {
			l.at(l.line(p+".min_items"), "field %s: min_items is more than max_items", fd.Name)
		}
		if fd.Min != nil && fd.Max != nil && *fd.Min > *fd.Max {
			l.at(l.line(p+".min"), "field %s: min is more than max", fd.Name)
		}
		l.rules(fd, p)
		l.fields(fd.Fields, p+".fields")
	}
}

// fieldType checks a field's type and the keys that belong to some types only: options for selects,
// sub-fields for groups and repeats, a material for file fields.
func (l *lintCtx) fieldType(fd *forms.Field, p string) {
	if !slices.Contains(forms.Types, fd.Type) {
		l.at(l.line(p+".type"), "field %s: unknown type %q; the types are: %s", fd.Name, fd.Type, strings.Join(forms.Types, ", "))
	}
	switch fd.Type {
	case forms.TypeSelect, forms.TypeMultiSelect:
		if len(fd.Options) == 0 {
			l.at(fd.Line, "field %s: a %s needs options", fd.Name, fd.Type)
		}
	case forms.TypeGroup, forms.TypeRepeat:
		if len(fd.Fields) == 0 {
			l.at(fd.Line, "field %s: a %s needs fields", fd.Name, fd.Type)
		}
	case forms.TypeFile:
		if fd.Material == "" {
			l.at(fd.Line, "field %s: a file field needs material: (the item's material it uploads to)", fd.Name)
		}
	}
	if len(fd.Options) > 0 && fd.Type != forms.TypeSelect && fd.Type != forms.TypeMultiSelect {
		l.at(l.line(p+".options"), "field %s: options are for select and multiselect fields", fd.Name)
	}
	if len(fd.Fields) > 0 && fd.Type != forms.TypeGroup && fd.Type != forms.TypeRepeat {
		l.at(l.line(p+".fields"), "field %s: sub-fields are for group and repeat fields", fd.Name)
	}
	if fd.Material != "" && fd.Type != forms.TypeFile {
		l.at(l.line(p+".material"), "field %s: material is for file fields", fd.Name)
	}
}

// options checks a field's options: each with a value, given once, and a label.
func (l *lintCtx) options(fd *forms.Field, p string) {
	values := map[string]int{}
	for j, o := range fd.Options {
		op := fmt.Sprintf("%s.options[%d]", p, j)
		if o.Value == "" {
			l.at(l.line(op), "field %s: option without a value", fd.Name)
		}
		if first, dup := values[o.Value]; dup {
			l.at(l.line(op), "field %s: duplicate option %q (first on line %d)", fd.Name, o.Value, first)
		} else {
			values[o.Value] = l.line(op)
		}
		if o.Label.ZH == "" {
			l.at(l.line(op), "field %s: option %s: missing label.zh", fd.Name, o.Value)
		}
	}
}

// rules checks a field's rules: a condition that compiles and a message.
func (l *lintCtx) rules(fd *forms.Field, p string) {
	for j, r := range fd.Rules {
		switch {
		case strings.TrimSpace(r.When) == "":
			l.at(r.Line, "field %s: rule without when:", fd.Name)
		default:
			if err := forms.CompileRule(r.When); err != nil {
				if inner := errors.Unwrap(err); inner != nil {
					err = inner
				}
				l.at(l.line(fmt.Sprintf("%s.rules[%d].when", p, j)), "field %s: rule does not compile: %s", fd.Name, firstLine(err))
			}
		}
		if r.Message.ZH == "" {
			l.at(r.Line, "field %s: rule without message.zh", fd.Name)
		}
	}
}

// fileFields calls fn for every file field of fs and of the levels below, with its path.
func fileFields(fs []forms.Field, path string, fn func(f *forms.Field, path string)) {
	for i := range fs {
		p := path + "." + fs[i].Name
		if path == "" {
			p = fs[i].Name
		}
		if fs[i].Type == forms.TypeFile {
			fn(&fs[i], p)
		}
		fileFields(fs[i].Fields, p, fn)
	}
}

// firstLine keeps the first line of an expr-lang error (the rest draws the source with a caret).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
