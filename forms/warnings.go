package forms

import "github.com/civicflow/civicflow/lang"

// warnUSCCOrgCode is the warning on a credit code whose embedded organisation code fails its check.
const warnUSCCOrgCode = "uscc_org_code"

// warnings word the warnings Validate gives by code: input that passes but deserves a second look.
var warnings = map[string]lang.Text{
	warnUSCCOrgCode: {
		ZH: "统一社会信用代码中的组织机构代码校验位不符，请核对（部分早期代码属此情况）。",
		EN: "The organisation code inside the credit code fails its check; please verify it (some early codes do).",
	},
}

// WarningText words a warning that Validate gave, for a warning recorded with a case (by its code)
// and shown later; ok is false for a code Validate does not give.
func WarningText(code string) (text lang.Text, ok bool) {
	text, ok = warnings[code]
	return text, ok
}
