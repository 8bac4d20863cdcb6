package forms

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/civicflow/civicflow/problem"
)

// Options are what Validate needs from outside the form.
type Options struct {
	// Division reports whether a division code names a known jurisdiction; nil accepts any
	// well-formed code.
	Division func(code string) bool
	// Now is today, for rejecting ID numbers born in the future; zero means time.Now().
	Now time.Time
}

// Validate checks submitted data against a form and returns the normalised values of the known
// fields (unknown keys are dropped), the warnings that do not block submission (a unified social
// credit code failing its organisation-code check), and a problem.Invalid listing every field error
// at once by path: "name", "leader.id_number", "members[12].id_number".
//
// Normalised values: text, textarea, date, select, phone, email, id_card (upper case), uscc (upper
// case) and division are string; integer and money (fen) are int64; checkbox is bool (false when
// absent); multiselect is []string; file is []int64 (material IDs); group is map[string]any; repeat is
// []map[string]any. Optional fields left empty are absent.
//
// Error codes: required, type, invalid_text, too_short, too_long, not_integer, too_small, too_large,
// invalid_money, money_precision, negative, invalid_date, not_an_option, duplicate, too_few, too_many,
// duplicate_row (an ID number or credit code that another row of the list has), invalid_phone,
// invalid_email, id_card_format, id_card_check, id_card_birth_date, uscc_format, uscc_check,
// division_format, division_unknown, invalid_file, rule. Warning code: uscc_org_code.
// At most 100 errors are listed, then one entry with path "" and code more_errors counts the rest; a
// list longer than its max_items is refused (too_many) without looking at its items.
//
// A non-problem error means the form definition itself is broken (an unknown type, a rule that does
// not compile); the linter catches both before a form is published.
func Validate(f *Form, in map[string]any, opts Options) (map[string]any, []problem.Field, error) {
	if f == nil {
		return nil, nil, errors.New("forms: validate: no form")
	}
	if err := checkDefinition(f.Fields, ""); err != nil {
		return nil, nil, fmt.Errorf("forms: validate against form %q: %w", f.ID, err)
	}
	v := &validator{opts: opts, now: opts.Now}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	out := v.level(f.Fields, in, "")
	if more := v.errCount - len(v.errs); more > 0 {
		v.errs.Add("", "more_errors", fmt.Sprintf("另有 %d 处错误未列出，请先修改以上各项。", more),
			fmt.Sprintf("And %d more errors not listed; correct the ones above first.", more))
	}
	if err := v.errs.Err(); err != nil {
		return nil, v.warnings, err
	}
	return out, v.warnings, nil
}

// checkDefinition finds the faults of a form definition that no input could be blamed for: unknown
// types and rules that do not compile. Checking up front makes them fail every submission alike,
// not only those that reach the broken field.
func checkDefinition(fields []Field, prefix string) error {
	for i := range fields {
		fd := &fields[i]
		if !slices.Contains(Types, fd.Type) {
			return fmt.Errorf("field %s%s has unknown type %q", prefix, fd.Name, fd.Type)
		}
		for _, r := range fd.Rules {
			if _, err := compileRule(r.When); err != nil {
				return fmt.Errorf("field %s%s: %w", prefix, fd.Name, err)
			}
		}
		if err := checkDefinition(fd.Fields, prefix+fd.Name+"."); err != nil {
			return err
		}
	}
	return nil
}

// maxFieldErrors is how many field errors Validate lists; the rest are counted in one last entry
// ("and N more", path "", code more_errors), so that a hostile input cannot make a huge answer.
const maxFieldErrors = 100

// validator carries the errors and warnings of one Validate call through the recursion.
type validator struct {
	opts     Options
	now      time.Time
	errs     problem.Fields // the first maxFieldErrors errors
	errCount int            // all errors found
	warnings problem.Fields
}

// level validates the fields of one level (the form, a group, one item of a repeat) and then the
// rules of those fields that had no error, which see this level's values as variables.
func (v *validator) level(fields []Field, in map[string]any, prefix string) map[string]any {
	out := make(map[string]any, len(fields))
	clean := make([]bool, len(fields))
	for i := range fields {
		fd := &fields[i]
		before := v.errCount
		if val, ok := v.field(fd, in[fd.Name], prefix+fd.Name); ok {
			out[fd.Name] = val
		}
		clean[i] = v.errCount == before
	}
	for i := range fields {
		if clean[i] {
			v.rules(&fields[i], out, prefix+fields[i].Name)
		}
	}
	return out
}

// add records an error on path.
func (v *validator) add(path, code, zh, en string) {
	v.errCount++
	if len(v.errs) < maxFieldErrors {
		v.errs.Add(path, code, zh, en)
	}
}

// field validates one value, reporting whether the field has a value to keep.
func (v *validator) field(fd *Field, raw any, path string) (any, bool) {
	if isEmpty(raw) {
		return v.empty(fd, path)
	}
	switch fd.Type {
	case TypeText, TypeTextarea:
		return v.text(fd, raw, path)
	case TypeInteger:
		return v.integer(fd, raw, path)
	case TypeMoney:
		return v.money(fd, raw, path)
	case TypeDate:
		return v.date(raw, path)
	case TypeSelect:
		return v.choice(fd, raw, path)
	case TypeMultiSelect:
		return v.choices(fd, raw, path)
	case TypeCheckbox:
		return v.checkbox(fd, raw, path)
	case TypeFile:
		return v.files(fd, raw, path)
	case TypeGroup:
		return v.group(fd, raw, path)
	case TypeRepeat:
		return v.repeat(fd, raw, path)
	}
	return v.identifier(fd, raw, path)
}

// empty reports a required field left empty; an unticked checkbox is kept as false, as an HTML form
// posts nothing for it.
func (v *validator) empty(fd *Field, path string) (any, bool) {
	switch {
	case fd.Type == TypeCheckbox && fd.Required:
		v.add(path, "required", "请勾选此项。", "This box must be ticked.")
	case fd.Required:
		v.add(path, "required", "此项为必填项。", "This field is required.")
	}
	if fd.Type == TypeCheckbox {
		return false, true
	}
	return nil, false
}

// identifier checks a phone number, an email address, a resident ID number, a unified social credit
// code or a division code: the types left once field has taken the others (checkDefinition has ruled
// out any type not in Types).
func (v *validator) identifier(fd *Field, raw any, path string) (any, bool) {
	switch fd.Type {
	case TypePhone:
		return v.pattern(raw, path, phonePattern, "invalid_phone", "请填写 11 位手机号码。", "Enter an 11-digit mainland mobile number.")
	case TypeEmail:
		return v.email(raw, path)
	case TypeIDCard:
		return v.idCard(raw, path)
	case TypeUSCC:
		return v.uscc(raw, path)
	}
	return v.division(raw, path)
}

// group checks a group: an object whose fields are checked in turn.
func (v *validator) group(fd *Field, raw any, path string) (any, bool) {
	obj, ok := asObject(raw)
	if !ok {
		v.wrongType(path, "一组内容", "an object")
		return nil, false
	}
	return v.level(fd.Fields, obj, path+"."), true
}

// wrongType records a value of the wrong JSON type.
func (v *validator) wrongType(path, zh, en string) {
	v.add(path, "type", "格式不正确，应为"+zh+"。", "Wrong type of value: expected "+en+".")
}

// text checks a text or textarea: trimmed, valid UTF-8 without NUL, within the length in characters.
func (v *validator) text(fd *Field, raw any, path string) (any, bool) {
	s, ok := asString(raw)
	if !ok {
		v.wrongType(path, "文字", "text")
		return nil, false
	}
	s = strings.TrimSpace(s)
	if fd.Type == TypeTextarea {
		s = strings.ReplaceAll(s, "\r\n", "\n") // browsers post CRLF but count a line break as one
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		v.add(path, "invalid_text", "含有无法识别的字符。", "Contains characters that cannot be read.")
		return nil, false
	}
	if InvisibleFormat(s, fd.Type == TypeTextarea) {
		v.add(path, "invalid_text", "含有不可见的格式控制字符（如文字方向控制符），请删除后重新填写。",
			"Contains invisible formatting characters (such as text direction controls); remove them.")
		return nil, false
	}
	if fd.Type == TypeText && !OneLine(s) {
		v.add(path, "invalid_text", "此项只能填写一行，不能换行。", "This field takes one line: no line breaks.")
		return nil, false
	}
	n := utf8.RuneCountInString(s)
	if fd.MinLength != nil && n < *fd.MinLength {
		v.add(path, "too_short", fmt.Sprintf("至少填写 %d 个字。", *fd.MinLength), fmt.Sprintf("Enter at least %d characters.", *fd.MinLength))
		return nil, false
	}
	if fd.MaxLength != nil && n > *fd.MaxLength {
		v.add(path, "too_long", fmt.Sprintf("最多填写 %d 个字。", *fd.MaxLength), fmt.Sprintf("Enter at most %d characters.", *fd.MaxLength))
		return nil, false
	}
	return s, true
}

// InvisibleFormat reports whether s holds a character that changes how text is shown without being
// seen itself: a Unicode bidi control (U+202E RIGHT-TO-LEFT OVERRIDE and its kin, which make a name
// or a title read other than it is stored and searched) and, in a single line, any other format
// character (zero-width spaces and joiners, U+FEFF). A multi-line text may keep the format characters
// that are not bidi controls, which have honest uses (the zero-width joiner of an emoji sequence, a
// soft hyphen). Chinese text needs none of them. Every check of typed text shares this one.
func InvisibleFormat(s string, multiline bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.Is(unicode.Bidi_Control, r) || !multiline && unicode.Is(unicode.Cf, r)
	})
}

// OneLine reports whether s holds no line break: single-line text (a text field, a name) must not,
// for it is shown, listed and exported as one line.
func OneLine(s string) bool { return !strings.ContainsAny(s, "\r\n") }

// integer checks a whole number given as a JSON number or a numeric string, within Min and Max.
func (v *validator) integer(fd *Field, raw any, path string) (any, bool) {
	n, ok := asInt(raw)
	if !ok {
		v.add(path, "not_integer", "请填写整数。", "Enter a whole number.")
		return nil, false
	}
	if fd.Min != nil && float64(n) < *fd.Min {
		v.add(path, "too_small", "不能小于 "+formatBound(*fd.Min)+"。", "Must be at least "+formatBound(*fd.Min)+".")
		return nil, false
	}
	if fd.Max != nil && float64(n) > *fd.Max {
		v.add(path, "too_large", "不能大于 "+formatBound(*fd.Max)+"。", "Must be at most "+formatBound(*fd.Max)+".")
		return nil, false
	}
	return n, true
}

// money checks an amount in yuan (a number, or a string such as "30,000.50") and returns it in fen.
// Negative amounts need a Min that allows them; Min and Max are in yuan.
func (v *validator) money(fd *Field, raw any, path string) (any, bool) {
	fen, code := parseYuan(raw)
	switch code {
	case "":
	case "money_precision":
		v.add(path, code, "金额最多保留两位小数。", "Use at most two decimal places.")
		return nil, false
	case "too_large":
		v.add(path, code, "金额过大。", "The amount is too large.")
		return nil, false
	default:
		v.add(path, "invalid_money", "请填写金额（元），如 30000 或 30,000.50。", "Enter an amount in yuan, such as 30000 or 30,000.50.")
		return nil, false
	}
	if fd.Min == nil && fen < 0 {
		v.add(path, "negative", "金额不能为负数。", "The amount cannot be negative.")
		return nil, false
	}
	if fd.Min != nil && fen < boundFen(*fd.Min) {
		v.add(path, "too_small", "金额不能少于 "+formatBound(*fd.Min)+" 元。", "The amount must be at least "+formatBound(*fd.Min)+" yuan.")
		return nil, false
	}
	if fd.Max != nil && fen > boundFen(*fd.Max) {
		v.add(path, "too_large", "金额不能多于 "+formatBound(*fd.Max)+" 元。", "The amount must be at most "+formatBound(*fd.Max)+" yuan.")
		return nil, false
	}
	return fen, true
}

// datePattern is the only date format accepted: ISO 8601, what <input type="date"> posts.
var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// date checks a real calendar date written YYYY-MM-DD.
func (v *validator) date(raw any, path string) (any, bool) {
	s, ok := asString(raw)
	s = strings.TrimSpace(s)
	if ok && datePattern.MatchString(s) {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return s, true
		}
	}
	v.add(path, "invalid_date", "请填写真实的日期，格式为 YYYY-MM-DD。", "Enter a real date as YYYY-MM-DD.")
	return nil, false
}

// choice checks that a select's value is one of its options.
func (v *validator) choice(fd *Field, raw any, path string) (any, bool) {
	s, ok := asString(raw)
	if ok && hasOption(fd, strings.TrimSpace(s)) {
		return strings.TrimSpace(s), true
	}
	v.add(path, "not_an_option", "请从列表中选择。", "Choose one of the listed options.")
	return nil, false
}

// choices checks a multiselect: option values without repeats, MinItems to MaxItems of them. Empty
// strings are skipped, as a page may post one to mean "none".
func (v *validator) choices(fd *Field, raw any, path string) (any, bool) {
	list := asValues(raw)
	if v.tooMany(fd, nonBlank(list), path) {
		return nil, false
	}
	out, bad, dup := uniqueList(list, func(item any) (string, bool) {
		s, ok := asString(item)
		s = strings.TrimSpace(s)
		return s, ok && hasOption(fd, s)
	})
	if bad {
		v.add(path, "not_an_option", "请从列表中选择。", "Choose among the listed options.")
	}
	if dup {
		v.add(path, "duplicate", "同一选项只能选择一次。", "Each option can be chosen only once.")
	}
	if bad || dup {
		return nil, false
	}
	return v.count(fd, out, len(out), path)
}

// tooMany refuses a list of n items longer than MaxItems before any item is read, so that an
// over-long list costs no more than counting it.
func (v *validator) tooMany(fd *Field, n int, path string) bool {
	if fd.MaxItems == nil || n <= *fd.MaxItems {
		return false
	}
	v.count(fd, nil, n, path)
	return true
}

// count applies Required, MinItems and MaxItems to a list of n items.
func (v *validator) count(fd *Field, list any, n int, path string) (any, bool) {
	switch {
	case n == 0 && fd.Required:
		v.add(path, "required", "此项为必填项。", "This field is required.")
	case n == 0:
		return nil, false
	case fd.MinItems != nil && n < *fd.MinItems:
		v.add(path, "too_few", fmt.Sprintf("至少需要 %d 项，现有 %d 项。", *fd.MinItems, n), fmt.Sprintf("At least %d entries are needed; there are %d.", *fd.MinItems, n))
	case fd.MaxItems != nil && n > *fd.MaxItems:
		v.add(path, "too_many", fmt.Sprintf("最多 %d 项，现有 %d 项。", *fd.MaxItems, n), fmt.Sprintf("At most %d entries are allowed; there are %d.", *fd.MaxItems, n))
	default:
		return list, true
	}
	return nil, false
}

// checkbox reads a tick: a bool, or what HTML forms post ("on", "true", "1"). A required box must be
// ticked.
func (v *validator) checkbox(fd *Field, raw any, path string) (any, bool) {
	b, ok := asBool(raw)
	if !ok {
		v.wrongType(path, "是或否", "true or false")
		return nil, false
	}
	if fd.Required && !b {
		v.add(path, "required", "请勾选此项。", "This box must be ticked.")
		return nil, false
	}
	return b, true
}

// phonePattern is a mainland mobile number.
var phonePattern = regexp.MustCompile(`^1[3-9]\d{9}$`)

// pattern checks a trimmed string against a regular expression.
func (v *validator) pattern(raw any, path string, re *regexp.Regexp, code, zh, en string) (any, bool) {
	s, ok := asString(raw)
	s = strings.TrimSpace(s)
	if !ok || !re.MatchString(s) {
		v.add(path, code, zh, en)
		return nil, false
	}
	return s, true
}

// emailPattern is deliberately plain: a local part, @, a domain with a dot. Deliverability is
// checked by sending mail, not here.
var emailPattern = regexp.MustCompile(`^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$`)

// email checks an e-mail address of at most 254 characters.
func (v *validator) email(raw any, path string) (any, bool) {
	s, ok := asString(raw)
	s = strings.TrimSpace(s)
	if !ok || len(s) > 254 || !emailPattern.MatchString(s) {
		v.add(path, "invalid_email", "请填写有效的电子邮箱地址。", "Enter a valid e-mail address.")
		return nil, false
	}
	return s, true
}

// idCard checks a resident identity number, saying which part is wrong, and stores it in capitals.
func (v *validator) idCard(raw any, path string) (any, bool) {
	s, _ := asString(raw)
	s = strings.ToUpper(strings.TrimSpace(s))
	info, err := ParseIDCard(s)
	switch {
	case errors.Is(err, ErrIDCheck):
		v.add(path, "id_card_check", "身份证号码校验位不正确，请核对。", "The ID number's check character is wrong; please check the number.")
	case errors.Is(err, ErrIDBirthDate):
		v.add(path, "id_card_birth_date", "身份证号码中的出生日期不存在。", "The birth date in the ID number does not exist.")
	case err != nil:
		v.add(path, "id_card_format", "身份证号码应为 18 位:17 位数字加 1 位数字或 X。", "An ID number is 18 characters: 17 digits, then a digit or X.")
	case info.BirthDate.After(v.now):
		v.add(path, "id_card_birth_date", "身份证号码中的出生日期晚于今天。", "The birth date in the ID number is in the future.")
	default:
		return s, true
	}
	return nil, false
}

// uscc checks a unified social credit code strictly up to its check character and records a
// failing organisation-code check as a warning.
func (v *validator) uscc(raw any, path string) (any, bool) {
	s, _ := asString(raw)
	s = strings.ToUpper(strings.TrimSpace(s))
	warning, err := ValidateUSCC(s)
	switch {
	case errors.Is(err, ErrUSCCCheck):
		v.add(path, "uscc_check", "统一社会信用代码校验位不正确，请核对。", "The credit code's check character is wrong; please check the code.")
		return nil, false
	case err != nil:
		v.add(path, "uscc_format", "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。", "A unified social credit code is 18 digits or capital letters other than I, O, S, V and Z.")
		return nil, false
	}
	if warning != "" {
		v.warnings.Add(path, warnUSCCOrgCode, warnings[warnUSCCOrgCode].ZH, warnings[warnUSCCOrgCode].EN)
	}
	return s, true
}

// divisionPattern is a GB/T 2260 administrative division code.
var divisionPattern = regexp.MustCompile(`^\d{6}$`)

// division checks a six-digit division code that Options.Division knows.
func (v *validator) division(raw any, path string) (any, bool) {
	s, ok := asString(raw)
	s = strings.TrimSpace(s)
	if !ok || !divisionPattern.MatchString(s) {
		v.add(path, "division_format", "行政区划代码应为 6 位数字。", "A division code is 6 digits.")
		return nil, false
	}
	if v.opts.Division != nil && !v.opts.Division(s) {
		v.add(path, "division_unknown", "没有这个行政区划。", "There is no such administrative division.")
		return nil, false
	}
	return s, true
}

// files reads a material slot: the IDs of uploaded materials, without repeats. Whether they belong to
// the applicant is for the caller to check.
func (v *validator) files(fd *Field, raw any, path string) (any, bool) {
	list := asValues(raw)
	if v.tooMany(fd, nonBlank(list), path) {
		return nil, false
	}
	out, bad, dup := uniqueList(list, func(item any) (int64, bool) {
		id, ok := asInt(item)
		return id, ok && id > 0
	})
	if bad {
		v.add(path, "invalid_file", "上传的材料无法识别，请重新上传。", "An uploaded file is not recognised; please upload it again.")
	}
	if dup {
		v.add(path, "duplicate", "同一份材料只能提交一次。", "Each file can be submitted only once.")
	}
	if bad || dup {
		return nil, false
	}
	return v.count(fd, out, len(out), path)
}

// uniqueList reads the elements of a list with parse, skipping blank strings (a page may post one to
// mean "none"), and reports whether any element was unreadable or repeated.
func uniqueList[T comparable](list []any, parse func(any) (T, bool)) (out []T, bad, dup bool) {
	out = make([]T, 0, len(list))
	seen := map[T]bool{}
	for _, item := range list {
		if isBlank(item) {
			continue
		}
		x, ok := parse(item)
		switch {
		case !ok:
			bad = true
		case seen[x]:
			dup = true
		default:
			seen[x] = true
			out = append(out, x)
		}
	}
	return out, bad, dup
}

// isBlank reports whether a list element is a blank string, which lists skip.
func isBlank(item any) bool {
	s, ok := item.(string)
	return ok && strings.TrimSpace(s) == ""
}

// nonBlank counts the elements of a list that are not blank strings.
func nonBlank(list []any) int {
	n := 0
	for _, item := range list {
		if !isBlank(item) {
			n++
		}
	}
	return n
}

// repeat validates a list of objects, each item under its own path members[i]., that no two items
// share an ID number or credit code (Duplicates), and the number of items; a list longer than
// MaxItems is refused before its items are validated.
func (v *validator) repeat(fd *Field, raw any, path string) (any, bool) {
	list, ok := asList(raw)
	if !ok {
		v.wrongType(path, "列表", "a list")
		return nil, false
	}
	if v.tooMany(fd, len(list), path) {
		return nil, false
	}
	out := make([]map[string]any, 0, len(list))
	for i, item := range list {
		itemPath := path + "[" + strconv.Itoa(i) + "]"
		obj, ok := asObject(item)
		if !ok {
			v.wrongType(itemPath, "一组内容", "an object")
			continue
		}
		out = append(out, v.level(fd.Fields, obj, itemPath+"."))
	}
	if len(out) == len(list) { // rows numbered as posted
		v.duplicates(fd, out, path)
	}
	return v.count(fd, out, len(list), path)
}

// hasOption reports whether s is the value of one of the field's options.
func hasOption(fd *Field, s string) bool {
	for _, o := range fd.Options {
		if o.Value == s {
			return true
		}
	}
	return false
}

// formatBound writes a bound from the definition the way people write numbers.
func formatBound(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
