package forms

import (
	"errors"
	"testing"
	"time"
)

func TestParseIDCard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		birth string // YYYY-MM-DD
		sex   string
		err   error
	}{
		{"110101200001011232", "2000-01-01", "male", nil},
		{"11010519491231002X", "1949-12-31", "female", nil},
		{"11010519491231002x", "1949-12-31", "female", nil},                          // lowercase x accepted
		{"440304199003070122", "1990-03-07", "female", nil},                          // even sequence digit
		{"110101200002290026", "2000-02-29", "female", nil},                          // leap day
		{"110101190001010014", "1900-01-01", "male", nil},                            // earliest year
		{"110101300001010019", "3000-01-01", "male", nil},                            // future dates are the caller's to reject
		{"110101200001011233", "", "", ErrIDCheck},                                   // wrong check digit
		{"110101200001011231", "", "", ErrIDCheck},                                   // wrong check digit
		{"11010519491231002Y", "", "", ErrIDFormat},                                  // not X
		{"110101199902301231", "", "", ErrIDBirthDate},                               // 30 February, valid check digit
		{"11010119000229002X", "", "", ErrIDBirthDate},                               // 1900 was not a leap year
		{"11010118991231001X", "", "", ErrIDBirthDate},                               // before 1900
		{"11010120000101123", "", "", ErrIDFormat},                                   // 17 characters
		{"1101012000010112320", "", "", ErrIDFormat},                                 // 19 characters
		{"", "", "", ErrIDFormat},                                                    // empty
		{"11010X200001011232", "", "", ErrIDFormat},                                  // X before the end
		{"1101012000010112３2", "", "", ErrIDFormat},                                  // full-width digit
		{" 110101200001011232", "", "", ErrIDFormat},                                 // untrimmed
		{"X10101200001011232", "", "", ErrIDFormat},                                  // letter at the start
		{"11010120000101123\x00", "", "", ErrIDFormat},                               // control character
		{"110101200013011235", "", "", ErrIDCheck},                                   // month 13 and wrong check
		{"11010120001301123" + idCheck("11010120001301123"), "", "", ErrIDBirthDate}, // month 13
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			info, err := ParseIDCard(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseIDCard(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIDCard(%q): %v", tt.in, err)
			}
			if got := info.BirthDate.Format(time.DateOnly); got != tt.birth || info.Sex != tt.sex {
				t.Errorf("ParseIDCard(%q) = %s %s, want %s %s", tt.in, got, info.Sex, tt.birth, tt.sex)
			}
			if _, off := info.BirthDate.Zone(); off != 8*3600 || info.BirthDate.Hour() != 0 {
				t.Errorf("birth date %v is not midnight in UTC+8", info.BirthDate)
			}
		})
	}
}

// idCheck computes a check character independently of ParseIDCard, from the definition 2^(17-i) mod 11.
func idCheck(first17 string) string {
	sum, w := 0, 1
	for i := 16; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(first17[i]-'0') * w
	}
	return string("10X98765432"[sum%11])
}

func TestAge(t *testing.T) {
	t.Parallel()
	info, err := ParseIDCard("110101200001011232")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		at   string
		want int
	}{{"2017-12-31", 17}, {"2018-01-01", 18}, {"2022-01-01", 22}} {
		at, _ := time.ParseInLocation(time.DateOnly, tt.at, birthZone)
		if got := Age(info.BirthDate, at); got != tt.want {
			t.Errorf("Age on %s = %d, want %d", tt.at, got, tt.want)
		}
	}
}

func TestValidateUSCC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		warning bool
		err     error
	}{
		{"91350100M000100Y43", false, nil}, // GB 32100-2015's example
		{"51110000500012358G", false, nil},
		{"522101000000000273", false, nil},
		{"532100000000000003", false, nil},
		{"522101000000002030", false, nil},           // Σ mod 31 = 0: check value 31 becomes 0
		{"5111000050001235XH", true, nil},            // right check character, wrong organisation code check
		{"91350100M000100Y44", false, ErrUSCCCheck},  // wrong 18th character
		{"51110000500012358H", false, ErrUSCCCheck},  // wrong 18th character
		{"51110000500012368G", false, ErrUSCCCheck},  // one digit changed
		{"51110000500012358g", false, ErrUSCCFormat}, // lowercase
		{"91350100m000100Y43", false, ErrUSCCFormat}, // lowercase
		{"91350100M000100I43", false, ErrUSCCFormat},
		{"91350100M000100O43", false, ErrUSCCFormat},
		{"91350100M000100S43", false, ErrUSCCFormat},
		{"91350100M000100V43", false, ErrUSCCFormat},
		{"91350100M000100Z43", false, ErrUSCCFormat},
		{"51110000500012358I", false, ErrUSCCFormat}, // bad 18th character
		{"51110000500012358", false, ErrUSCCFormat},  // 17 characters
		{"51110000500012358GG", false, ErrUSCCFormat},
		{"", false, ErrUSCCFormat},
		{"５1110000500012358G", false, ErrUSCCFormat},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			warning, err := ValidateUSCC(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("ValidateUSCC(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if (warning != "") != tt.warning {
				t.Errorf("ValidateUSCC(%q) warning = %q, want one: %v", tt.in, warning, tt.warning)
			}
		})
	}
}

func TestCheckChars(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		first string
		want  byte
		err   error
		fn    func(string) (byte, error)
	}{
		{"91350100M000100Y4", '3', nil, USCCCheckChar},
		{"5111000050001235" + "8", 'G', nil, USCCCheckChar},
		{"5221010000000002" + "7", '3', nil, USCCCheckChar},
		{"5321000000000000" + "0", '3', nil, USCCCheckChar},
		{"5221010000000020" + "3", '0', nil, USCCCheckChar},
		{"91350100M000100I4", 0, ErrUSCCFormat, USCCCheckChar},
		{"91350100M000100Y", 0, ErrUSCCFormat, USCCCheckChar},
		{"M000100Y", '4', nil, OrgCodeCheckChar},
		{"50001235", '8', nil, OrgCodeCheckChar},
		{"00000006", 'X', nil, OrgCodeCheckChar}, // 11 − 10
		{"00000000", '0', nil, OrgCodeCheckChar}, // 11 − 0
		{"12345678", '8', nil, OrgCodeCheckChar},
		{"MA0000A1", '9', nil, OrgCodeCheckChar},
		{"m000100Y", 0, ErrOrgCodeFormat, OrgCodeCheckChar},
		{"M000100", 0, ErrOrgCodeFormat, OrgCodeCheckChar},
	} {
		got, err := tt.fn(tt.first)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || got != tt.want {
			t.Errorf("check character of %q = %q, %v; want %q, %v", tt.first, got, err, tt.want, tt.err)
		}
	}
}

// TestUSCCRoundTrip issues codes the way the register will and checks that they validate cleanly.
func TestUSCCRoundTrip(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"00000001", "12345678", "MA0000A1", "00000006", "00000000"} {
		org, err := OrgCodeCheckChar(body)
		if err != nil {
			t.Fatal(err)
		}
		first17 := "51210100" + body + string(org)
		check, err := USCCCheckChar(first17)
		if err != nil {
			t.Fatal(err)
		}
		if w, err := ValidateUSCC(first17 + string(check)); err != nil || w != "" {
			t.Errorf("issued code %s%c: warning %q, error %v", first17, check, w, err)
		}
	}
}
