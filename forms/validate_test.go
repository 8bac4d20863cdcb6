package forms

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/problem"
)

// fieldErrors returns the field errors of a Validate error, failing the test on any other error.
func fieldErrors(t *testing.T, err error) []problem.Field {
	t.Helper()
	if err == nil {
		return nil
	}
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid {
		t.Fatalf("error %v is not an Invalid problem", err)
	}
	for _, f := range p.Fields {
		if f.Message.ZH == "" || f.Message.EN == "" {
			t.Errorf("error on %s (%s) lacks a message in one language: %+v", f.Path, f.Code, f.Message)
		}
	}
	return p.Fields
}

// pathCodes summarises field errors as "path:code".
func pathCodes(fields []problem.Field) []string {
	out := []string{}
	for _, f := range fields {
		out = append(out, f.Path+":"+f.Code)
	}
	return out
}

func TestValidateSample(t *testing.T) {
	t.Parallel()
	got, warnings, err := Validate(sampleForm(), validInput(), testOpts)
	if err != nil {
		t.Fatalf("Validate: %v (%v)", err, pathCodes(fieldErrors(t, err)))
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %v", warnings)
	}
	wantMembers := make([]map[string]any, 50)
	for i := range wantMembers {
		wantMembers[i] = map[string]any{"name": fmt.Sprintf("会员%d", i), "kind": "person", "id_number": memberID(i)}
	}
	want := map[string]any{
		"name":         "沈阳市青年志愿者协会",
		"purpose":      "组织志愿服务。\n开展培训。",
		"staff":        int64(3),
		"level":        "city",
		"funds":        int64(3000050),
		"founded":      "2025-03-01",
		"areas":        []string{"education", "culture"},
		"agree":        true,
		"newsletter":   false,
		"phone":        "13800138000",
		"email":        "office@example.cn",
		"sponsor_uscc": "51110000500012358G",
		"division":     "210102",
		"articles":     []int64{17, 18},
		"leader":       map[string]any{"name": "张三", "id_number": "11010519491231002X", "phone": "13900139000"},
		"members":      wantMembers,
	}
	if !reflect.DeepEqual(got, want) {
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s = %#v, want %#v", k, got[k], want[k])
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected key %s = %#v", k, got[k])
			}
		}
	}
}

// TestValidateJSONNumbers feeds the sample through encoding/json both ways clients' bodies are
// decoded: float64 and json.Number.
func TestValidateJSONNumbers(t *testing.T) {
	t.Parallel()
	body, err := json.Marshal(validInput())
	if err != nil {
		t.Fatal(err)
	}
	for _, useNumber := range []bool{false, true} {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		if useNumber {
			dec.UseNumber()
		}
		var in map[string]any
		if err := dec.Decode(&in); err != nil {
			t.Fatal(err)
		}
		got, _, err := Validate(sampleForm(), in, testOpts)
		if err != nil {
			t.Fatalf("UseNumber=%v: %v", useNumber, pathCodes(fieldErrors(t, err)))
		}
		if got["staff"] != int64(3) || got["funds"] != int64(3000050) || !reflect.DeepEqual(got["articles"], []int64{17, 18}) {
			t.Errorf("UseNumber=%v: staff %v funds %v articles %v", useNumber, got["staff"], got["funds"], got["articles"])
		}
	}
}

// floatSum adds at run time, where 0.1 + 0.2 is not 0.3 (constants are exact).
func floatSum(a, b float64) float64 { return a + b }

// absent marks a case where the field is not submitted at all.
var absent = &struct{}{}

func TestValidateTypes(t *testing.T) {
	t.Parallel()
	opts := []Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}
	tests := []struct {
		name  string
		field Field
		in    any
		want  any    // the normalised value; nil when the field is left out
		code  string // the expected error code, if any
	}{
		{"text trimmed", Field{Type: TypeText}, "  张三  ", "张三", ""},
		{"text number", Field{Type: TypeText}, float64(123), "123", ""},
		{"text runes not bytes", Field{Type: TypeText, MaxLength: intp(5)}, "一二三四五", "一二三四五", ""},
		{"text too long", Field{Type: TypeText, MaxLength: intp(5)}, "一二三四五六", nil, "too_long"},
		{"text too short", Field{Type: TypeText, MinLength: intp(2)}, " 张 ", nil, "too_short"},
		{"text bool", Field{Type: TypeText}, true, nil, "type"},
		{"text object", Field{Type: TypeText}, map[string]any{"a": 1}, nil, "type"},
		{"text invalid UTF-8", Field{Type: TypeText}, "a\xffb", nil, "invalid_text"},
		{"text NUL", Field{Type: TypeText}, "a\x00b", nil, "invalid_text"},
		{"text right-to-left override", Field{Type: TypeText}, "沈阳市\u202e会协棋围", nil, "invalid_text"},
		{"text isolate", Field{Type: TypeText}, "a\u2066b\u2069", nil, "invalid_text"},
		{"text zero-width space", Field{Type: TypeText}, "围\u200b棋", nil, "invalid_text"},
		{"textarea right-to-left mark", Field{Type: TypeTextarea}, "a\u200fb", nil, "invalid_text"},
		{"textarea zero-width joiner of an emoji", Field{Type: TypeTextarea}, "👨\u200d👩", "👨\u200d👩", ""},
		{"text required blank", Field{Type: TypeText, Required: true}, "   ", nil, "required"},
		{"text required null", Field{Type: TypeText, Required: true}, nil, nil, "required"},
		{"text required missing", Field{Type: TypeText, Required: true}, absent, nil, "required"},
		{"text optional missing", Field{Type: TypeText}, absent, nil, ""},
		{"textarea CRLF counts once", Field{Type: TypeTextarea, MaxLength: intp(3)}, "a\r\nb", "a\nb", ""},

		{"integer number", Field{Type: TypeInteger}, float64(42), int64(42), ""},
		{"integer string", Field{Type: TypeInteger}, " 42 ", int64(42), ""},
		{"integer json.Number", Field{Type: TypeInteger}, json.Number("7"), int64(7), ""},
		{"integer json.Number exponent", Field{Type: TypeInteger}, json.Number("1e3"), int64(1000), ""},
		{"integer Go int", Field{Type: TypeInteger}, 9, int64(9), ""},
		{"integer negative", Field{Type: TypeInteger}, "-3", int64(-3), ""},
		{"integer fraction", Field{Type: TypeInteger}, 4.5, nil, "not_integer"},
		{"integer fraction string", Field{Type: TypeInteger}, "4.5", nil, "not_integer"},
		{"integer word", Field{Type: TypeInteger}, "十", nil, "not_integer"},
		{"integer huge float", Field{Type: TypeInteger}, 1e20, nil, "not_integer"},
		{"integer NaN", Field{Type: TypeInteger}, math.NaN(), nil, "not_integer"},
		{"integer bool", Field{Type: TypeInteger}, true, nil, "not_integer"},
		{"integer below min", Field{Type: TypeInteger, Min: floatp(1)}, float64(0), nil, "too_small"},
		{"integer above max", Field{Type: TypeInteger, Max: floatp(100)}, "101", nil, "too_large"},
		{"integer at bounds", Field{Type: TypeInteger, Min: floatp(1), Max: floatp(100)}, "100", int64(100), ""},

		{"money plain", Field{Type: TypeMoney}, "30000", int64(3000000), ""},
		{"money half yuan string", Field{Type: TypeMoney}, "30000.5", int64(3000050), ""},
		{"money half yuan number", Field{Type: TypeMoney}, 30000.5, int64(3000050), ""},
		{"money separators", Field{Type: TypeMoney}, "30,000.00", int64(3000000), ""},
		{"money large separators", Field{Type: TypeMoney}, "1,234,567.89", int64(123456789), ""},
		{"money one fen", Field{Type: TypeMoney}, 0.01, int64(1), ""},
		{"money trailing zeros", Field{Type: TypeMoney}, "1.500", int64(150), ""},
		{"money zero", Field{Type: TypeMoney}, "0", int64(0), ""},
		{"money json.Number", Field{Type: TypeMoney}, json.Number("12.34"), int64(1234), ""},
		{"money json.Number exponent", Field{Type: TypeMoney}, json.Number("3e4"), int64(3000000), ""},
		{"money Go int", Field{Type: TypeMoney}, 200, int64(20000), ""},
		{"money three decimals", Field{Type: TypeMoney}, "0.005", nil, "money_precision"},
		{"money float noise", Field{Type: TypeMoney}, floatSum(0.1, 0.2), nil, "money_precision"},
		{"money bad grouping", Field{Type: TypeMoney}, "30,00", nil, "invalid_money"},
		{"money exponent string", Field{Type: TypeMoney}, "3e4", nil, "invalid_money"},
		{"money currency sign", Field{Type: TypeMoney}, "¥5", nil, "invalid_money"},
		{"money words", Field{Type: TypeMoney}, "三万", nil, "invalid_money"},
		{"money trailing dot", Field{Type: TypeMoney}, "5.", nil, "invalid_money"},
		{"money bool", Field{Type: TypeMoney}, false, nil, "invalid_money"},
		{"money infinite", Field{Type: TypeMoney}, math.Inf(1), nil, "invalid_money"},
		{"money too large", Field{Type: TypeMoney}, "1000000000000000", nil, "too_large"},
		{"money negative", Field{Type: TypeMoney}, "-5", nil, "negative"},
		{"money negative allowed", Field{Type: TypeMoney, Min: floatp(-10)}, "-5", int64(-500), ""},
		{"money below min", Field{Type: TypeMoney, Min: floatp(30000)}, "29,999.99", nil, "too_small"},
		{"money at min", Field{Type: TypeMoney, Min: floatp(30000)}, 30000, int64(3000000), ""},
		{"money above max", Field{Type: TypeMoney, Max: floatp(100.5)}, "100.51", nil, "too_large"},
		{"money at max", Field{Type: TypeMoney, Max: floatp(100.5)}, "100.50", int64(10050), ""},

		{"date", Field{Type: TypeDate}, "2024-02-29", "2024-02-29", ""},
		{"date not leap", Field{Type: TypeDate}, "2023-02-29", nil, "invalid_date"},
		{"date short", Field{Type: TypeDate}, "2024-2-1", nil, "invalid_date"},
		{"date month 13", Field{Type: TypeDate}, "2024-13-01", nil, "invalid_date"},
		{"date slashes", Field{Type: TypeDate}, "2024/01/01", nil, "invalid_date"},
		{"date with time", Field{Type: TypeDate}, "2024-01-01T00:00:00Z", nil, "invalid_date"},
		{"date number", Field{Type: TypeDate}, float64(20240101), nil, "invalid_date"},

		{"select", Field{Type: TypeSelect, Options: opts}, "b", "b", ""},
		{"select trimmed", Field{Type: TypeSelect, Options: opts}, " b ", "b", ""},
		{"select unknown", Field{Type: TypeSelect, Options: opts}, "z", nil, "not_an_option"},
		{"select label is not a value", Field{Type: TypeSelect, Options: []Option{{Value: "x", Label: text("甲", "A")}}}, "甲", nil, "not_an_option"},
		{"select list", Field{Type: TypeSelect, Options: opts}, []any{"a"}, nil, "not_an_option"},

		{"multiselect", Field{Type: TypeMultiSelect, Options: opts}, []any{"c", "a"}, []string{"c", "a"}, ""},
		{"multiselect strings", Field{Type: TypeMultiSelect, Options: opts}, []string{"a"}, []string{"a"}, ""},
		{"multiselect single", Field{Type: TypeMultiSelect, Options: opts}, "b", []string{"b"}, ""},
		{"multiselect skips blanks", Field{Type: TypeMultiSelect, Options: opts}, []any{"", "a"}, []string{"a"}, ""},
		{"multiselect only blanks optional", Field{Type: TypeMultiSelect, Options: opts}, []any{""}, nil, ""},
		{"multiselect only blanks required", Field{Type: TypeMultiSelect, Options: opts, Required: true}, []any{""}, nil, "required"},
		{"multiselect repeat", Field{Type: TypeMultiSelect, Options: opts}, []any{"a", "a"}, nil, "duplicate"},
		{"multiselect unknown", Field{Type: TypeMultiSelect, Options: opts}, []any{"a", "z"}, nil, "not_an_option"},
		{"multiselect non-string", Field{Type: TypeMultiSelect, Options: opts}, []any{map[string]any{}}, nil, "not_an_option"},
		{"multiselect too many", Field{Type: TypeMultiSelect, Options: opts, MaxItems: intp(2)}, []any{"a", "b", "c"}, nil, "too_many"},
		{"multiselect too few", Field{Type: TypeMultiSelect, Options: opts, MinItems: intp(2)}, []any{"a"}, nil, "too_few"},
		{"multiselect required empty", Field{Type: TypeMultiSelect, Options: opts, Required: true}, []any{}, nil, "required"},

		{"checkbox true", Field{Type: TypeCheckbox}, true, true, ""},
		{"checkbox on", Field{Type: TypeCheckbox}, "on", true, ""},
		{"checkbox 1", Field{Type: TypeCheckbox}, "1", true, ""},
		{"checkbox number", Field{Type: TypeCheckbox}, float64(1), true, ""},
		{"checkbox false string", Field{Type: TypeCheckbox}, "false", false, ""},
		{"checkbox absent", Field{Type: TypeCheckbox}, absent, false, ""},
		{"checkbox garbage", Field{Type: TypeCheckbox}, "maybe", nil, "type"},
		{"checkbox 2", Field{Type: TypeCheckbox}, float64(2), nil, "type"},
		{"checkbox required false", Field{Type: TypeCheckbox, Required: true}, false, nil, "required"},
		{"checkbox required absent", Field{Type: TypeCheckbox, Required: true}, absent, nil, "required"},
		{"checkbox required true", Field{Type: TypeCheckbox, Required: true}, "on", true, ""},

		{"phone", Field{Type: TypePhone}, " 13800138000 ", "13800138000", ""},
		{"phone 19x", Field{Type: TypePhone}, "19912345678", "19912345678", ""},
		{"phone 12x", Field{Type: TypePhone}, "12800138000", nil, "invalid_phone"},
		{"phone 10 digits", Field{Type: TypePhone}, "1380013800", nil, "invalid_phone"},
		{"phone 12 digits", Field{Type: TypePhone}, "138001380000", nil, "invalid_phone"},
		{"phone country code", Field{Type: TypePhone}, "+8613800138000", nil, "invalid_phone"},
		{"phone landline", Field{Type: TypePhone}, "024-12345678", nil, "invalid_phone"},

		{"email", Field{Type: TypeEmail}, "office@mca.example.cn", "office@mca.example.cn", ""},
		{"email plus", Field{Type: TypeEmail}, "a.b+c@example.com", "a.b+c@example.com", ""},
		{"email no dot", Field{Type: TypeEmail}, "a@b", nil, "invalid_email"},
		{"email space", Field{Type: TypeEmail}, "a b@c.cn", nil, "invalid_email"},
		{"email two ats", Field{Type: TypeEmail}, "a@b@c.cn", nil, "invalid_email"},
		{"email display name", Field{Type: TypeEmail}, "张三 <a@b.cn>", nil, "invalid_email"},
		{"email too long", Field{Type: TypeEmail}, strings.Repeat("a", 250) + "@b.cn", nil, "invalid_email"},

		{"id card", Field{Type: TypeIDCard}, "110101200001011232", "110101200001011232", ""},
		{"id card lowercase x stored upper", Field{Type: TypeIDCard}, " 11010519491231002x ", "11010519491231002X", ""},
		{"id card check", Field{Type: TypeIDCard}, "110101200001011233", nil, "id_card_check"},
		{"id card impossible date", Field{Type: TypeIDCard}, "110101199902301231", nil, "id_card_birth_date"},
		{"id card future birth", Field{Type: TypeIDCard}, "110101300001010019", nil, "id_card_birth_date"},
		{"id card short", Field{Type: TypeIDCard}, "11010120000101123", nil, "id_card_format"},
		{"id card number", Field{Type: TypeIDCard}, float64(110101200001011232), nil, "id_card_check"}, // float64 loses digits
		{"id card bool", Field{Type: TypeIDCard}, true, nil, "id_card_format"},

		{"uscc", Field{Type: TypeUSCC}, "91350100M000100Y43", "91350100M000100Y43", ""},
		{"uscc lowercase stored upper", Field{Type: TypeUSCC}, "51110000500012358g", "51110000500012358G", ""},
		{"uscc org-code warning only", Field{Type: TypeUSCC}, "5111000050001235XH", "5111000050001235XH", ""},
		{"uscc check", Field{Type: TypeUSCC}, "91350100M000100Y44", nil, "uscc_check"},
		{"uscc letter O", Field{Type: TypeUSCC}, "91350100M000100O43", nil, "uscc_format"},
		{"uscc short", Field{Type: TypeUSCC}, "9135010", nil, "uscc_format"},

		{"division", Field{Type: TypeDivision}, "210102", "210102", ""},
		{"division unknown", Field{Type: TypeDivision}, "999999", nil, "division_unknown"},
		{"division five digits", Field{Type: TypeDivision}, "21010", nil, "division_format"},
		{"division letters", Field{Type: TypeDivision}, "21010A", nil, "division_format"},
		{"division number", Field{Type: TypeDivision}, float64(210100), "210100", ""},

		{"file", Field{Type: TypeFile}, []any{float64(1), "2"}, []int64{1, 2}, ""},
		{"file single", Field{Type: TypeFile}, "5", []int64{5}, ""},
		{"file int64s", Field{Type: TypeFile}, []int64{3}, []int64{3}, ""},
		{"file repeat", Field{Type: TypeFile}, []any{float64(1), "1"}, nil, "duplicate"},
		{"file zero", Field{Type: TypeFile}, []any{float64(0)}, nil, "invalid_file"},
		{"file word", Field{Type: TypeFile}, []any{"x"}, nil, "invalid_file"},
		{"file fraction", Field{Type: TypeFile}, []any{1.5}, nil, "invalid_file"},
		{"file required empty", Field{Type: TypeFile, Required: true}, []any{}, nil, "required"},
		{"file required blank", Field{Type: TypeFile, Required: true}, []any{""}, nil, "required"},
		{"file too many", Field{Type: TypeFile, MaxItems: intp(2)}, []any{"1", "2", "3"}, nil, "too_many"},

		{"group", Field{Type: TypeGroup, Fields: []Field{{Name: "a", Type: TypeInteger}}}, map[string]any{"a": "1", "b": 2}, map[string]any{"a": int64(1)}, ""},
		{"group not an object", Field{Type: TypeGroup}, "abc", nil, "type"},
		{"group list", Field{Type: TypeGroup}, []any{map[string]any{}}, nil, "type"},
		{"group typed map", Field{Type: TypeGroup, Fields: []Field{{Name: "a", Type: TypeText}}}, map[string]string{"a": "x"}, map[string]any{"a": "x"}, ""},
		{"repeat", Field{Type: TypeRepeat, Fields: []Field{{Name: "a", Type: TypeInteger}}}, []any{map[string]any{"a": "1"}}, []map[string]any{{"a": int64(1)}}, ""},
		{"repeat not a list", Field{Type: TypeRepeat}, map[string]any{"a": 1}, nil, "type"},
		{"repeat string", Field{Type: TypeRepeat}, "abc", nil, "type"},
		{"repeat required empty", Field{Type: TypeRepeat, Required: true}, []any{}, nil, "required"},
		{"repeat optional empty", Field{Type: TypeRepeat, MinItems: intp(2)}, []any{}, nil, ""},
		{"repeat too many", Field{Type: TypeRepeat, MaxItems: intp(1)}, []any{map[string]any{}, map[string]any{}}, nil, "too_many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fd := tt.field
			fd.Name = "x"
			in := map[string]any{"x": tt.in}
			if tt.in == absent {
				in = map[string]any{}
			}
			got, _, err := Validate(&Form{ID: "t", Fields: []Field{fd}}, in, testOpts)
			codes := pathCodes(fieldErrors(t, err))
			if tt.code != "" {
				if want := []string{"x:" + tt.code}; !reflect.DeepEqual(codes, want) {
					t.Fatalf("errors = %v, want %v", codes, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("errors = %v, want none", codes)
			}
			v, ok := got["x"]
			if tt.want == nil {
				if ok {
					t.Fatalf("value = %#v, want none", v)
				}
				return
			}
			if !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("value = %#v, want %#v", v, tt.want)
			}
		})
	}
}

func TestValidateDivisionWithoutLookup(t *testing.T) {
	t.Parallel()
	f := &Form{Fields: []Field{{Name: "d", Type: TypeDivision}}}
	got, _, err := Validate(f, map[string]any{"d": "999999"}, Options{Now: testNow})
	if err != nil || got["d"] != "999999" {
		t.Fatalf("got %v, %v; want any well-formed code accepted", got, err)
	}
}

func TestValidateReportsEveryError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(in map[string]any)
		want   []string
	}{
		{"three bad fields", func(in map[string]any) {
			in["phone"] = "12345"
			in["funds"] = "30000.505"
			in["leader"].(map[string]any)["id_number"] = "110101200001011233"
		}, []string{"funds:money_precision", "phone:invalid_phone", "leader.id_number:id_card_check"}},
		{"missing required everywhere", func(in map[string]any) {
			delete(in, "name")
			in["agree"] = false
			in["articles"] = []any{}
			in["leader"] = map[string]any{}
		}, []string{"name:required", "agree:required", "articles:required", "leader.name:required", "leader.id_number:required"}},
		{"49 members", func(in map[string]any) {
			in["members"] = members(49)
		}, []string{"members:too_few"}},
		{"bad ID of member 12", func(in map[string]any) {
			in["members"].([]any)[12].(map[string]any)["id_number"] = "110101199902301231"
		}, []string{"members[12].id_number:id_card_birth_date"}},
		{"errors inside and on the repeat together", func(in map[string]any) {
			list := members(49)
			list[0].(map[string]any)["name"] = ""
			list[3] = "not an object"
			list[48].(map[string]any)["kind"] = "robot"
			in["members"] = list
		}, []string{"members[0].name:required", "members[3]:type", "members[48].kind:not_an_option", "members:too_few"}},
		{"unknown division and bad text length", func(in map[string]any) {
			in["division"] = "999999"
			in["name"] = "协会"
			in["purpose"] = strings.Repeat("字", 501)
		}, []string{"name:too_short", "purpose:too_long", "division:division_unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := validInput()
			tt.change(in)
			got, _, err := Validate(sampleForm(), in, testOpts)
			if codes := pathCodes(fieldErrors(t, err)); !reflect.DeepEqual(codes, tt.want) {
				t.Errorf("errors = %v, want %v", codes, tt.want)
			}
			if got != nil {
				t.Errorf("values returned with errors: %v", got)
			}
		})
	}
}

// A hostile input costs no more than its size: a list over max_items is refused without looking at
// its items, and the errors listed stop at 100 with a count of the rest.
func TestValidateBoundsHostileInput(t *testing.T) {
	t.Parallel()
	in := validInput()
	in["members"] = make([]any, 1_000_000) // a million items that would each fail to be an object
	in["areas"] = slices.Repeat([]any{"x"}, 1_000_000)
	in["articles"] = slices.Repeat([]any{"x"}, 1_000_000)
	_, _, err := Validate(sampleForm(), in, testOpts)
	if codes := pathCodes(fieldErrors(t, err)); !reflect.DeepEqual(codes, []string{"areas:too_many", "articles:too_many", "members:too_many"}) {
		t.Fatalf("%d errors %v ..., want only too_many on the three lists", len(codes), codes[:min(len(codes), 5)])
	}

	in = validInput()
	list := members(500) // within max_items, each member missing its name and kind
	for _, m := range list {
		delete(m.(map[string]any), "name")
		delete(m.(map[string]any), "kind")
	}
	in["members"] = list
	fields := fieldErrors(t, func() error { _, _, err := Validate(sampleForm(), in, testOpts); return err }())
	if len(fields) != 101 || fields[0].Path != "members[0].name" || fields[99].Path != "members[49].kind" {
		t.Fatalf("%d errors listed (%v ...), want the first 100 and a count", len(fields), pathCodes(fields[:3]))
	}
	last := fields[100]
	if last.Path != "" || last.Code != "more_errors" || !strings.Contains(last.Message.ZH, "900") || !strings.Contains(last.Message.EN, "900 more") {
		t.Fatalf("last entry %+v, want a count of the 900 errors not listed", last)
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(in map[string]any)
		want   []string
	}{
		{"local body with 30,000 yuan", func(in map[string]any) { in["funds"] = "30000" }, nil},
		{"local body under 30,000 yuan", func(in map[string]any) { in["funds"] = "29999.99" }, []string{"funds:rule"}},
		{"national body with 50,000 yuan", func(in map[string]any) {
			in["level"] = "national"
			in["funds"] = float64(50000)
		}, []string{"funds:rule"}},
		{"national body under both limits", func(in map[string]any) {
			in["level"] = "national"
			in["funds"] = "100"
		}, []string{"funds:rule", "funds:rule"}},
		{"national body with 100,000 yuan", func(in map[string]any) {
			in["level"] = "national"
			in["funds"] = "100,000"
		}, nil},
		{"no rule on a field with an error", func(in map[string]any) { in["funds"] = "-1" }, []string{"funds:too_small"}},
		{"rule skipped when a value it needs is invalid", func(in map[string]any) {
			in["level"] = "galactic"
			in["funds"] = "100"
		}, []string{"level:not_an_option", "funds:rule"}},
		{"group rule sees the top level", func(in map[string]any) {
			in["leader"].(map[string]any)["phone"] = "13800138000"
		}, []string{"leader:rule"}},
		{"repeat item rule sees its own item", func(in map[string]any) {
			list := in["members"].([]any)
			list[7].(map[string]any)["kind"] = "unit"
			list[8] = map[string]any{"name": "某公司", "kind": "unit", "uscc": "91350100M000100Y43"}
		}, []string{"members[7].uscc:rule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := validInput()
			tt.change(in)
			_, _, err := Validate(sampleForm(), in, testOpts)
			fields := fieldErrors(t, err)
			if codes := pathCodes(fields); !reflect.DeepEqual(codes, append([]string{}, tt.want...)) {
				t.Fatalf("errors = %v, want %v", codes, tt.want)
			}
			for _, f := range fields {
				if f.Code == "rule" && f.Path == "funds" && !strings.Contains(f.Message.ZH, "万元") {
					t.Errorf("rule error carries %q, not the rule's message", f.Message.ZH)
				}
			}
		})
	}
}

// TestValidateRulesOnlyOnCleanFields checks that a field with an error gets no rule error on top,
// even from a rule that would fail without its value.
func TestValidateRulesOnlyOnCleanFields(t *testing.T) {
	t.Parallel()
	f := &Form{Fields: []Field{
		{Name: "reason", Type: TypeSelect, Options: []Option{{Value: "other"}, {Value: "moving"}}},
		{Name: "other", Type: TypeText, MaxLength: intp(3), Rules: []Rule{{When: `reason != "other" || other != nil`, Message: text("请说明其他原因。", "Explain the other reason.")}}},
	}}
	for _, tt := range []struct {
		other any
		want  []string
	}{
		{"搬家了", nil},
		{absent, []string{"other:rule"}},
		{"", []string{"other:rule"}},
		{"太长的说明", []string{"other:too_long"}},
	} {
		in := map[string]any{"reason": "other", "other": tt.other}
		if tt.other == absent {
			delete(in, "other")
		}
		_, _, err := Validate(f, in, testOpts)
		if codes := pathCodes(fieldErrors(t, err)); !reflect.DeepEqual(codes, append([]string{}, tt.want...)) {
			t.Errorf("other = %v: errors %v, want %v", tt.other, codes, tt.want)
		}
	}
}

func TestValidateRuleDefaultMessage(t *testing.T) {
	t.Parallel()
	f := &Form{Fields: []Field{{Name: "n", Type: TypeInteger, Rules: []Rule{{When: "n > 1"}}}}}
	_, _, err := Validate(f, map[string]any{"n": 1}, testOpts)
	fields := fieldErrors(t, err)
	if len(fields) != 1 || fields[0].Code != "rule" {
		t.Fatalf("errors = %v", pathCodes(fields))
	}
}

func TestValidateWarnings(t *testing.T) {
	t.Parallel()
	in := validInput()
	in["sponsor_uscc"] = "5111000050001235XH"
	in["members"].([]any)[2] = map[string]any{"name": "某协会", "kind": "unit", "uscc": "5111000050001235XH"}
	got, warnings, err := Validate(sampleForm(), in, testOpts)
	if err != nil {
		t.Fatalf("Validate: %v", pathCodes(fieldErrors(t, err)))
	}
	if codes := pathCodes(warnings); !reflect.DeepEqual(codes, []string{"sponsor_uscc:uscc_org_code", "members[2].uscc:uscc_org_code"}) {
		t.Errorf("warnings = %v", codes)
	}
	if got["sponsor_uscc"] != "5111000050001235XH" {
		t.Errorf("sponsor_uscc = %v", got["sponsor_uscc"])
	}
	// Warnings come back with errors too, so that the page can show both.
	in["phone"] = ""
	_, warnings, err = Validate(sampleForm(), in, testOpts)
	if err == nil || len(warnings) != 2 {
		t.Errorf("with an error: warnings %v, error %v", warnings, err)
	}
}

func TestValidateBrokenDefinition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		form *Form
	}{
		{"no form", nil},
		{"unknown type", &Form{Fields: []Field{{Name: "a", Type: "colour"}}}},
		{"unknown type left empty", &Form{Fields: []Field{{Name: "b", Type: "colour"}}}},
		{"unknown type in a group", &Form{Fields: []Field{{Name: "a", Type: TypeGroup, Fields: []Field{{Name: "c", Type: ""}}}}}},
		{"rule does not compile", &Form{Fields: []Field{{Name: "a", Type: TypeText, Rules: []Rule{{When: "a >"}}}}}},
		{"rule is not boolean", &Form{Fields: []Field{{Name: "a", Type: TypeText, Rules: []Rule{{When: `"yes"`}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Validate(tt.form, map[string]any{"a": "x"}, testOpts)
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := problem.As(err); ok {
				t.Fatalf("a broken definition is reported as the applicant's problem: %v", err)
			}
		})
	}
}

func TestCompileRule(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		src string
		ok  bool
	}{
		{`level != "national" || funds >= 10000000`, true},
		{`len(members) >= 50`, true},
		{`all(members, .kind == "person") || any_field_name > 0`, true},
		{`funds >=`, false},
		{`funds + 1 > "a"`, true}, // types are unknown until run: Validate skips what fails at run time
		{`"yes"`, false},          // not a condition
		{``, false},
	} {
		if err := CompileRule(tt.src); (err == nil) != tt.ok {
			t.Errorf("CompileRule(%q) = %v, want ok %v", tt.src, err, tt.ok)
		}
	}
}

func TestValidateNilInput(t *testing.T) {
	t.Parallel()
	_, _, err := Validate(sampleForm(), nil, Options{})
	if got := len(fieldErrors(t, err)); got != 9 {
		t.Errorf("%d errors for an empty submission, want one per required field (9): %v", got, pathCodes(fieldErrors(t, err)))
	}
}

// A line break in a single-line text field is refused; a textarea keeps its lines.
func TestSingleLineTextRefusesLineBreaks(t *testing.T) {
	t.Parallel()
	f := &Form{ID: "t", Fields: []Field{{Name: "name", Type: TypeText}, {Name: "notes", Type: TypeTextarea}}}
	for _, name := range []string{"张三\n李四", "张三\r李四"} {
		_, _, err := Validate(f, map[string]any{"name": name, "notes": "a\r\nb"}, testOpts)
		if got := pathCodes(fieldErrors(t, err)); !slices.Equal(got, []string{"name:invalid_text"}) {
			t.Errorf("%q: errors %v, want name:invalid_text only", name, got)
		}
	}
}
