// Package disclosure keeps the requests for government information (依申请公开, 政府信息公开条例 2019)
// as the annual disclosure report counts them, in the format of 国办公开办函〔2021〕30号: each request's
// applicant column, the day it was received and, once it ends, the day and the outcome. The requests
// themselves are cases of the information-disclosure item; its effects write these rows in the cases'
// transactions, so that the report always agrees with the cases.
package disclosure

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
)

// ApplicantTypes are the columns of the report's table of requests, in its order: 自然人, then the
// five kinds of 法人或其他组织.
var ApplicantTypes = []string{"natural", "business", "research", "public_welfare", "legal_service", "other"}

// Channels are the ways a request arrives (art. 29–31): the online form, a letter by post, a fax, an
// e-mail, or in person (written, or oral with staff filling in the form).
var Channels = []string{"online", "post", "fax", "email", "in_person"}

// Outcome is one way a request ends: a numbered row of part 三 of the report's table of requests.
type Outcome struct {
	// Code names the outcome in the data and the API, e.g. "withheld.third_party".
	Code string
	// Group is the row group (一) to (六) of 三、本年度办理结果, 1 to 6.
	Group int
	// Item is the numbered line within a group that has them (1, 2, …), 0 for 予以公开 and 部分公开.
	Item int
	// Name is the row's text in the format.
	Name string
}

// Outcomes are the rows of 三、本年度办理结果 in the format's order. 部分公开 counts only in its own row.
var Outcomes = []Outcome{
	{"disclosed", 1, 0, "予以公开"},
	{"partial", 2, 0, "部分公开"},
	{"withheld.state_secret", 3, 1, "属于国家秘密"},
	{"withheld.law_prohibits", 3, 2, "其他法律行政法规禁止公开"},
	{"withheld.three_safeties", 3, 3, "危及“三安全一稳定”"},
	{"withheld.third_party", 3, 4, "保护第三方合法权益"},
	{"withheld.internal_affairs", 3, 5, "属于三类内部事务信息"},
	{"withheld.process", 3, 6, "属于四类过程性信息"},
	{"withheld.enforcement_file", 3, 7, "属于行政执法案卷"},
	{"withheld.administrative_query", 3, 8, "属于行政查询事项"},
	{"unavailable.not_held", 4, 1, "本机关不掌握相关政府信息"},
	{"unavailable.needs_creation", 4, 2, "没有现成信息需要另行制作"},
	{"unavailable.still_unclear", 4, 3, "补正后申请内容仍不明确"},
	{"not_processed.petition", 5, 1, "信访举报投诉类申请"},
	{"not_processed.repeated", 5, 2, "重复申请"},
	{"not_processed.publication", 5, 3, "要求提供公开出版物"},
	{"not_processed.mass_repeated", 5, 4, "无正当理由大量反复申请"},
	{"not_processed.confirmation", 5, 5, "要求行政机关确认或重新出具已获取信息"},
	{"other.not_corrected", 6, 1, "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"},
	{"other.fee_unpaid", 6, 2, "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"},
	{"other.other", 6, 3, "其他"},
}

// OutcomeByCode returns the outcome with the code.
func OutcomeByCode(code string) (Outcome, bool) {
	i := slices.IndexFunc(Outcomes, func(o Outcome) bool { return o.Code == code })
	if i < 0 {
		return Outcome{}, false
	}
	return Outcomes[i], true
}

// Request is the report's record of one request.
type Request struct {
	bun.BaseModel `bun:"table:disclosure_requests"`

	CaseID       int64  `bun:"case_id,pk"`
	Jurisdiction string `bun:"jurisdiction"`
	// ApplicantType is one of ApplicantTypes.
	ApplicantType string `bun:"applicant_type"`
	// ApplicantKey identifies the applicant across requests (for the fees counted per applicant per
	// month, and repeated requests): the ID number of a person, the credit code of an organisation.
	ApplicantKey string `bun:"applicant_key"`
	// Channel is one of Channels.
	Channel string `bun:"channel"`
	// ReceivedOn is the day of receipt by art. 31, YYYY-MM-DD.
	ReceivedOn string `bun:"received_on"`
	// ClosedOn is the day the request ended, YYYY-MM-DD; nil while it runs.
	ClosedOn *string `bun:"closed_on"`
	// Outcome is the Code of its Outcome once ended, else "".
	Outcome string `bun:"outcome"`
}

// Received records a request received on the day, in the transaction that files it. Recording the
// same case again replaces what was recorded (a correction of the applicant's particulars).
func Received(ctx context.Context, db bun.IDB, r Request, on calendar.Date) error {
	if !slices.Contains(ApplicantTypes, r.ApplicantType) {
		return fmt.Errorf("disclosure request of case %d: unknown applicant type %q", r.CaseID, r.ApplicantType)
	}
	if !slices.Contains(Channels, r.Channel) {
		return fmt.Errorf("disclosure request of case %d: unknown channel %q", r.CaseID, r.Channel)
	}
	r.ReceivedOn, r.ClosedOn, r.Outcome = on.String(), nil, ""
	_, err := db.NewInsert().Model(&r).On("CONFLICT (case_id) DO UPDATE").
		Set("jurisdiction = EXCLUDED.jurisdiction, applicant_type = EXCLUDED.applicant_type").
		Set("applicant_key = EXCLUDED.applicant_key, channel = EXCLUDED.channel, received_on = EXCLUDED.received_on").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("recording disclosure request of case %d: %w", r.CaseID, err)
	}
	return nil
}

// Closed records the outcome of the request of the case and the day it ended, in the transaction of
// the action that ends it.
func Closed(ctx context.Context, db bun.IDB, caseID int64, outcome string, on calendar.Date) error {
	if _, ok := OutcomeByCode(outcome); !ok {
		return fmt.Errorf("disclosure request of case %d: unknown outcome %q", caseID, outcome)
	}
	res, err := db.NewUpdate().Model((*Request)(nil)).Where("case_id = ?", caseID).
		Set("outcome = ?", outcome).Set("closed_on = ?", on.String()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("recording the outcome of disclosure request of case %d: %w", caseID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("recording the outcome of case %d: no disclosure request was recorded for it", caseID)
	}
	return nil
}
