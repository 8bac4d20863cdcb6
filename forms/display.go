package forms

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/civicflow/civicflow/lang"
)

// Entered is a stored value of the field as its input shows and posts it again: money in yuan, a
// ticked checkbox "true", a list one entry per value (material IDs of a file field), anything else as
// text. Text typed but not yet valid (a draft) comes back as typed.
func (fd *Field) Entered(v any) []string {
	switch fd.Type {
	case TypeMultiSelect, TypeFile:
		var out []string
		list, _ := asList(v)
		for _, x := range list {
			out = append(out, scalarText(x))
		}
		return out
	case TypeMoney:
		if fen, ok := asInt(v); ok {
			if _, typed := v.(string); !typed {
				return []string{yuanText(fen)}
			}
		}
	case TypeCheckbox:
		on, ok := asBool(v)
		switch {
		case on:
			return []string{"true"}
		case ok:
			return []string{"false"} // as the hidden input before an unticked box posts it
		}
		return nil
	case TypeGroup, TypeRepeat:
		return nil
	}
	if v == nil {
		return nil
	}
	return []string{scalarText(v)}
}

// Display is a stored value of the field as people read it: an option's label rather than its code,
// money in yuan, yes or no for a checkbox, several values together. Empty for no value.
func (fd *Field) Display(v any) lang.Text {
	entered := fd.Entered(v)
	switch fd.Type {
	case TypeSelect, TypeMultiSelect:
		var zh, en []string
		for _, o := range fd.Options {
			for _, e := range entered {
				if o.Value == e {
					zh, en = append(zh, o.Label.In("zh-CN")), append(en, o.Label.In("en"))
				}
			}
		}
		return lang.Text{ZH: strings.Join(zh, "、"), EN: strings.Join(en, ", ")}
	case TypeCheckbox:
		if slices.Equal(entered, []string{"true"}) {
			return lang.Text{ZH: "是", EN: "Yes"}
		}
		return lang.Text{ZH: "否", EN: "No"}
	case TypeMoney:
		if _, typed := v.(string); len(entered) == 1 && !typed {
			return lang.Text{ZH: entered[0] + " 元", EN: entered[0] + " yuan"}
		}
	case TypeFile:
		if n := len(entered); n > 0 {
			return lang.Text{ZH: strconv.Itoa(n) + " 个文件", EN: fmt.Sprintf("%d file(s)", n)}
		}
	}
	s := strings.Join(entered, ", ")
	return lang.Text{ZH: s, EN: s}
}

// moneyUnits are how a money field's label may name the unit its input takes: 活动资金（元）.
var moneyUnits = []string{"（元）", "(元)", "(yuan)"}

// ReadLabel is the label beside the field's value as Display gives it: a money field's label without
// the unit it names for the input (活动资金（元） → 活动资金), as Display states the unit itself and
// "活动资金（元） 50000 元" says it twice. Other labels are as they are.
func (fd *Field) ReadLabel() lang.Text {
	if fd.Type != TypeMoney {
		return fd.Label
	}
	trim := func(s string) string {
		for _, u := range moneyUnits {
			s = strings.TrimSuffix(s, u)
		}
		return strings.TrimSpace(s)
	}
	return lang.Text{ZH: trim(fd.Label.ZH), EN: trim(fd.Label.EN)}
}

// InWanText is Display but for money in Chinese as certificates print it (InWanYuan, 5万元), which
// the register and its notices print as the certificate does.
func (fd *Field) InWanText(v any) lang.Text {
	t := fd.Display(v)
	if wan, ok := fd.InWanYuan(v); ok {
		t.ZH = wan
	}
	return t
}

// yuanText writes an amount in fen as yuan, with no more decimals than it needs: 5000000 → "50000",
// 3000050 → "30000.5".
func yuanText(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	s := sign + strconv.FormatInt(fen/100, 10)
	if cents := fen % 100; cents != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", cents), "0")
	}
	return s
}

// InWanYuan is a stored money value as certificates print amounts, in 万元 (ten thousand yuan) and
// exact: 3000000 fen → "3万元", 3050000 → "3.05万元", 3000050 → "3.00005万元". ok is false for a field
// that is not money or a value that is no stored amount (a draft's text).
func (fd *Field) InWanYuan(v any) (string, bool) {
	fen, ok := asInt(v)
	if _, typed := v.(string); fd.Type != TypeMoney || !ok || typed {
		return "", false
	}
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	const fenPerWan = 1000000
	s := sign + strconv.FormatInt(fen/fenPerWan, 10)
	if rest := fen % fenPerWan; rest != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", rest), "0")
	}
	return s + "万元", true
}

// scalarText writes a single value as text; whole numbers read back from JSON (float64) without an
// exponent or decimals.
func scalarText(v any) string {
	switch t := v.(type) {
	case float64:
		if i, exact := asInt(t); exact {
			return strconv.FormatInt(i, 10)
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	case map[string]any, []any: // a draft's value of the wrong shape, shown as sent rather than as Go prints it
		b, _ := json.Marshal(t)
		return string(b)
	}
	return fmt.Sprint(v)
}

// InYuan is stored data of the form with its money in yuan, the unit the form takes, as exact JSON
// numbers (5000000 fen → 50000), so that what the API answers may be sent back as it is: stored
// in fen, an amount sent back would read as a hundred times as much. Everything else is as stored;
// data is not changed.
func (f *Form) InYuan(data map[string]any) map[string]any { return inYuan(f.Fields, data) }

func inYuan(fields []Field, data map[string]any) map[string]any {
	if data == nil {
		return nil
	}
	out := maps.Clone(data)
	for i := range fields {
		fd := &fields[i]
		switch v := data[fd.Name]; fd.Type {
		case TypeMoney:
			if fen, ok := asInt(v); ok {
				if _, typed := v.(string); !typed {
					out[fd.Name] = json.Number(yuanText(fen))
				}
			}
		case TypeGroup:
			if m, ok := asObject(v); ok {
				out[fd.Name] = inYuan(fd.Fields, m)
			}
		case TypeRepeat:
			if rows, ok := asList(v); ok {
				out[fd.Name] = rowsInYuan(fd.Fields, rows)
			}
		}
	}
	return out
}

// rowsInYuan is inYuan of each row of a repeat.
func rowsInYuan(fields []Field, rows []any) []any {
	out := make([]any, len(rows))
	for i, row := range rows {
		out[i] = row
		if m, ok := asObject(row); ok {
			out[i] = inYuan(fields, m)
		}
	}
	return out
}
