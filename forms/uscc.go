package forms

import (
	"errors"
	"fmt"
	"strings"
)

// The ways a unified social credit code can be wrong. Errors from ValidateUSCC and USCCCheckChar
// wrap one of them.
var (
	ErrUSCCFormat = errors.New("unified social credit code must be 18 characters from 0-9 and A-Y without I, O, S, V, Z")
	ErrUSCCCheck  = errors.New("unified social credit code has a wrong check character")
	// ErrOrgCodeFormat is returned by OrgCodeCheckChar for a body that is not 8 digits or capitals.
	ErrOrgCodeFormat = errors.New("organisation code body must be 8 digits or capital letters")
)

// usccChars are the characters of a unified social credit code, in the order of their values 0–30
// (GB 32100-2015 leaves out I, O, S, V and Z so that they cannot be mistaken for digits).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the weights of the first 17 characters (3^(i) mod 31).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are the GB 11714 weights of the 8 characters of an organisation code body.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// USCCCheckChar computes the 18th character of a unified social credit code from the first 17, so
// that the register can issue codes.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("USCC check character: %d characters instead of 17: %w", len([]rune(first17)), ErrUSCCFormat)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, first17[i])
		if v < 0 {
			return 0, fmt.Errorf("USCC check character: character %d is not allowed: %w", i+1, ErrUSCCFormat)
		}
		sum += v * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31], nil
}

// ValidateUSCC checks a unified social credit code (GB 32100-2015). Only the characters and the 18th
// check character are strict; a failing organisation-code check character (positions 9–17, GB 11714)
// is returned as a warning, because some real codes issued before the standard fail it. Letters must
// be capitals.
func ValidateUSCC(s string) (warning string, err error) {
	if len(s) != 18 {
		return "", fmt.Errorf("validate USCC: %d characters instead of 18: %w", len([]rune(s)), ErrUSCCFormat)
	}
	want, err := USCCCheckChar(s[:17])
	if err != nil {
		return "", fmt.Errorf("validate USCC: %w", err)
	}
	if strings.IndexByte(usccChars, s[17]) < 0 {
		return "", fmt.Errorf("validate USCC: character 18 is not allowed: %w", ErrUSCCFormat)
	}
	if s[17] != want {
		return "", fmt.Errorf("validate USCC: %w", ErrUSCCCheck)
	}
	// Every USCC character is a digit or a capital, so the body is always well formed.
	if org, err := OrgCodeCheckChar(s[8:16]); err == nil && org != s[16] {
		return fmt.Sprintf("the organisation code %s-%c fails its GB 11714 check (expected check character %c)", s[8:16], s[16], org), nil
	}
	return "", nil
}

// OrgCodeCheckChar computes the 9th character of an organisation code (GB 11714) from its body of
// 8 digits or capital letters, which is positions 9–17 of a unified social credit code.
func OrgCodeCheckChar(first8 string) (byte, error) {
	if len(first8) != 8 {
		return 0, fmt.Errorf("organisation code check character: %d characters instead of 8: %w", len([]rune(first8)), ErrOrgCodeFormat)
	}
	sum := 0
	for i := 0; i < 8; i++ {
		c := first8[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0, fmt.Errorf("organisation code check character: character %d is not allowed: %w", i+1, ErrOrgCodeFormat)
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}
