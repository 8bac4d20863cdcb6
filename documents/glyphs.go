package documents

import (
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// missingMark stands for a character that no font of the document has: 〓 (GETA MARK), the
// typesetters' mark for a missing character, which the CJK font has.
const missingMark = '〓'

// inCJK reports whether c prints in the embedded CJK font. fpdf handles no character beyond the
// Basic Multilingual Plane in an embedded font (it panics), so only BMP characters count.
func inCJK(c rune) bool { return c >= 0 && c < 0x10000 && cjkFace().glyph[c] != 0 }

// inLatin reports whether c prints in the standard Helvetica, whose text fpdf writes in WinAnsi
// (cp1252): ASCII and the printable characters cp1252 adds (“ ” ‘ ’ – — … · é € © …).
func inLatin(c rune) bool {
	if c < 0x80 {
		return true // ASCII, including the control characters a text may carry, as before
	}
	if c < 0xA0 {
		return false
	}
	_, ok := charmap.Windows1252.EncodeRune(c)
	return ok
}

// latinBytes encodes a run of characters that inLatin accepts as Helvetica's text expects.
func latinBytes(run string) string {
	b := make([]byte, 0, len(run))
	for _, c := range run {
		e, _ := charmap.Windows1252.EncodeRune(c)
		if c < 0x80 {
			e = byte(c)
		}
		b = append(b, e)
	}
	return string(b)
}

// printable reports whether c prints in one of the document's fonts.
func printable(c rune) bool { return inLatin(c) || inCJK(c) }

// substitutes are the stand-ins for characters neither font has that read better than their
// compatibility form or the missing mark.
var substitutes = map[rune]string{'〈': "‹", '〉': "›"}

// typeset returns s as the document can print it: a character that neither the CJK font nor
// Helvetica has becomes its substitute, else its compatibility form when that prints (℃ → °C,
// № → No, ① → (1)), else the missing mark 〓, for which missing is called with the character.
func typeset(s string, missing func(c rune)) string {
	if strings.IndexFunc(s, func(c rune) bool { return !printable(c) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case printable(c):
			b.WriteRune(c)
		case substitutes[c] != "":
			b.WriteString(substitutes[c])
		default:
			if alike := compatible(c); alike != "" {
				b.WriteString(alike)
				continue
			}
			missing(c)
			b.WriteRune(missingMark)
		}
	}
	return b.String()
}

// compatible is the compatibility form (NFKC) of c when it differs and prints, a circled number in
// parentheses; else "".
func compatible(c rune) string {
	s := norm.NFKC.String(string(c))
	if s == string(c) || strings.IndexFunc(s, func(c rune) bool { return !printable(c) }) >= 0 {
		return ""
	}
	if c >= '①' && c <= '⑳' {
		return "(" + s + ")"
	}
	return s
}
