package forms

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civicflow/civicflow/problem"
)

// CheckText records an error on path when s is missing though required, too long, or holds control
// characters other than line breaks and tabs (which a body may have) or invisible format characters
// (InvisibleFormat: bidi controls anywhere, any format character in a single line).
func CheckText(fe *problem.Fields, path, s string, required bool, max int, multiline bool) {
	bad := func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	}
	switch {
	case s == "" && required:
		fe.Add(path, "required", "必填。", "Required.")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, bad) || InvisibleFormat(s, multiline):
		fe.Add(path, "invalid", "含有不允许的字符（控制字符或不可见的格式字符，如文字方向控制符）。",
			"Contains characters that are not allowed (control characters or invisible formatting such as text direction controls).")
	case utf8.RuneCountInString(s) > max:
		fe.Add(path, "too_long", fmt.Sprintf("最多%d个字符。", max), fmt.Sprintf("At most %d characters.", max))
	}
}
