package documents

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/workflow"
)

// Certificate is an organisation's current certificate as the public register shows it.
type Certificate struct {
	Title      string    `json:"title"`
	Number     string    `json:"number"`
	IssuedAt   time.Time `json:"issued_at"`
	ValidUntil time.Time `json:"valid_until"` // the last day, midnight in China
	VerifyURL  string    `json:"verify_url"`
}

// Certificate returns the organisation's valid certificate (the latest valid document of a
// certificate layout issued for it), or nil when it has none (an organisation imported from paper).
func (is *Issuer) Certificate(ctx context.Context, db bun.IDB, organisationID int64) (*Certificate, error) {
	var docs []workflow.Document
	err := db.NewSelect().Model(&docs).Where("organisation_id = ? AND status = ? AND verify_code IS NOT NULL",
		organisationID, workflow.DocumentValid).OrderExpr("id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the certificates of organisation %d: %w", organisationID, err)
	}
	for _, d := range docs {
		if tpl, ok := is.cat.Document(d.Kind); ok && tpl.Layout == catalog.LayoutCertificate {
			return &Certificate{Title: d.Title, Number: d.Number, IssuedAt: d.IssuedAt, ValidUntil: validUntil(d.IssuedAt),
				VerifyURL: is.VerifyURL(*d.VerifyCode)}, nil
		}
	}
	return nil, nil
}

// validUntil is the last day of a certificate issued at t: certificateYears later, less a day.
func validUntil(t time.Time) time.Time {
	y, m, d := t.In(calendar.Zone).Date()
	return time.Date(y+certificateYears, m, d-1, 0, 0, 0, 0, calendar.Zone)
}
