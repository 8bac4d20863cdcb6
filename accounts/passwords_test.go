package accounts

import (
	"strings"
	"testing"

	"github.com/civicflow/civicflow/problem"
)

func TestCheckNewPassword(t *testing.T) {
	if n := len(commonPasswords()); n < 5000 {
		t.Fatalf("the common-password list has %d entries", n)
	}
	for pw, want := range map[string]string{
		"short":             "too_short",
		"Password1234":      "common", // case does not matter
		"1qaz2wsx3edc":      "common",
		"13800138000":       "same_as_account",
		"the sea at dalian": "",
		"冬天的沈阳有很多很多雪":       "",
		strings.Repeat("长", MaxPasswordLength+1): "too_long",
	} {
		var fe problem.Fields
		checkNewPassword(&fe, "password", pw, "li.ming", "13800138000")
		got := ""
		if len(fe) > 0 {
			got = fe[0].Code
		}
		if got != want {
			t.Errorf("%q: %q, want %q", pw, got, want)
		}
	}
}
