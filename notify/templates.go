package notify

// source is one notification in both languages; Subject and Body are text/template sources.
type source struct {
	Subject, Body map[string]string // by locale: "zh-CN", "en"
	// Sample is data the template accepts, used by the test that renders every template in every
	// locale, so that a broken template fails the tests rather than a delivery.
	Sample map[string]any
}

// templates are the notifications CivicFlow sends, by name.
var templates = map[string]source{
	"role_granted": {
		Subject: map[string]string{"zh-CN": "您获得了新的角色", "en": "You have been given a new role"},
		Body: map[string]string{
			"zh-CN": "您已在{{.jurisdiction}}获得“{{.role}}”角色。",
			"en":    "You now hold the role “{{.role}}” in {{.jurisdiction}}.",
		},
		Sample: map[string]any{"jurisdiction": "北京市东城区", "role": "审核员"},
	},
}
