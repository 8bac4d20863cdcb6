package forms

import "maps"

// JSON Schema patterns of the identifier types, matching what Validate accepts after trimming.
const (
	phoneSchemaPattern    = `^1[3-9][0-9]{9}$`
	idCardSchemaPattern   = `^[0-9]{17}[0-9Xx]$`
	usccSchemaPattern     = `^[0-9A-HJ-NPQRTUWXY]{18}$`
	divisionSchemaPattern = `^[0-9]{6}$`
	dateSchemaPattern     = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	moneySchemaPattern    = `^[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]{1,2})?$`
)

// JSONSchema describes a form's input as a JSON Schema (draft 2020-12) for API clients: what to send,
// not everything Validate checks (check characters, real dates, known divisions and rules are left
// to it). Titles and descriptions are the Chinese labels and help, with the English in x-label-en
// and x-help-en. Unknown properties are allowed, as Validate ignores them.
func JSONSchema(f *Form) map[string]any {
	if f == nil {
		return map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
	}
	s := objectSchema(f.Fields)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	if f.ID != "" {
		s["$id"] = "urn:civicflow:form:" + f.ID
	}
	if f.Title.ZH != "" {
		s["title"] = f.Title.ZH
	}
	if f.Title.EN != "" {
		s["x-label-en"] = f.Title.EN
	}
	return s
}

// objectSchema describes one level of fields.
func objectSchema(fields []Field) map[string]any {
	props := make(map[string]any, len(fields))
	required := []string{}
	for i := range fields {
		fd := &fields[i]
		props[fd.Name] = fieldSchema(fd)
		if fd.Required {
			required = append(required, fd.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// stringSchemas are the schemas of the fields that are strings of a fixed form, beside "type".
var stringSchemas = map[string]map[string]any{
	TypeDate:     {"format": "date", "pattern": dateSchemaPattern},
	TypePhone:    {"pattern": phoneSchemaPattern},
	TypeEmail:    {"format": "email", "maxLength": 254},
	TypeIDCard:   {"pattern": idCardSchemaPattern},
	TypeUSCC:     {"pattern": usccSchemaPattern},
	TypeDivision: {"pattern": divisionSchemaPattern},
}

// fieldSchema describes one field.
func fieldSchema(fd *Field) map[string]any {
	s := map[string]any{}
	if fixed, ok := stringSchemas[fd.Type]; ok {
		s["type"] = "string"
		maps.Copy(s, fixed)
	}
	switch fd.Type {
	case TypeText, TypeTextarea:
		s["type"] = "string"
		lengths(s, fd)
	case TypeInteger:
		s["type"] = "integer"
		bounds(s, fd.Min, fd.Max)
	case TypeMoney:
		moneySchema(s, fd)
	case TypeSelect, TypeMultiSelect:
		choiceSchema(s, fd)
	case TypeCheckbox:
		s["type"] = "boolean"
		if fd.Required {
			s["const"] = true
		}
	case TypeFile:
		s["type"] = "array"
		s["items"] = map[string]any{"type": "integer", "minimum": 1}
		s["uniqueItems"] = true
		if fd.Material != "" {
			s["x-material"] = fd.Material
		}
		items(s, fd)
	case TypeGroup:
		maps.Copy(s, objectSchema(fd.Fields))
	case TypeRepeat:
		s["type"] = "array"
		s["items"] = objectSchema(fd.Fields)
		items(s, fd)
	}
	describe(s, fd)
	return s
}

// moneySchema describes an amount in yuan, as a number or a string, not negative unless Min allows.
func moneySchema(s map[string]any, fd *Field) {
	s["type"] = []string{"number", "string"}
	s["pattern"] = moneySchemaPattern // applies to strings only
	s["x-unit"] = "yuan"
	s["$comment"] = "An amount in yuan with at most two decimals, as a number or a string such as \"30,000.50\"; stored in fen."
	lo := fd.Min
	if lo == nil {
		zero := 0.0 // negative amounts need an explicit Min
		lo = &zero
	}
	bounds(s, lo, fd.Max)
}

// choiceSchema describes a select (one option's value) or a multiselect (a list of them).
func choiceSchema(s map[string]any, fd *Field) {
	s["x-options"] = optionLabels(fd)
	if fd.Type == TypeSelect {
		s["type"] = "string"
		s["enum"] = optionValues(fd)
		return
	}
	s["type"] = "array"
	s["items"] = map[string]any{"type": "string", "enum": optionValues(fd)}
	s["uniqueItems"] = true
	items(s, fd)
}

// describe adds the field's label and help, in Chinese and English.
func describe(s map[string]any, fd *Field) {
	for key, text := range map[string]string{"title": fd.Label.ZH, "x-label-en": fd.Label.EN, "description": fd.Help.ZH, "x-help-en": fd.Help.EN} {
		if text != "" {
			s[key] = text
		}
	}
}

// lengths adds a text's length bounds; a required text must not be empty.
func lengths(s map[string]any, fd *Field) {
	if n := atLeastOne(fd.MinLength, fd.Required); n > 0 {
		s["minLength"] = n
	}
	if fd.MaxLength != nil {
		s["maxLength"] = *fd.MaxLength
	}
}

// bounds adds numeric bounds.
func bounds(s map[string]any, lo, hi *float64) {
	if lo != nil {
		s["minimum"] = *lo
	}
	if hi != nil {
		s["maximum"] = *hi
	}
}

// items adds a list's length bounds; a required list must not be empty.
func items(s map[string]any, fd *Field) {
	if n := atLeastOne(fd.MinItems, fd.Required); n > 0 {
		s["minItems"] = n
	}
	if fd.MaxItems != nil {
		s["maxItems"] = *fd.MaxItems
	}
}

// atLeastOne is a lower bound of the definition, raised to 1 for a required field.
func atLeastOne(bound *int, required bool) int {
	n := 0
	if bound != nil {
		n = *bound
	}
	if required && n < 1 {
		n = 1
	}
	return n
}

// optionValues lists the values of a field's options.
func optionValues(fd *Field) []any {
	out := make([]any, len(fd.Options))
	for i, o := range fd.Options {
		out[i] = o.Value
	}
	return out
}

// optionLabels lists the options with their labels, for clients that build their own forms.
func optionLabels(fd *Field) []any {
	out := make([]any, len(fd.Options))
	for i, o := range fd.Options {
		out[i] = map[string]any{"const": o.Value, "title": o.Label.ZH, "x-label-en": o.Label.EN}
	}
	return out
}
