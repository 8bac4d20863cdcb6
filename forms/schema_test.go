package forms

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// at walks a schema by property names, failing the test when a step is missing.
func at(t *testing.T, s map[string]any, path ...string) map[string]any {
	t.Helper()
	for _, p := range path {
		next, ok := s[p].(map[string]any)
		if !ok {
			t.Fatalf("schema has no object at %v (stopped at %q)", path, p)
		}
		s = next
	}
	return s
}

func TestJSONSchemaStructure(t *testing.T) {
	t.Parallel()
	s := JSONSchema(sampleForm())
	props := at(t, s, "properties")
	tests := []struct {
		path []string
		key  string
		want any
	}{
		{nil, "$schema", "https://json-schema.org/draft/2020-12/schema"},
		{nil, "type", "object"},
		{nil, "title", "社会团体筹备申请表"},
		{nil, "x-label-en", "Social group preparation application"},
		{nil, "required", []string{"name", "level", "funds", "agree", "phone", "division", "articles", "leader", "members"}},
		{[]string{"properties", "name"}, "type", "string"},
		{[]string{"properties", "name"}, "minLength", 4},
		{[]string{"properties", "name"}, "maxLength", 50},
		{[]string{"properties", "name"}, "title", "拟成立社会团体名称"},
		{[]string{"properties", "name"}, "x-label-en", "Proposed name"},
		{[]string{"properties", "purpose"}, "description", "不超过 500 字"},
		{[]string{"properties", "purpose"}, "x-help-en", "At most 500 characters"},
		{[]string{"properties", "staff"}, "type", "integer"},
		{[]string{"properties", "staff"}, "minimum", 1.0},
		{[]string{"properties", "staff"}, "maximum", 100.0},
		{[]string{"properties", "level"}, "enum", []any{"national", "provincial", "city", "county"}},
		{[]string{"properties", "funds"}, "type", []string{"number", "string"}},
		{[]string{"properties", "funds"}, "minimum", 0.0},
		{[]string{"properties", "funds"}, "x-unit", "yuan"},
		{[]string{"properties", "founded"}, "format", "date"},
		{[]string{"properties", "areas"}, "type", "array"},
		{[]string{"properties", "areas"}, "uniqueItems", true},
		{[]string{"properties", "areas"}, "maxItems", 2},
		{[]string{"properties", "areas", "items"}, "enum", []any{"education", "health", "culture"}},
		{[]string{"properties", "agree"}, "const", true},
		{[]string{"properties", "newsletter"}, "type", "boolean"},
		{[]string{"properties", "phone"}, "pattern", phoneSchemaPattern},
		{[]string{"properties", "sponsor_uscc"}, "pattern", usccSchemaPattern},
		{[]string{"properties", "division"}, "pattern", divisionSchemaPattern},
		{[]string{"properties", "articles"}, "minItems", 1},
		{[]string{"properties", "articles"}, "x-material", "draft_articles"},
		{[]string{"properties", "articles", "items"}, "type", "integer"},
		{[]string{"properties", "leader"}, "type", "object"},
		{[]string{"properties", "leader"}, "required", []string{"name", "id_number"}},
		{[]string{"properties", "leader", "properties", "id_number"}, "pattern", idCardSchemaPattern},
		{[]string{"properties", "members"}, "type", "array"},
		{[]string{"properties", "members"}, "minItems", 50},
		{[]string{"properties", "members"}, "maxItems", 500},
		{[]string{"properties", "members", "items"}, "required", []string{"name", "kind"}},
		{[]string{"properties", "members", "items", "properties", "kind"}, "enum", []any{"person", "unit"}},
	}
	for _, tt := range tests {
		if got := at(t, s, tt.path...)[tt.key]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v %s = %#v, want %#v", tt.path, tt.key, got, tt.want)
		}
	}
	if len(props) != len(sampleForm().Fields) {
		t.Errorf("%d properties for %d fields", len(props), len(sampleForm().Fields))
	}
	if _, ok := at(t, s, "properties", "staff")["minLength"]; ok {
		t.Error("an integer has a minLength")
	}
}

// schemaInput is validInput as an API client following the schema sends it.
func schemaInput() map[string]any {
	in := validInput()
	in["sponsor_uscc"] = "51110000500012358G"
	in["articles"] = []any{float64(17), float64(18)}
	return in
}

// TestJSONSchemaValidates checks with an independent validator that the schema accepts what
// Validate accepts and rejects the obviously wrong.
func TestJSONSchemaValidates(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(JSONSchema(sampleForm()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("form.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("form.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	tests := []struct {
		name   string
		change func(in map[string]any)
		valid  bool
	}{
		{"sample", func(map[string]any) {}, true},
		{"money as a number", func(in map[string]any) { in["funds"] = 30000.5 }, true},
		{"money as a plain string", func(in map[string]any) { in["funds"] = "30000" }, true},
		{"unknown property", func(in map[string]any) { in["extra"] = 1 }, true},
		{"missing name", func(in map[string]any) { delete(in, "name") }, false},
		{"bad phone", func(in map[string]any) { in["phone"] = "12345" }, false},
		{"bad select", func(in map[string]any) { in["level"] = "galactic" }, false},
		{"money three decimals", func(in map[string]any) { in["funds"] = "30000.505" }, false},
		{"negative money", func(in map[string]any) { in["funds"] = -1.0 }, false},
		{"members not a list", func(in map[string]any) { in["members"] = map[string]any{} }, false},
		{"49 members", func(in map[string]any) { in["members"] = members(49) }, false},
		{"member without kind", func(in map[string]any) { delete(in["members"].([]any)[3].(map[string]any), "kind") }, false},
		{"repeated option", func(in map[string]any) { in["areas"] = []any{"health", "health"} }, false},
		{"unticked declaration", func(in map[string]any) { in["agree"] = false }, false},
		{"bad date", func(in map[string]any) { in["founded"] = "2025-3-1" }, false},
		{"lowercase credit code", func(in map[string]any) { in["sponsor_uscc"] = "51110000500012358g" }, false},
		{"leader ID too short", func(in map[string]any) { in["leader"].(map[string]any)["id_number"] = "1101" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := schemaInput()
			tt.change(in)
			body, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(inst)
			if (err == nil) != tt.valid {
				t.Fatalf("schema validation error = %v, want valid %v", err, tt.valid)
			}
			if tt.valid {
				if _, _, err := Validate(sampleForm(), in, testOpts); err != nil {
					t.Errorf("the schema accepts what Validate rejects: %v", err)
				}
			}
		})
	}
}

// InYuan gives money in yuan, at any depth, as exact JSON numbers that Validate reads back as the
// same fen; typed text (a draft) and other values stay as they are.
func TestInYuanReadsBack(t *testing.T) {
	f := &Form{ID: "f", Fields: []Field{
		{Name: "funds", Type: TypeMoney},
		{Name: "typed", Type: TypeMoney},
		{Name: "org", Type: TypeGroup, Fields: []Field{{Name: "capital", Type: TypeMoney}}},
		{Name: "rows", Type: TypeRepeat, Fields: []Field{{Name: "fee", Type: TypeMoney}, {Name: "name", Type: TypeText}}},
	}}
	stored := map[string]any{"funds": int64(5000000), "typed": "30,000.5", "org": map[string]any{"capital": float64(3000050)},
		"rows": []any{map[string]any{"fee": int64(1), "name": "甲"}}}
	got, err := json.Marshal(f.InYuan(stored))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"funds":50000,"org":{"capital":30000.5},"rows":[{"fee":0.01,"name":"甲"}],"typed":"30,000.5"}`; string(got) != want {
		t.Errorf("InYuan = %s, want %s", got, want)
	}
	if stored["funds"] != int64(5000000) {
		t.Error("InYuan changed the stored data")
	}
	for _, s := range []string{"50000", "30000.5", "0.01"} {
		if fen, code := parseYuan(json.Number(s)); code != "" || yuanText(fen) != s {
			t.Errorf("%s reads back as %d %s", s, fen, code)
		}
	}
}
