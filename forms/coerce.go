package forms

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// isEmpty reports whether a value counts as not given: missing, null, blank text or an empty list.
func isEmpty(raw any) bool {
	switch x := raw.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case json.Number:
		return x == ""
	}
	rv := reflect.ValueOf(raw)
	return rv.Kind() == reflect.Slice && rv.Len() == 0
}

// asString reads a scalar as text: strings, and numbers for clients that send 1 for "1".
func asString(raw any) (string, bool) {
	switch x := raw.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), true
	}
	return "", false
}

// maxExactFloat is the largest integer a float64 (a decoded JSON number) holds exactly.
const maxExactFloat = 1 << 53

// asInt reads a whole number from a JSON number, a Go integer or a decimal string.
func asInt(raw any) (int64, bool) {
	switch x := raw.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > maxExactFloat {
			return 0, false
		}
		return int64(x), true
	case float32:
		return asInt(float64(x))
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		f, err := x.Float64() // "1e3"
		if err != nil {
			return 0, false
		}
		return asInt(f)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		return int64(x), x <= math.MaxInt64
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// asBool reads a tick from a bool, the strings HTML forms and people use, or 1 and 0.
func asBool(raw any) (bool, bool) {
	switch x := raw.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "on", "true", "1", "yes":
			return true, true
		case "off", "false", "0", "no":
			return false, true
		}
		return false, false
	}
	if n, ok := asInt(raw); ok && (n == 0 || n == 1) {
		return n == 1, true
	}
	return false, false
}

// asList reads a list of any element type, reporting false for anything else.
func asList(raw any) ([]any, bool) {
	if x, ok := raw.([]any); ok {
		return x, true
	}
	rv := reflect.ValueOf(raw)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// asValues reads the values of a multiselect or a material slot: a list, or a single value that a
// client sent without brackets.
func asValues(raw any) []any {
	if list, ok := asList(raw); ok {
		return list
	}
	return []any{raw}
}

// asObject reads a map with string keys.
func asObject(raw any) (map[string]any, bool) {
	if m, ok := raw.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(raw)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	out := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		out[it.Key().String()] = it.Value().Interface()
	}
	return out, true
}
