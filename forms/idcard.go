package forms

import (
	"errors"
	"time"
)

// IDInfo is what a resident identity number tells: the birth date and sex of the holder.
type IDInfo struct {
	BirthDate time.Time
	Sex       string // "male" or "female"
}

// ParseIDCard checks an 18-character resident identity number (GB 11643-1999: division code, birth
// date, sequence whose parity gives the sex, ISO 7064 MOD 11-2 check character) and decodes it.
func ParseIDCard(s string) (IDInfo, error) {
	return IDInfo{}, errors.New("not implemented yet")
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
