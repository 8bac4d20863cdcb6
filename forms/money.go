package forms

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// maxYuanDigits keeps amounts well inside int64 fen (9.2e18): up to 999 999 999 999 999 yuan.
const maxYuanDigits = 15

// yuanPattern is an amount written plainly or with thousands separators, up to any number of decimal
// digits (too many are reported as such, not as a malformed amount).
var yuanPattern = regexp.MustCompile(`^([+-]?)(\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d+))?$`)

// parseYuan turns an amount in yuan into fen without going through floating point, so that
// "30000.5" is exactly 3000050. The code is "" on success, else money_precision, too_large or
// invalid_money.
func parseYuan(raw any) (int64, string) {
	var s string
	switch x := raw.(type) {
	case string:
		s = strings.TrimSpace(x)
	case json.Number:
		s = x.String()
		if strings.ContainsAny(s, "eE") {
			f, err := x.Float64()
			if err != nil {
				return 0, "invalid_money"
			}
			return parseYuan(f)
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, "invalid_money"
		}
		// The shortest decimal that reads back as x: 30000.5 → "30000.5", 0.1+0.2 → too precise.
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return parseYuan(strconv.FormatFloat(float64(x), 'f', -1, 32))
	default:
		n, ok := asInt(raw)
		if !ok {
			return 0, "invalid_money"
		}
		s = strconv.FormatInt(n, 10)
	}
	m := yuanPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, "invalid_money"
	}
	whole := strings.TrimLeft(strings.ReplaceAll(m[2], ",", ""), "0")
	frac := strings.TrimRight(m[3], "0")
	if len(frac) > 2 {
		return 0, "money_precision"
	}
	if len(whole) > maxYuanDigits {
		return 0, "too_large"
	}
	fen, err := strconv.ParseInt(whole+(frac + "00")[:2], 10, 64)
	if err != nil {
		return 0, "invalid_money"
	}
	if m[1] == "-" {
		fen = -fen
	}
	return fen, ""
}

// boundFen converts a Min or Max of the definition from yuan to fen, saturating far outside the
// range of amounts.
func boundFen(yuan float64) int64 {
	fen := math.Round(yuan * 100)
	switch {
	case fen >= math.MaxInt64:
		return math.MaxInt64
	case fen <= math.MinInt64:
		return math.MinInt64
	}
	return int64(fen)
}
