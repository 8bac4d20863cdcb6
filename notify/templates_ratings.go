package notify

import (
	"errors"
	"maps"
)

// The notifications of 好差评 (package ratings): the rectification task a 差评 opens, told to the
// holders of rating:rectify of its jurisdiction, reminded before its due date and escalated to the
// jurisdiction above once overdue, and the result sent to the rater. The tasks' notices get level,
// level_name(_en), subject (case or visit), label (the case number or booking code), opened_on,
// due_on, path and, for the reminder and the escalation, days (working days left, days overdue).
var ratingTemplates = map[string]source{
	"rating_rectification_opened": {
		Subject: map[string]string{"zh-CN": "收到差评，请回访整改：{{.label}}", "en": "A poor rating to follow up: {{.label}}"},
		Body: map[string]string{
			"zh-CN": "{{if eq .subject \"visit\"}}预约 {{.label}} 的现场办理{{else}}办件 {{.label}}{{end}}收到“{{.level_name}}”评价。请回访评价人、核实情况、整改或作出说明，并于 {{.due_on}} 前将结果告知评价人（{{.path}}）。",
			"en":    "{{if eq .subject \"visit\"}}The visit of booking {{.label}}{{else}}Case {{.label}}{{end}} was rated “{{.level_name_en}}”. Call the rater back, establish the facts, rectify or explain, and send the result to the rater by {{.due_on}} ({{.path}}).",
		},
		Sample: map[string]any{"label": "210100-2026-000123", "subject": "case", "level": 1, "level_name": "非常不满意", "level_name_en": "Very dissatisfied",
			"opened_on": "2026-11-02", "due_on": "2026-11-23", "path": "/admin/ratings/1"},
	},
	"rating_rectification_reminder": {
		Subject: map[string]string{"zh-CN": "差评整改即将到期：{{.label}}", "en": "Rectification due soon: {{.label}}"},
		Body: map[string]string{
			"zh-CN": "{{.label}} 的差评整改将于 {{.due_on}} 到期（还剩 {{.days}} 个工作日），请及时回访、整改并告知评价人（{{.path}}）。",
			"en":    "The rectification of the poor rating of {{.label}} is due on {{.due_on}} ({{.days}} working days left). Please call back, rectify and tell the rater in time ({{.path}}).",
		},
		Sample: map[string]any{"label": "210100-2026-000123", "subject": "case", "due_on": "2026-11-23", "days": 3, "path": "/admin/ratings/1"},
	},
	"rating_rectification_overdue": {
		Subject: map[string]string{"zh-CN": "差评整改已超期：{{.label}}", "en": "Rectification overdue: {{.label}}"},
		Body: map[string]string{
			"zh-CN": "{{.label}} 的差评整改已于 {{.due_on}} 到期，已超期 {{.days}} 天，现提请上级机关督办。请立即处理（{{.path}}）。",
			"en":    "The rectification of the poor rating of {{.label}} was due on {{.due_on}} and is {{.days}} days overdue; it is escalated to the authority above. Please deal with it at once ({{.path}}).",
		},
		Sample: map[string]any{"label": "210100-2026-000123", "subject": "case", "due_on": "2026-11-23", "days": 2, "path": "/admin/ratings/1"},
	},
	"rating_result": {
		Subject: map[string]string{"zh-CN": "您的评价已处理：{{.label}}", "en": "Your rating has been dealt with: {{.label}}"},
		Body: map[string]string{
			"zh-CN": "感谢您对{{if eq .subject \"visit\"}}预约 {{.label}} 的现场办理{{else}}办件 {{.label}}{{end}}的评价。经核实，{{if .founded}}您反映的问题属实，我们已整改{{else}}您反映的问题经核实不属实，说明如下{{end}}：\n{{.result}}\n详见 {{.path}}。",
			"en":    "Thank you for rating {{if eq .subject \"visit\"}}the visit of booking {{.label}}{{else}}case {{.label}}{{end}}. {{if .founded}}We found your complaint justified and have put it right{{else}}We looked into your complaint and found it unfounded; our explanation{{end}}:\n{{.result}}\nSee {{.path}}.",
		},
		Sample: map[string]any{"label": "210100-2026-000123", "subject": "case", "founded": true, "result": "已对窗口人员进行批评教育，并完善一次性告知清单。", "path": "/cases/1"},
	},
}

// init adds the templates to the table, parsed like the others (parsed is initialised from templates
// before any init runs).
func init() {
	p, err := parseTemplates(ratingTemplates)
	maps.Copy(templates, ratingTemplates)
	maps.Copy(parsed, p)
	parseErr = errors.Join(parseErr, err)
}
