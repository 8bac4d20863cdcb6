package forms

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/civicflow/civicflow/problem"
)

// FuzzValidate feeds arbitrary JSON bodies and form posts to Validate: it must never panic, must
// report the applicant's mistakes only as an Invalid problem, and must return values of the
// documented Go types. Run: go test -run '^$' -fuzz FuzzValidate -fuzztime 20s ./forms/
func FuzzValidate(f *testing.F) {
	body, err := json.Marshal(validInput())
	if err != nil {
		f.Fatal(err)
	}
	sample := sampleForm()
	f.Add(string(body), formValues(sample.Fields, validInput(), "", url.Values{}).Encode(), false)
	f.Add(string(body), "", true)
	f.Add(`{"funds":"30,000.505","members":[1,"x",{"id_number":"11010519491231002x"}],"leader":[]}`, "members[0].name=a&members[1]=x", false)
	f.Add(`{"staff":1e400,"funds":-0.0,"areas":"education","articles":[1.5,"-1",null],"agree":"on"}`, "agree=false&agree=on&tags=a&tags=a", true)
	f.Add(`{"name":"\u0000","founded":"0000-00-00","sponsor_uscc":"IIIIIIIIIIIIIIIIII","division":"21010"}`, "leader.name=%ff&members[99999999999999999999].name=x", false)
	f.Add(`{"leader":{"id_number":123},"members":{"0":{}}}`, "members[1].name=&members[0].kind=unit", true)

	f.Fuzz(func(t *testing.T, body, query string, useNumber bool) {
		dec := json.NewDecoder(bytes.NewReader([]byte(body)))
		if useNumber {
			dec.UseNumber()
		}
		var in map[string]any
		if dec.Decode(&in) == nil {
			checkValidate(t, sample, in)
		}
		if values, err := url.ParseQuery(query); err == nil {
			checkValidate(t, sample, FromFormValues(sample, values))
		}
	})
}

// checkValidate runs Validate and checks the shape of what it returns.
func checkValidate(t *testing.T, f *Form, in map[string]any) {
	out, _, err := Validate(f, in, testOpts)
	if err != nil {
		if !problem.Is(err, problem.Invalid) {
			t.Fatalf("Validate returned a non-problem error for applicant input: %v", err)
		}
		return
	}
	checkTypes(t, f.Fields, out, "")
}

// checkTypes checks that each normalised value has its documented Go type.
func checkTypes(t *testing.T, fields []Field, out map[string]any, prefix string) {
	known := map[string]Field{}
	for _, fd := range fields {
		known[fd.Name] = fd
	}
	for name, v := range out {
		fd, ok := known[name]
		if !ok {
			t.Fatalf("unknown key %s%s kept", prefix, name)
		}
		var typeOK bool
		switch fd.Type {
		case TypeInteger, TypeMoney:
			_, typeOK = v.(int64)
		case TypeCheckbox:
			_, typeOK = v.(bool)
		case TypeMultiSelect:
			_, typeOK = v.([]string)
		case TypeFile:
			_, typeOK = v.([]int64)
		case TypeGroup:
			var sub map[string]any
			if sub, typeOK = v.(map[string]any); typeOK {
				checkTypes(t, fd.Fields, sub, prefix+name+".")
			}
		case TypeRepeat:
			var items []map[string]any
			if items, typeOK = v.([]map[string]any); typeOK {
				for _, item := range items {
					checkTypes(t, fd.Fields, item, prefix+name+"[].")
				}
			}
		default:
			_, typeOK = v.(string)
		}
		if !typeOK {
			t.Fatalf("%s%s (%s) has value %#v of the wrong type", prefix, name, fd.Type, v)
		}
	}
}
