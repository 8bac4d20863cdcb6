// Package forms describes application forms as data and validates what applicants submit: typed
// fields including Chinese identifiers (resident ID, unified social credit code, division code,
// mobile number), money in fen, repeating groups and material slots. Every error is reported at once
// with its path (members[12].id_number) in Chinese and English. Forms are loaded from the catalog.
package forms

import (
	"github.com/civicflow/civicflow/lang"
)

// The field types a form can use.
const (
	TypeText        = "text"
	TypeTextarea    = "textarea"
	TypeInteger     = "integer"
	TypeMoney       = "money"  // entered in yuan, stored as integer fen
	TypeDate        = "date"   // YYYY-MM-DD
	TypeSelect      = "select" // one of Options
	TypeMultiSelect = "multiselect"
	TypeCheckbox    = "checkbox" // true or false
	TypePhone       = "phone"    // mainland mobile number
	TypeEmail       = "email"
	TypeIDCard      = "id_card"  // GB 11643 resident identity number
	TypeUSCC        = "uscc"     // GB 32100 unified social credit code
	TypeDivision    = "division" // GB/T 2260 code of a known jurisdiction
	TypeFile        = "file"     // a material slot: uploads of the item's material named by Material
	TypeGroup       = "group"    // named sub-fields
	TypeRepeat      = "repeat"   // a list of groups of sub-fields, MinItems to MaxItems long
)

// Types lists every field type, for the linter and the documentation.
var Types = []string{TypeText, TypeTextarea, TypeInteger, TypeMoney, TypeDate, TypeSelect, TypeMultiSelect,
	TypeCheckbox, TypePhone, TypeEmail, TypeIDCard, TypeUSCC, TypeDivision, TypeFile, TypeGroup, TypeRepeat}

// Form is an application form: a title and its fields. Forms live in their own files so that
// several service items can share one by its ID.
type Form struct {
	ID     string    `yaml:"id" json:"id"`
	Title  lang.Text `yaml:"title" json:"title"`
	Fields []Field   `yaml:"fields" json:"fields"`
	// Source and Line locate the form's definition, for linter messages.
	Source string `yaml:"-" json:"-"`
	Line   int    `yaml:"-" json:"-"`
}

// Field is one input of a form.
type Field struct {
	Name     string    `yaml:"name" json:"name"` // key in the submitted data; [a-z][a-z0-9_]*
	Label    lang.Text `yaml:"label" json:"label"`
	Help     lang.Text `yaml:"help,omitempty" json:"help,omitempty"`
	Type     string    `yaml:"type" json:"type"`
	Required bool      `yaml:"required,omitempty" json:"required,omitempty"`
	// Bounds: characters for text, the value for integer and money (in yuan), items for repeat,
	// multiselect and file.
	MinLength *int     `yaml:"min_length,omitempty" json:"min_length,omitempty"`
	MaxLength *int     `yaml:"max_length,omitempty" json:"max_length,omitempty"`
	Min       *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max       *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	MinItems  *int     `yaml:"min_items,omitempty" json:"min_items,omitempty"`
	MaxItems  *int     `yaml:"max_items,omitempty" json:"max_items,omitempty"`
	// Options of select and multiselect.
	Options []Option `yaml:"options,omitempty" json:"options,omitempty"`
	// Material is the item's material a file field uploads to.
	Material string `yaml:"material,omitempty" json:"material,omitempty"`
	// Fields of a group or of each item of a repeat.
	Fields []Field `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Rules are further checks across fields, as expressions with a message (see Rule).
	Rules []Rule `yaml:"rules,omitempty" json:"rules,omitempty"`
	Line  int    `yaml:"-" json:"-"`
}

// Option is one choice of a select field.
type Option struct {
	Value string    `yaml:"value" json:"value"`
	Label lang.Text `yaml:"label" json:"label"`
}

// Rule is a condition over the submitted data (an expr-lang expression that must be true), with the
// message shown on the field when it is false. Example: the activity funds of a national body must
// be at least 100,000 yuan: `level != "national" || funds >= 10000000` (money is in fen). The
// variables are the normalised values of the fields at the rule's own level: the form's fields for
// a top-level field, the group's or the repeat item's fields for a field inside one. A rule runs only
// when its field has no error, and is skipped when it cannot be evaluated (nil >= 10000000).
type Rule struct {
	When    string    `yaml:"when" json:"when"`
	Message lang.Text `yaml:"message" json:"message"`
	Line    int       `yaml:"-" json:"-"`
}
