package disclosure

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
)

// Fees of a request by 国办函〔2020〕109号 (关于印发《政府信息公开信息处理费管理办法》的通知): free by default;
// where the office charges, it counts either the applicant's requests in a calendar month (按件计收)
// or the pages of the information provided (按量计收), never both for one request. Amounts are in
// fen, as the forms store money.

// The ways of counting a fee.
const (
	FeePerRequest = "per_request" // 按件计收: the request's rank among the applicant's in its month
	FeePerPage    = "per_page"    // 按量计收: the pages of the information provided
)

// FeeMethods lists the ways of counting a fee.
var FeeMethods = []string{FeePerRequest, FeePerPage}

const yuan = 100 // fen

// RequestFee is the fee of the applicant's nth request of a calendar month (1 for the first): the
// first 10 are free, the 11th to the 30th cost 100 yuan each, and from the 31st each further band
// of 10 costs 100 yuan more a request than the band before (31st–40th 200 yuan, 41st–50th 300…).
func RequestFee(nth int) int64 {
	switch {
	case nth <= 10:
		return 0
	case nth <= 30:
		return 100 * yuan
	}
	band := (nth - 31) / 10 // 0 for the 31st to the 40th
	return int64(200+100*band) * yuan
}

// PageFee is the fee of information of the number of pages: up to 30 pages free; each page from the
// 31st to the 100th 10 yuan, from the 101st to the 200th 20 yuan, from the 201st on 40 yuan (each
// band priced for the pages in it).
func PageFee(pages int) int64 {
	var fen int64
	for _, b := range []struct{ from, to, price int }{{31, 100, 10}, {101, 200, 20}, {201, 1 << 30, 40}} {
		if pages < b.from {
			break
		}
		fen += int64(min(pages, b.to)-b.from+1) * int64(b.price) * yuan
	}
	return fen
}

// Fee is the fee of a request counted by method: for FeePerRequest n is the request's rank in its
// month (RequestRank), for FeePerPage the pages provided.
func Fee(method string, n int) (int64, error) {
	switch method {
	case FeePerRequest:
		return RequestFee(n), nil
	case FeePerPage:
		return PageFee(n), nil
	}
	return 0, fmt.Errorf("unknown fee method %q", method)
}

// RequestRank is the rank of the request of the case among the requests its applicant (by
// ApplicantKey) made in the calendar month of its receipt, in every jurisdiction: 1 for the first.
// Requests received the same day count in the order they were filed.
func RequestRank(ctx context.Context, db bun.IDB, caseID int64) (int, error) {
	var r Request
	if err := db.NewSelect().Model(&r).Where("case_id = ?", caseID).Scan(ctx); err != nil {
		return 0, fmt.Errorf("reading the disclosure request of case %d: %w", caseID, err)
	}
	day, err := calendar.ParseDate(r.ReceivedOn)
	if err != nil {
		return 0, fmt.Errorf("disclosure request of case %d: received on %w", caseID, err)
	}
	first := calendar.DateOf(day.Time().AddDate(0, 0, 1-day.Day()))
	n, err := db.NewSelect().Model((*Request)(nil)).
		Where("applicant_key = ?", r.ApplicantKey).
		Where("received_on >= ?", first.String()).
		Where("(received_on < ? OR (received_on = ? AND case_id <= ?))", r.ReceivedOn, r.ReceivedOn, caseID).
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("counting the requests of the applicant of case %d: %w", caseID, err)
	}
	return int(n), nil
}
