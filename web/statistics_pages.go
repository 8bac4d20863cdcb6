package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/tables"
)

// statisticsQuery is the filter of the statistics page, API and CSV export as the request gives it.
type statisticsQuery struct {
	From, To, Item string
	// Sort is statistics.ByOverdue, statistics.ByOnTime or empty; Overdue keeps rows with overdue cases.
	Sort    string
	Overdue bool
}

func readStatisticsQuery(c *fiber.Ctx) statisticsQuery {
	return statisticsQuery{From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")),
		Item: strings.TrimSpace(c.Query("item")), Sort: c.Query("sort"), Overdue: c.QueryBool("overdue")}
}

// values is the query string that asks for the same figures.
func (q statisticsQuery) values() url.Values {
	v := url.Values{}
	overdue := ""
	if q.Overdue {
		overdue = "1"
	}
	for k, s := range map[string]string{"from": q.From, "to": q.To, "item": q.Item, "sort": q.Sort, "overdue": overdue} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// filter turns the query into the caller's filter: cases received from the day From to the day To,
// both included, in China; only in the jurisdictions where the caller holds statistics:read.
func (s *Server) statisticsFilter(c *fiber.Ctx, q statisticsQuery) (statistics.Filter, error) {
	f := statistics.Filter{ItemCode: q.Item, Scopes: s.Enforcer.Scopes(currentUser(c).ID, "statistics", "read")}
	var fields problem.Fields
	var from, to calendar.Date
	var err error
	if q.From != "" {
		if from, err = calendar.ParseDate(q.From); err != nil {
			fields.Add("from", "invalid_date", "请按 YYYY-MM-DD 格式填写起始日期。", "Enter the first day as YYYY-MM-DD.")
		} else {
			f.From = from.Time()
		}
	}
	if q.To != "" {
		if to, err = calendar.ParseDate(q.To); err != nil {
			fields.Add("to", "invalid_date", "请按 YYYY-MM-DD 格式填写截止日期。", "Enter the last day as YYYY-MM-DD.")
		} else {
			f.To = to.AddDays(1).Time()
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		fields.Add("to", "invalid_range", "截止日期不能早于起始日期。", "The last day cannot be before the first day.")
	}
	return f, fields.Err()
}

// computeStatistics reads the figures the request asks for, as of today in China.
func (s *Server) computeStatistics(c *fiber.Ctx, q statisticsQuery) ([]statistics.Row, error) {
	f, err := s.statisticsFilter(c, q)
	if err != nil {
		return nil, err
	}
	rows, err := s.statistics.Compute(c.UserContext(), s.DB, f, calendar.Today().String())
	if err != nil {
		return nil, err
	}
	return statistics.Arrange(rows, q.Sort, q.Overdue), nil
}

// apiStatistics answers the figures per service item and jurisdiction, with their total.
func (s *Server) apiStatistics(c *fiber.Ctx) error {
	rows, err := s.computeStatistics(c, readStatisticsQuery(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"today": calendar.Today().String(), "rows": nonNil(rows), "total": statistics.Total(rows)})
}

// statisticsLine is a row of the statistics with the names people read.
type statisticsLine struct {
	statistics.Row
	ItemName, JurisdictionName string
}

// Rate writes the on-time rate as a percentage, or "—" when nothing is finished.
func (l statisticsLine) Rate() string {
	if l.Finished == 0 {
		return "—"
	}
	return strconv.FormatFloat(l.OnTimeRate*100, 'f', 1, 64) + "%"
}

// namedStatistics gives the rows and their total the names of their item and jurisdiction in locale.
func (s *Server) namedStatistics(c *fiber.Ctx, rows []statistics.Row, locale string) ([]statisticsLine, statisticsLine, error) {
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return nil, statisticsLine{}, err
	}
	names := map[string]string{}
	for _, j := range all {
		names[j.Code] = j.Name(locale)
	}
	out := make([]statisticsLine, 0, len(rows))
	for _, r := range rows {
		l := statisticsLine{Row: r, ItemName: r.ItemCode, JurisdictionName: names[r.Jurisdiction]}
		if it, ok := s.Catalog.Item(r.ItemCode); ok {
			l.ItemName = it.Name.In(locale)
		}
		out = append(out, l)
	}
	return out, statisticsLine{Row: statistics.Total(rows)}, nil
}

func (s *Server) statisticsPage(c *fiber.Ctx) error {
	q := readStatisticsQuery(c)
	v := s.view(c, "admin_statistics_title")
	v.Form["from"], v.Form["to"], v.Form["item"], v.Form["sort"] = q.From, q.To, q.Item, q.Sort
	if q.Overdue {
		v.Form["overdue"] = "1"
	}
	v.Labels = map[string]string{"from": v.T("statistics_from"), "to": v.T("statistics_to")}
	rows, err := s.computeStatistics(c, q)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	lines, total, err := s.namedStatistics(c, rows, v.Locale)
	if err != nil {
		return err
	}
	csvLink := "/admin/statistics.csv"
	if qs := q.values().Encode(); qs != "" {
		csvLink += "?" + qs
	}
	v.Data = map[string]any{"Rows": lines, "Total": total, "Items": s.Catalog.Items(), "CSV": csvLink,
		"Valid": status == fiber.StatusOK, "Today": calendar.Today().String()}
	return s.renderStatus(c, status, "admin_statistics", v)
}

// csvHeader names the columns of the export in both languages.
var csvHeader = []string{
	"事项代码 Item code", "事项名称 Item", "行政区划代码 Jurisdiction code", "行政区划 Jurisdiction",
	"受理 Received", "办结 Finished", "承诺时限内办结 Finished within the promised limit",
	"法定时限内办结 Finished within the statutory limit", "当前超期 Overdue now", "按时办结率 On-time rate",
}

// statisticsCSV exports the figures of the page as CSV in UTF-8 with a byte order mark, which Excel
// needs to read Chinese correctly.
func (s *Server) statisticsCSV(c *fiber.Ctx) error {
	rows, err := s.computeStatistics(c, readStatisticsQuery(c))
	if err != nil {
		return err
	}
	locale := s.locale(c)
	lines, total, err := s.namedStatistics(c, rows, locale)
	if err != nil {
		return err
	}
	total.ItemName = "合计 Total"
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(csvHeader)
	for _, l := range append(lines, total) {
		_ = w.Write([]string{
			tables.Guard(l.ItemCode), tables.Guard(l.ItemName), tables.Guard(l.Jurisdiction), tables.Guard(l.JurisdictionName),
			strconv.Itoa(l.Received), strconv.Itoa(l.Finished), strconv.Itoa(l.WithinPromised),
			strconv.Itoa(l.WithinStatutory), strconv.Itoa(l.OverdueNow), csvRate(l),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="statistics-%s.csv"`, calendar.Today()))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// csvRate is the on-time rate for a spreadsheet: a percentage, empty when nothing is finished.
func csvRate(l statisticsLine) string {
	if l.Finished == 0 {
		return ""
	}
	return l.Rate()
}
