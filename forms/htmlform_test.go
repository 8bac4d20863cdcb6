package forms

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"testing"
)

// formValues flattens an input the way the page names its inputs, independently of FromFormValues.
func formValues(fields []Field, in map[string]any, prefix string, out url.Values) url.Values {
	for _, fd := range fields {
		v, ok := in[fd.Name]
		if !ok {
			continue
		}
		key := prefix + fd.Name
		switch fd.Type {
		case TypeGroup:
			formValues(fd.Fields, v.(map[string]any), key+".", out)
		case TypeRepeat:
			for i, item := range v.([]any) {
				formValues(fd.Fields, item.(map[string]any), key+"["+strconv.Itoa(i)+"].", out)
			}
		case TypeMultiSelect, TypeFile:
			for _, x := range v.([]any) {
				out.Add(key, fmt.Sprint(x))
			}
		case TypeCheckbox:
			out.Add(key, "false") // the hidden input before the box
			if v == true {
				out.Add(key, "on")
			}
		default:
			out.Set(key, fmt.Sprint(v))
		}
	}
	return out
}

func TestFromFormValuesRoundTrip(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	in := validInput()
	in["members"].([]any)[5] = map[string]any{"name": "某公司", "kind": "unit", "uscc": "91350100M000100Y43"}
	want, _, err := Validate(f, in, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	// Through the wire format too, as the web layer receives it.
	posted, err := url.ParseQuery(formValues(f.Fields, in, "", url.Values{}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	posted.Set("unknown", "ignored")
	posted.Set("leader.unknown", "ignored")
	got, _, err := Validate(f, FromFormValues(f, posted), testOpts)
	if err != nil {
		t.Fatalf("Validate(FromFormValues(...)): %v", pathCodes(fieldErrors(t, err)))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip differs:\n got %v\nwant %v", got, want)
	}

	// The same paths come back in errors.
	posted.Set("members[12].id_number", "110101199902301231")
	posted.Set("leader.phone", "123")
	_, _, err = Validate(f, FromFormValues(f, posted), testOpts)
	if codes := pathCodes(fieldErrors(t, err)); !reflect.DeepEqual(codes, []string{"leader.phone:invalid_phone", "members[12].id_number:id_card_birth_date"}) {
		t.Errorf("errors = %v", codes)
	}
}

func TestFromFormValues(t *testing.T) {
	t.Parallel()
	f := &Form{Fields: []Field{
		{Name: "name", Type: TypeText},
		{Name: "agree", Type: TypeCheckbox},
		{Name: "tags", Type: TypeMultiSelect},
		{Name: "files", Type: TypeFile},
		{Name: "org", Type: TypeGroup, Fields: []Field{
			{Name: "name", Type: TypeText},
			{Name: "branches", Type: TypeRepeat, Fields: []Field{{Name: "city", Type: TypeText}}},
		}},
		{Name: "members", Type: TypeRepeat, Fields: []Field{
			{Name: "name", Type: TypeText},
			{Name: "address", Type: TypeGroup, Fields: []Field{{Name: "city", Type: TypeText}}},
		}},
		{Name: "empty_group", Type: TypeGroup, Fields: []Field{{Name: "a", Type: TypeText}}},
	}}
	tests := []struct {
		name   string
		values url.Values
		want   map[string]any
	}{
		{"nothing", url.Values{}, map[string]any{}},
		{"scalars take the first value", url.Values{"name": {"甲", "乙"}}, map[string]any{"name": "甲"}},
		{"checkbox takes the last value", url.Values{"agree": {"false", "on"}}, map[string]any{"agree": "on"}},
		{"lists keep every value", url.Values{"tags": {"a", "b"}, "files": {"3"}}, map[string]any{"tags": []any{"a", "b"}, "files": []any{"3"}}},
		{"group and nested repeat", url.Values{"org.name": {"协会"}, "org.branches[1].city": {"大连"}, "org.branches[0].city": {"沈阳"}},
			map[string]any{"org": map[string]any{"name": "协会", "branches": []any{map[string]any{"city": "沈阳"}, map[string]any{"city": "大连"}}}}},
		{"sparse indices are renumbered in order", url.Values{"members[10].name": {"丙"}, "members[2].name": {"乙"}, "members[2].address.city": {"沈阳"}},
			map[string]any{"members": []any{
				map[string]any{"name": "乙", "address": map[string]any{"city": "沈阳"}},
				map[string]any{"name": "丙"},
			}}},
		{"odd indices are ignored", url.Values{"members[01].name": {"x"}, "members[-1].name": {"x"}, "members[a].name": {"x"}, "members[1]": {"x"}, "members[+1].name": {"x"}, "members[99999999999999999999].name": {"x"}},
			map[string]any{}},
		{"a row with only unknown inputs is still a row", url.Values{"members[0].unknown": {"x"}}, map[string]any{"members": []any{map[string]any{}}}},
		{"unknown names are ignored", url.Values{"other": {"x"}, "org.other": {"x"}, "name.x": {"x"}}, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := FromFormValues(f, tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromFormValues = %#v, want %#v", got, tt.want)
			}
		})
	}
	if got := FromFormValues(nil, url.Values{"a": {"b"}}); len(got) != 0 {
		t.Errorf("FromFormValues(nil form) = %v", got)
	}
}
