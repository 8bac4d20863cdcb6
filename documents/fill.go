package documents

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// certificateYears is how long a registration certificate is valid: five years, as the
// 社会团体法人登记证书 is printed.
const certificateYears = 5

// fill builds the data a template's texts see (docs/catalog.md lists it) and returns the register's
// organisation of the case when there is one, found by the case's credit code: the one a registration
// issued, or the one an application about an organisation names.
func fill(ctx context.Context, tx bun.IDB, c *workflow.Case, item *catalog.Item, auth Authority, number string,
	now time.Time) (map[string]any, *register.Organisation, error) {
	applicant, err := applicantName(ctx, tx, c, item)
	if err != nil {
		return nil, nil, err
	}
	j, err := jurisdictions.Get(ctx, tx, c.Jurisdiction)
	if err != nil {
		return nil, nil, err
	}
	f := map[string]any{
		"number":      number,
		"date":        chineseDate(now),
		"valid_until": chineseDate(validUntil(now)),
		"applicant":   applicant,
		"case": map[string]any{"number": c.Number, "item": item.Name.ZH, "submitted": chineseDate(c.CreatedAt),
			"jurisdiction": j.NameZH, "query_code": c.QueryCode, "state": item.StateName(c.State, "zh-CN")},
		"fields":    workflow.PublicFields(c.Fields, item),
		"data":      c.Data,
		"authority": map[string]any{"name": auth.Name, "abbreviation": auth.Abbreviation, "review_body": auth.ReviewBody, "court": auth.Court},
	}
	if s := c.Supplement; s != nil {
		items := make([]string, len(s.Items))
		for i, id := range s.Items {
			items[i] = workflow.ItemLabel(item, s.Form, id).ZH
		}
		f["supplement"] = map[string]any{"notice": s.Notice, "items": items}
	}
	org, err := register.ForCase(ctx, tx, c)
	if err != nil || org == nil {
		return f, nil, err
	}
	if item.About == catalog.AboutOrganisation { // addressed to the organisation as registered, not as the form proposes
		f["applicant"] = org.Name
	}
	p := org.Particulars()
	f["organisation"] = map[string]any{"name": org.Name, "uscc": org.USCC, "domicile": org.Domicile,
		"legal_representative": org.LegalRepresentative, "business_scope": p.BusinessScope.ZH,
		"activity_area": p.ActivityArea.ZH, "funds": cmp.Or(fundsInWan(c, item), p.Funds.ZH), "sponsor_unit": p.SponsorUnit.ZH,
		"registered": chineseDate(org.RegisteredAt)}
	return f, org, nil
}

// fundsInWan is the activity funds of the application as a certificate prints them, in 万元 (3万元,
// 3.05万元), from the latest form that has them, as the register takes its particulars; "" when
// none has (then the register's text is printed).
func fundsInWan(c *workflow.Case, item *catalog.Item) string {
	ids := item.FormIDs()
	for i := len(ids) - 1; i >= 0; i-- {
		values, _ := c.Data[ids[i]].(map[string]any)
		if fd, ok := item.Forms[ids[i]].Field("funds"); ok {
			if s, ok := fd.InWanYuan(values["funds"]); ok {
				return s
			}
		}
	}
	return ""
}

// applicantName is whom a document addresses: the organisation the application names (the name
// field of its first form that has one), else the applicant account's name.
func applicantName(ctx context.Context, tx bun.IDB, c *workflow.Case, item *catalog.Item) (string, error) {
	for _, id := range item.FormIDs() {
		if values, ok := c.Data[id].(map[string]any); ok {
			if n, ok := values["name"].(string); ok && n != "" {
				return n, nil
			}
		}
	}
	names, err := accounts.Names(ctx, tx, []int64{c.ApplicantID})
	return names[c.ApplicantID], err
}

// chineseDate writes the day of t in China as documents do: 2026年12月7日.
func chineseDate(t time.Time) string {
	t = t.In(calendar.Zone)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// text executes one template text over the fill data; a missing value prints nothing.
func text(src string, f map[string]any) (string, error) {
	if src == "" {
		return "", nil
	}
	t, err := parsedText(src)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, f); err != nil {
		return "", err
	}
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

// parsedTexts holds the texts of the templates parsed, by source: they are the catalogue's, a
// bounded set, and a document's are executed on every draw of every document of its kind.
var parsedTexts sync.Map

// parsedText is src parsed, from parsedTexts once it has been (a parsed template executes safely
// in several goroutines at once).
func parsedText(src string) (*template.Template, error) {
	if t, ok := parsedTexts.Load(src); ok {
		return t.(*template.Template), nil
	}
	t, err := catalog.ParseDocumentText("text", src)
	if err != nil {
		return nil, err
	}
	parsedTexts.Store(src, t)
	return t, nil
}
