package notify

// source is one notification in both languages; Subject and Body are text/template sources.
type source struct {
	Subject, Body map[string]string // by locale: "zh-CN", "en"
	// Sample is data the template accepts, used by the test that renders every template in every
	// locale, so that a broken template fails the tests rather than a delivery.
	Sample map[string]any
	// ToNumber marks a text message to a mobile number that need not belong to an account (SendSMS).
	ToNumber bool
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
	// Case notifications sent by the effects of catalog workflows. The engine passes case_number,
	// item_name, state_name (the state the case moved to) and comment (what the actor wrote: the
	// supplement notice, the reason of a refusal).
	"case_accepted": {
		Subject: map[string]string{"zh-CN": "您的申请已受理：{{.case_number}}", "en": "Your application has been accepted: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）已受理，现处于“{{.state_name}}”环节。{{with index . \"query_code\"}}\n查询码：{{.}}。凭办件编号和查询码，无需登录即可在服务大厅首页查询办理进度。{{end}}",
			"en":    "Your application for “{{.item_name}}” (case {{.case_number}}) has been accepted and is now at the stage “{{.state_name}}”.{{with index . \"query_code\"}}\nQuery code: {{.}}. With the case number and this code anyone can look up its progress on the home page without logging in.{{end}}",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记", "state_name": "筹备审查", "query_code": "K7M3QX"},
	},
	"case_supplement_requested": {
		Subject: map[string]string{"zh-CN": "请补正申请材料：{{.case_number}}", "en": "Please complete your application: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）需要补正，请一次性补齐以下内容后重新提交：\n{{.comment}}",
			"en":    "Your application for “{{.item_name}}” (case {{.case_number}}) needs to be completed. Please correct everything listed below and submit it again:\n{{.comment}}",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记", "comment": "验资报告缺少签章页。"},
	},
	"case_resubmitted": {
		Subject: map[string]string{"zh-CN": "补正材料已收到：{{.case_number}}", "en": "We have received your corrections: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您为“{{.item_name}}”（办件编号 {{.case_number}}）提交的补正材料已收到，申请现处于“{{.state_name}}”环节。",
			"en":    "We have received the corrections to your application for “{{.item_name}}” (case {{.case_number}}). It is now at the stage “{{.state_name}}”.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记", "state_name": "筹备受理"},
	},
	"case_submitted": {
		Subject: map[string]string{"zh-CN": "申请已提交：{{.case_number}}", "en": "Application submitted: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您已提交“{{.item_name}}”的申请（办件编号 {{.case_number}}），现处于“{{.state_name}}”环节。{{with index . \"query_code\"}}\n查询码：{{.}}。凭办件编号和查询码，无需登录即可在服务大厅首页查询办理进度。{{end}}",
			"en":    "Your application for “{{.item_name}}” (case {{.case_number}}) has been submitted and is now at the stage “{{.state_name}}”.{{with index . \"query_code\"}}\nQuery code: {{.}}. With the case number and this code anyone can look up its progress on the home page without logging in.{{end}}",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记", "state_name": "成立登记受理", "query_code": "K7M3QX"},
	},
	"case_progress": {
		Subject: map[string]string{"zh-CN": "办理进度更新：{{.case_number}}", "en": "Progress on your application: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）已进入“{{.state_name}}”环节。",
			"en":    "Your application for “{{.item_name}}” (case {{.case_number}}) has moved to the stage “{{.state_name}}”.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记", "state_name": "筹备决定"},
	},
	"case_refused": {
		Subject: map[string]string{"zh-CN": "申请未获通过：{{.case_number}}", "en": "Your application was not granted: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "很遗憾，您申请的“{{.item_name}}”（办件编号 {{.case_number}}）未获通过。理由：{{.comment}}\n如不服本决定，可依法申请行政复议或者提起行政诉讼。",
			"en":    "We are sorry: your application for “{{.item_name}}” (case {{.case_number}}) was not granted. Reason: {{.comment}}\nYou may apply for administrative reconsideration or bring an administrative lawsuit against this decision.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记", "comment": "同一行政区域内已有业务范围相同的社会团体。"},
	},
	"case_withdrawn": {
		Subject: map[string]string{"zh-CN": "申请已撤回：{{.case_number}}", "en": "Application withdrawn: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您已撤回“{{.item_name}}”的申请（办件编号 {{.case_number}}），办理终止。",
			"en":    "You have withdrawn your application for “{{.item_name}}” (case {{.case_number}}); it is closed.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记"},
	},
	// 行政许可法 art. 32: the office neither accepted nor sent a 补正 notice within 5 working days, so the
	// application counts as accepted from the day its materials arrived (a timer's deem_accepted action).
	"case_deemed_accepted": {
		Subject: map[string]string{"zh-CN": "申请依法视为已受理：{{.case_number}}", "en": "Application deemed accepted: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您的“{{.item_name}}”申请（办件编号 {{.case_number}}）在收到材料之日起5个工作日内未被告知补正，依照《中华人民共和国行政许可法》第三十二条，自收到申请材料之日起即为受理，现进入审查。",
			"en":    "Your application for “{{.item_name}}” (case {{.case_number}}) was not answered with a request for corrections within 5 working days of its receipt, so under article 32 of the Administrative Licensing Law it counts as accepted from the day its materials arrived. It is now in review.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记"},
	},
	// Assignment (承办人) and internal notes, sent to staff (workflow.Engine.Assign and AddNote), with
	// the case fields above; comment is the reason of a reassignment, assignee_name the new assignee.
	"case_assigned": {
		Subject: map[string]string{"zh-CN": "分配给您承办：{{.case_number}}", "en": "Assigned to you: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "“{{.item_name}}”办件 {{.case_number}}（现处于“{{.state_name}}”环节）已分配给您承办。{{with .comment}}\n改派理由：{{.}}{{end}}",
			"en":    "Case {{.case_number}} of “{{.item_name_en}}” (now at the stage “{{.state_name_en}}”) has been assigned to you.{{with .comment}}\nReason for the reassignment: {{.}}{{end}}",
		},
		Sample: map[string]any{"case_number": "210100-2026-000017", "item_name": "社会团体成立登记", "item_name_en": "Social group establishment",
			"state_name": "筹备审查", "state_name_en": "Preparation: review", "comment": "原承办人休假。"},
	},
	"case_reassigned": {
		Subject: map[string]string{"zh-CN": "办件已改派：{{.case_number}}", "en": "Case reassigned: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您承办的“{{.item_name}}”办件 {{.case_number}} 已改由{{.assignee_name}}承办。理由：{{.comment}}",
			"en":    "Case {{.case_number}} of “{{.item_name_en}}”, assigned to you, is now assigned to {{.assignee_name}}. Reason: {{.comment}}",
		},
		Sample: map[string]any{"case_number": "210100-2026-000017", "item_name": "社会团体成立登记", "item_name_en": "Social group establishment",
			"assignee_name": "李明", "comment": "原承办人休假。"},
	},
	"case_note_added": {
		Subject: map[string]string{"zh-CN": "您承办的办件有新备注：{{.case_number}}", "en": "New note on your case: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "同事在您承办的“{{.item_name}}”办件 {{.case_number}} 上写了一条内部备注，请登录查看。",
			"en":    "A colleague wrote an internal note on case {{.case_number}} of “{{.item_name_en}}”, which is assigned to you. Log in to read it.",
		},
		Sample: map[string]any{"case_number": "210100-2026-000017", "item_name": "社会团体成立登记", "item_name_en": "Social group establishment"},
	},
	"sg_preparation_approved": {
		Subject: map[string]string{"zh-CN": "准予筹备：{{.case_number}}", "en": "Preparation approved: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）已准予筹备，批准文书可在办件页面下载。请在6个月内召开会员大会（会员代表大会）、通过章程、产生执行机构和负责人，并在线提交成立登记申请；逾期筹备批准失效。",
			"en":    "Preparation has been approved for your application for “{{.item_name}}” (case {{.case_number}}); download the approval from the case page. Within 6 months, hold the members' (representatives') assembly, adopt the articles, elect the organs and leaders, and submit the establishment application online; after that the approval lapses.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记"},
	},
	"sg_preparation_lapsed": {
		Subject: map[string]string{"zh-CN": "筹备批准已失效：{{.case_number}}", "en": "Preparation approval lapsed: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）自准予筹备之日起6个月内未提交成立登记申请，筹备批准已失效，办理终止。",
			"en":    "No establishment application was submitted within 6 months of the preparation approval for “{{.item_name}}” (case {{.case_number}}); the approval has lapsed and the case is closed.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记"},
	},
	"sg_registered": {
		Subject: map[string]string{"zh-CN": "社会团体已成立登记：{{.case_number}}", "en": "Social group registered: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）已准予成立登记，《社会团体法人登记证书》已签发，可在办件页面下载电子证书。",
			"en":    "The establishment of your social group has been registered (“{{.item_name}}”, case {{.case_number}}). The registration certificate has been issued; download it from the case page.",
		},
		Sample: map[string]any{"case_number": "SG2026000123", "item_name": "社会团体成立登记"},
	},
	// The registration of a private non-enterprise unit or a foundation (part est_): item_name names
	// which, and the certificate its kind's.
	"est_registered": {
		Subject: map[string]string{"zh-CN": "已准予成立登记：{{.case_number}}", "en": "Registered: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）已准予登记，登记证书已签发，可在办件页面下载电子证书。",
			"en":    "Your application “{{.item_name_en}}” (case {{.case_number}}) has been approved and the registration certificate issued; download it from the case page.",
		},
		Sample: map[string]any{"case_number": "210000-2026-000123", "item_name": "基金会成立登记", "item_name_en": "Registration of the establishment of a foundation"},
	},
	// Evaluation (评估, catalog/items/organisation-evaluation.yaml): the proposed level published for
	// 公示, the level announced, and the reminder before a level expires (register.RemindEvaluations,
	// which passes organisation, level and valid_until).
	"eval_publicity": {
		Subject: map[string]string{"zh-CN": "评估拟定等级公示：{{.case_number}}", "en": "Proposed evaluation level published: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申报的“{{.item_name}}”（办件编号 {{.case_number}}）拟定等级为{{.fields.proposed_level}}，现予公示7日。如有异议，可在公示期内在办件页面申请复核。",
			"en":    "The proposed level of your evaluation (“{{.item_name}}”, case {{.case_number}}) is {{.fields.proposed_level}}, now published for 7 days. If you disagree, ask for a review on the case page before the period ends.",
		},
		Sample: map[string]any{"case_number": "210000-2026-000123", "item_name": "社会组织评估", "fields": map[string]any{"proposed_level": "4A"}},
	},
	"eval_level_announced": {
		Subject: map[string]string{"zh-CN": "评估等级已公告：{{.case_number}}", "en": "Evaluation level announced: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申报的“{{.item_name}}”（办件编号 {{.case_number}}）评估等级为{{.fields.level}}，有效期至{{.fields.level_valid_until}}。评为3A以上等级的，可在办件页面下载评估等级证书。",
			"en":    "Your organisation was rated {{.fields.level}} (“{{.item_name}}”, case {{.case_number}}), valid until {{.fields.level_valid_until}}. An organisation rated 3A or above downloads its certificate from the case page.",
		},
		Sample: map[string]any{"case_number": "210000-2026-000123", "item_name": "社会组织评估", "fields": map[string]any{"level": "4A", "level_valid_until": "2031-12-06"}},
	},
	"eval_expiry_reminder": {
		Subject: map[string]string{"zh-CN": "评估等级即将到期：{{.organisation}}", "en": "Evaluation level about to expire: {{.organisation}}"},
		Body: map[string]string{
			"zh-CN": "{{.organisation}}的评估等级{{.level}}有效期至{{.valid_until}}。如需保持等级，请在到期前申请重新评估（“社会组织评估”）。",
			"en":    "The evaluation level {{.level}} of {{.organisation}} is valid until {{.valid_until}}. To keep a level, apply for a new evaluation (“Evaluation of a social organisation”) before then.",
		},
		Sample: map[string]any{"organisation": "沈阳市围棋协会", "level": "4A", "valid_until": "2031-12-06"},
	},
	// A change registration (变更登记) of an organisation, any kind: approved, register changed,
	// certificate reissued.
	"org_changed": {
		Subject: map[string]string{"zh-CN": "变更登记已准予：{{.case_number}}", "en": "Change registered: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）已准予变更登记，登记信息已更新，新的登记证书已签发（原证书同时作废），可在办件页面下载电子证书。",
			"en":    "Your change registration (“{{.item_name}}”, case {{.case_number}}) has been approved. The register is updated and a new certificate issued (the old one is superseded); download it from the case page.",
		},
		Sample: map[string]any{"case_number": "210000-2026-000123", "item_name": "社会团体变更登记"},
	},
	// The legal clock (workflow): reminders before a promised due date to those who must act,
	// escalation after the statutory one, and the withdrawal a timer records when a 补正 notice is not
	// answered in time. The engine adds clock_name, promised_due and statutory_due (YYYY-MM-DD) and,
	// for escalations, level (1: the case's jurisdiction, 2: the one above) and days_overdue.
	"clock_reminder": {
		Subject: map[string]string{"zh-CN": "办件即将到期：{{.case_number}}", "en": "Case due soon: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "“{{.item_name}}”办件 {{.case_number}}（{{.state_name}}）的{{.clock_name}}承诺时限将于 {{.promised_due}} 届满（法定时限 {{.statutory_due}}），请及时办理。",
			"en":    "Case {{.case_number}} (“{{.item_name}}”, at “{{.state_name}}”): the promised time limit ({{.clock_name}}) ends on {{.promised_due}} (statutory limit {{.statutory_due}}). Please act on it.",
		},
		Sample: map[string]any{"case_number": "210100-2026-000123", "item_name": "社会团体成立登记", "state_name": "筹备审查",
			"clock_name": "筹备", "promised_due": "2026-10-29", "statutory_due": "2026-11-23"},
	},
	"clock_overdue": {
		Subject: map[string]string{"zh-CN": "办件已超过法定时限：{{.case_number}}", "en": "Case past its statutory time limit: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "“{{.item_name}}”办件 {{.case_number}}（{{.state_name}}）的{{.clock_name}}法定时限已于 {{.statutory_due}} 届满，已超期 {{.days_overdue}} 天{{if eq (print .level) \"2\"}}，现提请上级机关督办{{end}}。请立即处理。",
			"en":    "Case {{.case_number}} (“{{.item_name}}”, at “{{.state_name}}”) passed its statutory time limit ({{.clock_name}}) on {{.statutory_due}} and is {{.days_overdue}} days overdue{{if eq (print .level) \"2\"}}; it is escalated to the authority above{{end}}. Please deal with it at once.",
		},
		Sample: map[string]any{"case_number": "210100-2026-000123", "item_name": "社会团体成立登记", "state_name": "筹备审查",
			"clock_name": "筹备", "statutory_due": "2026-11-23", "days_overdue": 3, "level": 2},
	},
	"case_deemed_withdrawn": {
		Subject: map[string]string{"zh-CN": "申请视为撤回：{{.case_number}}", "en": "Application deemed withdrawn: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您申请的“{{.item_name}}”（办件编号 {{.case_number}}）未在规定期限内提交补正材料，视为撤回申请，办理终止。如需办理，请重新提交申请。",
			"en":    "The corrections to your application for “{{.item_name}}” (case {{.case_number}}) were not submitted in time; the application is deemed withdrawn and the case is closed. You may apply again.",
		},
		Sample: map[string]any{"case_number": "210100-2026-000123", "item_name": "社会团体成立登记"},
	},
	// Appointments at marriage registration offices (appointments). They are given office_name,
	// service_name, day (YYYY-MM-DD), start and end (HH:MM) and code (the confirmation code); the ban
	// notice gets until (its last day) and reason_text.
	"appointment_booked": {
		Subject: map[string]string{"zh-CN": "预约成功：{{.day}} {{.start}}", "en": "Appointment booked: {{.day}} {{.start}}"},
		Body: map[string]string{
			"zh-CN": "您已预约{{.office_name}}的“{{.service_name}}”，时间 {{.day}} {{.start}}—{{.end}}，预约码 {{.code}}。请双方本人携带身份证按时到场。",
			"en":    "You have booked “{{.service_name}}” at {{.office_name}} on {{.day}}, {{.start}}–{{.end}}. Confirmation code {{.code}}. Both of you must come in person with your ID cards.",
		},
		Sample: map[string]any{"office_name": "沈阳市和平区婚姻登记处", "service_name": "结婚登记", "day": "2027-05-20", "start": "09:00", "end": "09:30", "code": "K7M2Q9XR"},
	},
	"appointment_moved": {
		Subject: map[string]string{"zh-CN": "预约已改期：{{.day}} {{.start}}", "en": "Appointment moved: {{.day}} {{.start}}"},
		Body: map[string]string{
			"zh-CN": "您在{{.office_name}}的“{{.service_name}}”预约（预约码 {{.code}}）已改到 {{.day}} {{.start}}—{{.end}}。",
			"en":    "Your appointment for “{{.service_name}}” at {{.office_name}} (code {{.code}}) now is on {{.day}}, {{.start}}–{{.end}}.",
		},
		Sample: map[string]any{"office_name": "沈阳市和平区婚姻登记处", "service_name": "结婚登记", "day": "2027-05-21", "start": "13:30", "end": "14:00", "code": "K7M2Q9XR"},
	},
	"appointment_cancelled": {
		Subject: map[string]string{"zh-CN": "预约已取消：{{.code}}", "en": "Appointment cancelled: {{.code}}"},
		Body: map[string]string{
			"zh-CN": "您在{{.office_name}}于 {{.day}} {{.start}} 的“{{.service_name}}”预约（预约码 {{.code}}）已取消。",
			"en":    "Your appointment for “{{.service_name}}” at {{.office_name}} on {{.day}} at {{.start}} (code {{.code}}) is cancelled.",
		},
		Sample: map[string]any{"office_name": "沈阳市和平区婚姻登记处", "service_name": "结婚登记", "day": "2027-05-20", "start": "09:00", "code": "K7M2Q9XR"},
	},
	"appointment_reminder": {
		Subject: map[string]string{"zh-CN": "明天办理：{{.service_name}} {{.start}}", "en": "Tomorrow: {{.service_name}} at {{.start}}"},
		Body: map[string]string{
			"zh-CN": "提醒：您预约了明天（{{.day}}）{{.start}}—{{.end}}在{{.office_name}}办理“{{.service_name}}”，预约码 {{.code}}。请双方本人携带身份证按时到场；不能前来的，请按规定提前取消。",
			"en":    "Reminder: tomorrow ({{.day}}), {{.start}}–{{.end}}, “{{.service_name}}” at {{.office_name}}, code {{.code}}. Both of you must come in person with your ID cards; if you cannot come, cancel in time.",
		},
		Sample: map[string]any{"office_name": "沈阳市和平区婚姻登记处", "service_name": "结婚登记", "day": "2027-05-20", "start": "09:00", "end": "09:30", "code": "K7M2Q9XR"},
	},
	"appointment_no_show": {
		Subject: map[string]string{"zh-CN": "预约未到场：{{.code}}", "en": "Missed appointment: {{.code}}"},
		Body: map[string]string{
			"zh-CN": "您在{{.office_name}}于 {{.day}} {{.start}} 的“{{.service_name}}”预约（预约码 {{.code}}）未按时到场办理，已记录为爽约。180天内爽约2次将暂停预约资格。",
			"en":    "You did not come to your appointment for “{{.service_name}}” at {{.office_name}} on {{.day}} at {{.start}} (code {{.code}}); it is recorded as missed. Missing two appointments within 180 days suspends booking.",
		},
		Sample: map[string]any{"office_name": "沈阳市和平区婚姻登记处", "service_name": "结婚登记", "day": "2027-05-20", "start": "09:00", "code": "K7M2Q9XR"},
	},
	"appointment_banned": {
		Subject: map[string]string{"zh-CN": "预约资格已暂停至 {{.until}}", "en": "Booking suspended until {{.until}}"},
		Body: map[string]string{
			"zh-CN": "因{{.reason_text}}，您的婚姻登记预约资格暂停至 {{.until}}（含）。期间如需办理，请直接到婚姻登记处咨询。",
			"en":    "Because of {{.reason_text}}, you cannot book marriage registration appointments until {{.until}} (inclusive). Ask the registration office in person if you need to register meanwhile.",
		},
		Sample: map[string]any{"until": "2027-11-16", "reason_text": "180天内爽约2次"},
	},
	// The divorce cooling-off case (catalog item divorce-registration).
	"divorce_cooling_off": {
		Subject: map[string]string{"zh-CN": "离婚登记申请已受理，冷静期开始：{{.case_number}}", "en": "Divorce application accepted; the cooling-off period runs: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "婚姻登记机关已受理您的离婚登记申请（办件编号 {{.case_number}}）并出具受理回执。自受理之日起30日为离婚冷静期，期间任何一方可撤回申请；冷静期届满后30日内，双方须预约并亲自到场申请发给离婚证，否则视为撤回。具体日期见办件页面。",
			"en":    "The registration office has accepted your divorce application (case {{.case_number}}) and issued the receipt. The 30 days from acceptance are the cooling-off period, during which either of you may withdraw; in the 30 days after it both of you must book and come in person to ask for the divorce certificate, or the application is deemed withdrawn. The case page shows the dates.",
		},
		Sample: map[string]any{"case_number": "210102-2026-000045", "item_name": "离婚登记"},
	},
	"divorce_confirmation_open": {
		Subject: map[string]string{"zh-CN": "离婚冷静期届满，请预约到场确认：{{.case_number}}", "en": "Cooling-off over: book your appearance: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您的离婚登记申请（办件编号 {{.case_number}}）冷静期已届满。请在办件页面所示的30日期间内预约，双方亲自到婚姻登记处申请发给离婚证；期间届满未申请的，视为撤回离婚登记申请。",
			"en":    "The cooling-off period of your divorce application (case {{.case_number}}) is over. Within the 30 days shown on the case page, book an appointment and come together in person to ask for the divorce certificate; if you do not, the application is deemed withdrawn.",
		},
		Sample: map[string]any{"case_number": "210102-2026-000045", "item_name": "离婚登记"},
	},
	"divorce_deemed_withdrawn": {
		Subject: map[string]string{"zh-CN": "离婚登记申请视为撤回：{{.case_number}}", "en": "Divorce application deemed withdrawn: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您的离婚登记申请（办件编号 {{.case_number}}）在冷静期届满后30日内双方未到场申请发给离婚证，依照《民法典》第一千零七十七条视为撤回。",
			"en":    "Both parties did not ask in person for the divorce certificate within 30 days after the cooling-off period of your application (case {{.case_number}}); under article 1077 of the Civil Code it is deemed withdrawn.",
		},
		Sample: map[string]any{"case_number": "210102-2026-000045", "item_name": "离婚登记"},
	},
	"marriage_registered": {
		Subject: map[string]string{"zh-CN": "{{.item_name}}已办结：{{.case_number}}", "en": "{{.item_name}} completed: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您的“{{.item_name}}”（办件编号 {{.case_number}}）已办结，证件已当场发放。",
			"en":    "Your “{{.item_name}}” (case {{.case_number}}) is completed; the certificate was handed over at the window.",
		},
		Sample: map[string]any{"case_number": "210102-2026-000046", "item_name": "结婚登记"},
	},
	// Notices (package notices): the confidentiality review of what staff write.
	"notice_review_requested": {
		Subject: map[string]string{"zh-CN": "待保密审查的公告：{{.title}}", "en": "A notice awaits your confidentiality review: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "公告“{{.title}}”（第{{.version}}版，公告地址 {{.notice_path}}）已提交保密审查，请在该页面或“公告撰写与审核”页面审查。",
			"en":    "The notice “{{.title}}” (version {{.version}}, at {{.notice_path}}) was submitted for the confidentiality review; review it on its page or on the page Writing and reviewing notices.",
		},
		Sample: map[string]any{"title": "关于调整办公时间的通知", "version": 1, "notice_path": "/notices/12"},
	},
	"notice_returned": {
		Subject: map[string]string{"zh-CN": "公告被退回修改：{{.title}}", "en": "Notice returned for changes: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "您撰写的公告“{{.title}}”（第{{.version}}版，公告地址 {{.notice_path}}）未通过保密审查，已退回修改。审查意见：{{.comment}}请在该页面修改草稿后重新提交。",
			"en":    "Your notice “{{.title}}” (version {{.version}}, at {{.notice_path}}) did not pass the confidentiality review and was returned. Comment: {{.comment}} Edit the draft on that page and submit it again.",
		},
		Sample: map[string]any{"title": "关于调整办公时间的通知", "version": 1, "comment": "请删除内部联系电话。", "notice_path": "/notices/12"},
	},
	"notice_published": {
		Subject: map[string]string{"zh-CN": "公告已发布：{{.title}}", "en": "Notice published: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "您撰写的公告“{{.title}}”（第{{.version}}版）已通过保密审查并发布，公告地址 {{.notice_path}}。",
			"en":    "Your notice “{{.title}}” (version {{.version}}) passed the confidentiality review and is published at {{.notice_path}}.",
		},
		Sample: map[string]any{"title": "关于调整办公时间的通知", "version": 2, "notice_path": "/notices/12"},
	},
	// Organisation bindings (package register): who acts for which organisation.
	"binding_approved": {
		Subject: map[string]string{"zh-CN": "组织绑定申请已通过：{{.organisation}}", "en": "You now act for {{.organisation}}"},
		Body: map[string]string{
			"zh-CN": "您绑定“{{.organisation}}”（统一社会信用代码 {{.uscc}}）的申请已通过，现可为该组织办理业务。{{with .reason}}说明：{{.}}{{end}}详见“我的组织”（{{.path}}）。",
			"en":    "Your request to act for “{{.organisation}}” (credit code {{.uscc}}) was approved: you may now apply for it.{{with .reason}} Note: {{.}}{{end}} See My organisations ({{.path}}).",
		},
		Sample: map[string]any{"organisation": "辽宁省围棋协会", "uscc": "51210000MJ0000001X", "reason": "", "path": "/account/organisations"},
	},
	"binding_refused": {
		Subject: map[string]string{"zh-CN": "组织绑定申请未通过：{{.organisation}}", "en": "Your request to act for {{.organisation}} was refused"},
		Body: map[string]string{
			"zh-CN": "您绑定“{{.organisation}}”（统一社会信用代码 {{.uscc}}）的申请未通过。理由：{{.reason}}详见“我的组织”（{{.path}}）。",
			"en":    "Your request to act for “{{.organisation}}” (credit code {{.uscc}}) was refused. Reason: {{.reason}} See My organisations ({{.path}}).",
		},
		Sample: map[string]any{"organisation": "辽宁省围棋协会", "uscc": "51210000MJ0000001X", "reason": "授权书未加盖公章。", "path": "/account/organisations"},
	},
	"binding_ended": {
		Subject: map[string]string{"zh-CN": "组织绑定已解除：{{.organisation}}", "en": "You no longer act for {{.organisation}}"},
		Body: map[string]string{
			"zh-CN": "工作人员已解除您与“{{.organisation}}”（统一社会信用代码 {{.uscc}}）的绑定。理由：{{.reason}}详见“我的组织”（{{.path}}）。",
			"en":    "Staff ended your binding to “{{.organisation}}” (credit code {{.uscc}}). Reason: {{.reason}} See My organisations ({{.path}}).",
		},
		Sample: map[string]any{"organisation": "辽宁省围棋协会", "uscc": "51210000MJ0000001X", "reason": "法定代表人撤回授权。", "path": "/account/organisations"},
	},
	// Credit lists (package credit): the users bound to a listed organisation are told of a listing
	// and of its removal.
	"credit_listed": {
		Subject: map[string]string{"zh-CN": "{{.organisation}}已被列入{{if eq .list \"serious\"}}严重违法失信名单{{else}}活动异常名录{{end}}",
			"en": "{{.organisation}} was put on the {{if eq .list \"serious\"}}serious-dishonesty{{else}}abnormal-activity{{end}} list"},
		Body: map[string]string{
			"zh-CN": "“{{.organisation}}”（统一社会信用代码 {{.uscc}}）已被列入{{if eq .list \"serious\"}}严重违法失信名单{{else}}活动异常名录{{end}}，列入事由及日期见登记信息（{{.path}}）。{{if ne .list \"serious\"}}改正后可申请移出；列入活动异常名录满2年的，将列入严重违法失信名单。{{end}}",
			"en":    "“{{.organisation}}” (credit code {{.uscc}}) was put on the {{if eq .list \"serious\"}}serious-dishonesty{{else}}abnormal-activity{{end}} list; the reason and the date are on its register entry ({{.path}}).{{if ne .list \"serious\"}} Once it has corrected this it may apply for removal; after two years on the abnormal-activity list it goes on the serious-dishonesty list.{{end}}",
		},
		Sample: map[string]any{"organisation": "辽宁省围棋协会", "uscc": "51210000MJ0000001X", "list": "abnormal", "reason": "annual_report", "path": "/register/51210000MJ0000001X"},
	},
	"credit_removed": {
		Subject: map[string]string{"zh-CN": "{{.organisation}}已移出{{if eq .list \"serious\"}}严重违法失信名单{{else}}活动异常名录{{end}}",
			"en": "{{.organisation}} was taken off the {{if eq .list \"serious\"}}serious-dishonesty{{else}}abnormal-activity{{end}} list"},
		Body: map[string]string{
			"zh-CN": "“{{.organisation}}”（统一社会信用代码 {{.uscc}}）已移出{{if eq .list \"serious\"}}严重违法失信名单{{else}}活动异常名录{{end}}，详见登记信息（{{.path}}）。",
			"en":    "“{{.organisation}}” (credit code {{.uscc}}) was taken off the {{if eq .list \"serious\"}}serious-dishonesty{{else}}abnormal-activity{{end}} list; see its register entry ({{.path}}).",
		},
		Sample: map[string]any{"organisation": "辽宁省围棋协会", "uscc": "51210000MJ0000001X", "list": "abnormal", "reason": "annual_report", "path": "/register/51210000MJ0000001X"},
	},
	// Filings (package register): the 换届 reminder six months before an organisation's term ends,
	// sent once per recorded term to the applicants bound to it.
	"filing_term_reminder": {
		Subject: map[string]string{"zh-CN": "换届提醒：{{.organisation}}", "en": "Term renewal due: {{.organisation}}"},
		Body: map[string]string{
			"zh-CN": "“{{.organisation}}”（统一社会信用代码 {{.uscc}}）本届任期将于 {{.ends_on}} 届满。请按章程做好换届准备，按期召开会员（代表）大会或理事会完成换届，并在换届后办理换届备案；确需延期换届的，须报业务主管单位和登记管理机关同意，延期最长不超过1年。",
			"en":    "The term of “{{.organisation}}” (credit code {{.uscc}}) ends on {{.ends_on}}. Prepare the renewal as the articles require, hold the members' (representatives') assembly or the board meeting in time, and file the renewal afterwards; a postponement needs the consent of the sponsor unit and the registration authority and may not exceed one year.",
		},
		Sample: map[string]any{"organisation": "辽宁省围棋协会", "uscc": "51210000MJ0000001X", "ends_on": "2027-06-30"},
	},
	// Accounts: sign-up, passwords and sessions. The codes go to a number (ToNumber): at sign-up it
	// has no account yet, and a number that has one is told so instead of given a code.
	"signup_code": {
		Subject: map[string]string{"zh-CN": "注册验证码", "en": "Sign-up code"},
		Body: map[string]string{
			"zh-CN": "您的注册验证码是 {{.code}}，{{.minutes}}分钟内有效。请勿告诉他人。如非本人操作，请忽略本短信。",
			"en":    "Your sign-up code is {{.code}}, valid for {{.minutes}} minutes. Do not tell it to anyone. If you did not ask for it, ignore this message.",
		},
		Sample:   map[string]any{"code": "123456", "minutes": 10},
		ToNumber: true,
	},
	"signup_existing": {
		Subject: map[string]string{"zh-CN": "本号码已有账号", "en": "This number has an account"},
		Body: map[string]string{
			"zh-CN": "有人用本号码（{{.phone}}）申请注册，但本号码已有账号，无需再次注册。请直接登录；忘记密码可在登录页通过“忘记密码”重置。如非本人操作，请忽略本短信。",
			"en":    "Someone asked to sign up with this number ({{.phone}}), but it already has an account: there is no need to sign up again. Log in; if you forgot the password, reset it through “Forgot password” on the login page. If this was not you, ignore this message.",
		},
		Sample:   map[string]any{"phone": "13800138000"},
		ToNumber: true,
	},
	"reset_code": {
		Subject: map[string]string{"zh-CN": "重置密码验证码", "en": "Password reset code"},
		Body: map[string]string{
			"zh-CN": "您正在重置密码，验证码是 {{.code}}，{{.minutes}}分钟内有效。请勿告诉他人。如非本人操作，请忽略本短信，您的密码不会改变。",
			"en":    "Your password reset code is {{.code}}, valid for {{.minutes}} minutes. Do not tell it to anyone. If you did not ask for it, ignore this message: your password stays as it is.",
		},
		Sample:   map[string]any{"code": "123456", "minutes": 10},
		ToNumber: true,
	},
	"reset_no_account": {
		Subject: map[string]string{"zh-CN": "本号码没有账号", "en": "This number has no account"},
		Body: map[string]string{
			"zh-CN": "有人用本号码（{{.phone}}）申请重置密码，但本号码没有账号。如需办事，可先注册。如非本人操作，请忽略本短信。",
			"en":    "Someone asked to reset a password for this number ({{.phone}}), but it has no account. You can sign up first. If this was not you, ignore this message.",
		},
		Sample:   map[string]any{"phone": "13800138000"},
		ToNumber: true,
	},
	"signup_welcome": {
		Subject: map[string]string{"zh-CN": "注册成功", "en": "Welcome"},
		Body: map[string]string{
			"zh-CN": "您的账号已注册，身份为“{{.role}}”。登录名为您的手机号码。",
			"en":    "Your account is ready, as “{{.role}}”. Your login name is your mobile number.",
		},
		Sample: map[string]any{"role": "群众"},
	},
	"signup_role_added": {
		Subject: map[string]string{"zh-CN": "账号已增加身份", "en": "A role was added to your account"},
		Body: map[string]string{
			"zh-CN": "您的账号已增加“{{.role}}”身份。如非本人操作，请立即修改密码。",
			"en":    "The role “{{.role}}” was added to your account. If this was not you, change your password at once.",
		},
		Sample: map[string]any{"role": "社会组织申请人"},
	},
	"password_changed": {
		Subject: map[string]string{"zh-CN": "密码已修改", "en": "Your password was changed"},
		Body: map[string]string{
			"zh-CN": "您的账号（{{.login}}）密码已修改，其他设备上的登录已退出。如非本人操作，请立即通过登录页的“忘记密码”重置密码。",
			"en":    "The password of your account {{.login}} was changed, and it was logged out on other devices. If this was not you, reset the password at once through “Forgot password” on the login page.",
		},
		Sample: map[string]any{"login": "13800138000"},
	},
	"password_reset": {
		Subject: map[string]string{"zh-CN": "密码已重置", "en": "Your password was reset"},
		Body: map[string]string{
			"zh-CN": "您的账号（{{.login}}）密码已通过短信验证码重置，所有设备上的登录已退出。如非本人操作，请立即联系我们。",
			"en":    "The password of your account {{.login}} was reset with a code sent by text message, and it was logged out everywhere. If this was not you, contact us at once.",
		},
		Sample: map[string]any{"login": "13800138000"},
	},
	"sessions_ended": {
		Subject: map[string]string{"zh-CN": "已退出其他设备", "en": "Logged out on other devices"},
		Body: map[string]string{
			"zh-CN": "您的账号已在其他{{.count}}处登录中退出。",
			"en":    "Your account was logged out of {{.count}} other sessions.",
		},
		Sample: map[string]any{"count": 2},
	},
	// Single sign-on (package sso): the owner hears of every link and unlink of the account.
	"sso_linked": {
		Subject: map[string]string{"zh-CN": "您的账户已关联统一身份认证", "en": "Your account is linked to the unified identity platform"},
		Body: map[string]string{
			"zh-CN": "您的账户 {{.login}} 已关联统一身份认证平台的身份，今后可以用统一身份认证登录。如果这不是您本人的操作，请立即在“我的账户”中解除关联并联系系统管理员。",
			"en":    "Your account {{.login}} is now linked to your identity on the unified identity platform, which can log you in from now on. If you did not do this, unlink it on My account at once and tell your system administrator.",
		},
		Sample: map[string]any{"login": "li.ming"},
	},
	"sso_unlinked": {
		Subject: map[string]string{"zh-CN": "您的账户已解除统一身份认证关联", "en": "Your account is no longer linked to the unified identity platform"},
		Body: map[string]string{
			"zh-CN": "您的账户 {{.login}} 已解除与统一身份认证平台的关联，今后不能再用统一身份认证登录本账户。如果这不是您本人的操作，请联系系统管理员。",
			"en":    "Your account {{.login}} is no longer linked to the unified identity platform, which can no longer log you in to it. If you did not do this, tell your system administrator.",
		},
		Sample: map[string]any{"login": "li.ming"},
	},
	// Annual-report campaigns (package annualreport): organisation, year and deadline (YYYY-MM-DD).
	"annual_report_due": {
		Subject: map[string]string{"zh-CN": "请报送{{.year}}年度工作报告", "en": "Your annual work report for {{.year}} is due"},
		Body: map[string]string{
			"zh-CN": "{{.organisation}}：{{.year}}年度工作报告已开始报送，截止日期为{{.deadline}}。请在服务大厅办理“社会组织年度工作报告”，并上传年度财务审计报告。",
			"en":    "{{.organisation}}: the annual work report for {{.year}} is open, due by {{.deadline}}. File it in the online service hall (“Annual work report of a social organisation”) with the audit report of the year's accounts.",
		},
		Sample: map[string]any{"organisation": "沈阳市书法家协会", "year": 2026, "deadline": "2027-05-31"},
	},
	"annual_report_reminder": {
		Subject: map[string]string{"zh-CN": "{{.year}}年度工作报告即将截止", "en": "The annual work report for {{.year}} is due soon"},
		Body: map[string]string{
			"zh-CN": "{{.organisation}}：{{.year}}年度工作报告将于{{.deadline}}截止，贵组织尚未报送。逾期未报送的，将被列入活动异常名录。",
			"en":    "{{.organisation}}: the annual work report for {{.year}} is due by {{.deadline}} and has not been filed yet. An organisation that does not file in time is put on the list of organisations with abnormal activities.",
		},
		Sample: map[string]any{"organisation": "沈阳市书法家协会", "year": 2026, "deadline": "2027-05-31"},
	},
	// Sent by the review actions of the item annual-report, with the engine's case data: state_name
	// names the result, comment the reviewer's remarks or the rectification demand.
	"annual_report_reviewed": {
		Subject: map[string]string{"zh-CN": "年度工作报告审查结论：{{.case_number}}", "en": "Result of your annual work report: {{.case_number}}"},
		Body: map[string]string{
			"zh-CN": "您报送的“{{.item_name}}”（办件编号 {{.case_number}}）审查结论为：{{.state_name}}。{{with .comment}}\n{{.}}{{end}}",
			"en":    "Your “{{.item_name}}” (case {{.case_number}}) has been reviewed: {{.state_name}}.{{with .comment}}\n{{.}}{{end}}",
		},
		Sample: map[string]any{"case_number": "210000-2027-000123", "item_name": "社会组织年度工作报告", "state_name": "基本合格（待整改）", "comment": "请于2027年8月31日前报送整改报告。"},
	},
	// Consultations, complaints and suggestions (package inquiries): number (the tracking number), title,
	// kind_zh and kind_en (咨询 / question…); the worker's notices add due_on, and for overdue ones level
	// (1: the jurisdiction's approvers, 2: those of the jurisdiction above), days_overdue and path.
	"inquiry_replied": {
		Subject: map[string]string{"zh-CN": "您的{{.kind_zh}}已答复：{{.number}}", "en": "Your {{.kind_en}} has been answered: {{.number}}"},
		Body: map[string]string{
			"zh-CN": "您提交的{{.kind_zh}}“{{.title}}”（编号 {{.number}}）已答复，请在“我的咨询投诉”中查看答复，并对答复作出评价。",
			"en":    "Your {{.kind_en}} “{{.title}}” (number {{.number}}) has been answered. Read the reply under “My enquiries” and rate it.",
		},
		Sample: map[string]any{"number": "TS-2026-000012", "title": "窗口办理时间过长", "kind_zh": "投诉", "kind_en": "complaint"},
	},
	"inquiry_replied_contact": {
		Subject: map[string]string{"zh-CN": "您的{{.kind_zh}}已答复：{{.number}}", "en": "Your {{.kind_en}} has been answered: {{.number}}"},
		Body: map[string]string{
			"zh-CN": "您提交的{{.kind_zh}}“{{.title}}”（编号 {{.number}}）已答复。请凭编号和提交时获得的查询密码，在服务大厅“咨询投诉查询”中查看答复并作出评价。",
			"en":    "Your {{.kind_en}} “{{.title}}” (number {{.number}}) has been answered. Read the reply and rate it under “Track an enquiry” in the service hall with the number and the secret you were given when you sent it.",
		},
		Sample:   map[string]any{"number": "TS-2026-000012", "title": "窗口办理时间过长", "kind_zh": "投诉", "kind_en": "complaint"},
		ToNumber: true,
	},
	"inquiry_reminder": {
		Subject: map[string]string{"zh-CN": "{{.kind_zh}}即将到期：{{.number}}", "en": "A {{.kind_en}} is due soon: {{.number}}"},
		Body: map[string]string{
			"zh-CN": "{{.kind_zh}}“{{.title}}”（编号 {{.number}}）应于 {{.due_on}} 前答复，尚未答复。请及时处理。",
			"en":    "The {{.kind_en}} “{{.title}}” (number {{.number}}) is due for a reply by {{.due_on}} and has not been answered. Please deal with it in time.",
		},
		Sample: map[string]any{"number": "ZX-2026-000003", "title": "婚姻登记需要哪些材料", "kind_zh": "咨询", "kind_en": "question", "due_on": "2026-10-09"},
	},
	"inquiry_overdue": {
		Subject: map[string]string{"zh-CN": "{{.kind_zh}}已超期未答复：{{.number}}", "en": "A {{.kind_en}} is overdue: {{.number}}"},
		Body: map[string]string{
			"zh-CN": "{{.kind_zh}}“{{.title}}”（编号 {{.number}}）应于 {{.due_on}} 前答复，已超期 {{.days_overdue}} 天{{if eq (print .level) \"2\"}}，现提请上级机关督办{{end}}。请立即处理。",
			"en":    "The {{.kind_en}} “{{.title}}” (number {{.number}}) was due for a reply by {{.due_on}} and is {{.days_overdue}} days overdue{{if eq (print .level) \"2\"}}; it is escalated to the authority above{{end}}. Please deal with it at once.",
		},
		Sample: map[string]any{"number": "TS-2026-000012", "title": "窗口办理时间过长", "kind_zh": "投诉", "kind_en": "complaint", "due_on": "2026-10-29",
			"days_overdue": 9, "level": 2},
	},
	// Public consultation on drafts (package consultations): the publishers hear of a draft or an
	// adoption report waiting for their review, the author of the review's outcome and of the end of
	// the comment period. path is the consultation's staff page.
	"consultation_review_requested": {
		Subject: map[string]string{"zh-CN": "待审查的征求意见稿：{{.title}}", "en": "A draft for public comment awaits your review: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "征求意见稿“{{.title}}”已提交保密审查，请在 {{.path}} 审查后发布或退回。",
			"en":    "The draft “{{.title}}” was submitted for the confidentiality review before it is put to public comment; review it at {{.path}} and publish or return it.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "path": "/admin/consultations/3"},
	},
	"consultation_returned": {
		Subject: map[string]string{"zh-CN": "征求意见稿被退回修改：{{.title}}", "en": "Draft for public comment returned: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "您撰写的征求意见稿“{{.title}}”未通过保密审查，已退回修改。审查意见：{{.comment}}请在 {{.path}} 修改后重新提交。",
			"en":    "Your draft “{{.title}}” did not pass the confidentiality review and was returned. Comment: {{.comment}} Change it at {{.path}} and submit it again.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "comment": "请删除内部审批意见。", "path": "/admin/consultations/3"},
	},
	"consultation_published": {
		Subject: map[string]string{"zh-CN": "征求意见稿已发布：{{.title}}", "en": "Draft published for public comment: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "您撰写的征求意见稿“{{.title}}”已通过保密审查并公开征求意见，截止日期 {{.ends_on}}。收到的意见须经审核后才公开显示：{{.path}}。",
			"en":    "Your draft “{{.title}}” passed the confidentiality review and is open for public comment until {{.ends_on}}. Comments are shown only once moderated: {{.path}}.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "ends_on": "2026-12-31", "path": "/admin/consultations/3"},
	},
	"consultation_closed": {
		Subject: map[string]string{"zh-CN": "征求意见期已结束，请发布意见采纳情况：{{.title}}", "en": "Comment period ended: publish the adoption report of {{.title}}"},
		Body: map[string]string{
			"zh-CN": "征求意见稿“{{.title}}”的征求意见期已于 {{.ends_on}} 结束。请在 {{.path}} 逐条（或归类）答复收到的意见，说明采纳、部分采纳或不予采纳及理由，并提交意见采纳情况经保密审查后公开。",
			"en":    "The comment period of “{{.title}}” ended on {{.ends_on}}. At {{.path}}, answer each comment (or group of comments) as adopted, partly adopted or not adopted with the reason, and submit the adoption report for review so that it is published.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "ends_on": "2026-12-31", "path": "/admin/consultations/3"},
	},
	"consultation_report_review_requested": {
		Subject: map[string]string{"zh-CN": "待审查的意见采纳情况：{{.title}}", "en": "An adoption report awaits your review: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "征求意见稿“{{.title}}”的意见采纳情况已提交保密审查，请在 {{.path}} 审查后发布或退回。",
			"en":    "The adoption report of “{{.title}}” was submitted for the confidentiality review; review it at {{.path}} and publish or return it.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "path": "/admin/consultations/3"},
	},
	"consultation_report_returned": {
		Subject: map[string]string{"zh-CN": "意见采纳情况被退回修改：{{.title}}", "en": "Adoption report returned: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "征求意见稿“{{.title}}”的意见采纳情况未通过保密审查，已退回修改。审查意见：{{.comment}}请在 {{.path}} 修改后重新提交。",
			"en":    "The adoption report of “{{.title}}” did not pass the confidentiality review and was returned. Comment: {{.comment}} Change it at {{.path}} and submit it again.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "comment": "请补充不予采纳的理由。", "path": "/admin/consultations/3"},
	},
	"consultation_report_published": {
		Subject: map[string]string{"zh-CN": "意见采纳情况已发布：{{.title}}", "en": "Adoption report published: {{.title}}"},
		Body: map[string]string{
			"zh-CN": "征求意见稿“{{.title}}”的意见采纳情况已通过保密审查并公开：{{.path}}。",
			"en":    "The adoption report of “{{.title}}” passed the confidentiality review and is published: {{.path}}.",
		},
		Sample: map[string]any{"title": "关于进一步规范社会组织登记管理的若干规定（征求意见稿）", "path": "/admin/consultations/3"},
	},
	// The notifications of 好差评 (package ratings): the rectification task a 差评 opens, told to the
	// holders of rating:rectify of its jurisdiction, reminded before its due date and escalated to the
	// jurisdiction above once overdue, and the result sent to the rater. The tasks' notices get level,
	// level_name(_en), subject (case or visit), label (the case number or booking code), opened_on,
	// due_on, path and, for the reminder and the escalation, days (working days left, days overdue).
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
