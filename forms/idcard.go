package forms

import (
	"errors"
	"fmt"
	"time"
)

// IDInfo is what a resident identity number tells: the birth date and sex of the holder.
type IDInfo struct {
	BirthDate time.Time
	Sex       string // "male" or "female"
}

// The ways a resident identity number can be wrong, so that a message can say which. Errors from
// ParseIDCard wrap exactly one of them and never repeat the number, which is personal data.
var (
	ErrIDFormat    = errors.New("resident ID number must be 17 digits followed by a digit or X")
	ErrIDCheck     = errors.New("resident ID number has a wrong check character")
	ErrIDBirthDate = errors.New("resident ID number has an impossible birth date")
)

// idWeights are the ISO 7064 MOD 11-2 weights of the first 17 digits (2^(18-i) mod 11).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// birthZone is the zone of birth dates: China Standard Time as a fixed UTC+8, because the
// Asia/Shanghai database gives dates before 1901 a local mean time of +8:05:43 and some summers of
// 1940–1991 a daylight-saving hour, and a date of birth is a calendar day, not an instant.
var birthZone = time.FixedZone("CST", 8*3600)

// ParseIDCard checks an 18-character resident identity number (GB 11643-1999: division code, birth
// date, sequence whose parity gives the sex, ISO 7064 MOD 11-2 check character) and decodes it.
// A lowercase x is accepted as X. It does not know today's date: callers with a clock reject birth
// dates in the future themselves.
func ParseIDCard(s string) (IDInfo, error) {
	if len(s) != 18 {
		return IDInfo{}, fmt.Errorf("parse ID number: %d characters instead of 18: %w", len([]rune(s)), ErrIDFormat)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return IDInfo{}, fmt.Errorf("parse ID number: character %d is not a digit: %w", i+1, ErrIDFormat)
		}
		sum += int(c-'0') * idWeights[i]
	}
	last := s[17]
	if last == 'x' {
		last = 'X'
	}
	if (last < '0' || last > '9') && last != 'X' {
		return IDInfo{}, fmt.Errorf("parse ID number: the last character is neither a digit nor X: %w", ErrIDFormat)
	}
	if last != idCheckChars[sum%11] {
		return IDInfo{}, fmt.Errorf("parse ID number: %w", ErrIDCheck)
	}
	birth, ok := calendarDate(s[6:14])
	if !ok || birth.Year() < 1900 {
		return IDInfo{}, fmt.Errorf("parse ID number: birth date %s: %w", s[6:14], ErrIDBirthDate)
	}
	sex := "female"
	if (s[16]-'0')%2 == 1 {
		sex = "male"
	}
	return IDInfo{BirthDate: birth, Sex: sex}, nil
}

// calendarDate reads eight digits YYYYMMDD as midnight of that day in China Standard Time, reporting false
// for a day the calendar does not have (19990230).
func calendarDate(digits string) (time.Time, bool) {
	n := 0
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return time.Time{}, false
		}
		n = n*10 + int(digits[i]-'0')
	}
	y, m, d := n/10000, time.Month(n/100%100), n%100
	// Normalisation turns February 30 into March 2; a real date survives it unchanged.
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if u.Year() != y || u.Month() != m || u.Day() != d {
		return time.Time{}, false
	}
	return time.Date(y, m, d, 0, 0, 0, 0, birthZone), true
}

// Age is the age in whole years on the day at, for someone born on birth.
func Age(birth, at time.Time) int {
	at = at.In(birth.Location())
	age := at.Year() - birth.Year()
	if at.Month() < birth.Month() || (at.Month() == birth.Month() && at.Day() < birth.Day()) {
		age--
	}
	return age
}
