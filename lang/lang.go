// Package lang holds the one type for text the service shows in both of its languages, Chinese
// (zh-CN, the default) and English.
package lang

// Text is a text in Chinese and English.
type Text struct {
	ZH string `json:"zh" yaml:"zh"`
	EN string `json:"en" yaml:"en"`
}

// In returns the text for a locale: English for "en", Chinese otherwise, each falling back to the
// other when empty.
func (t Text) In(locale string) string {
	if locale == "en" && t.EN != "" || t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// IsZero reports whether both languages are empty.
func (t Text) IsZero() bool { return t.ZH == "" && t.EN == "" }
