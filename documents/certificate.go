package documents

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/register"
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

// Certificate returns the organisation's valid registration certificate (the latest valid document of
// a template marked registration issued for it), or nil when it has none (an organisation imported from paper).
func (is *Issuer) Certificate(ctx context.Context, db bun.IDB, organisationID int64) (*Certificate, error) {
	var docs []workflow.Document
	err := db.NewSelect().Model(&docs).Where("organisation_id = ? AND status = ? AND verify_code IS NOT NULL",
		organisationID, workflow.DocumentValid).OrderExpr("id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the certificates of organisation %d: %w", organisationID, err)
	}
	for _, d := range docs {
		if tpl, ok := is.cat.Document(d.Kind); ok && tpl.Registration {
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

// EffectRevokeCertificates is the name of the workflow effect RevokeCertificatesEffect.
const EffectRevokeCertificates = "documents.revoke_certificates"

// RevokeCertificatesEffect is the workflow effect EffectRevokeCertificates of a deregistration (注销登记):
// the valid certificates of the organisation the case is about become revoked, which their
// verification pages say from then on; the documents stay, as issued and signed.
func (is *Issuer) RevokeCertificatesEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, _ *catalog.Item) error {
	o, err := register.Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	var docs []workflow.Document
	err = tx.NewSelect().Model(&docs).Column("id", "kind").Where("organisation_id = ? AND status = ?", o.ID, workflow.DocumentValid).Scan(ctx)
	if err != nil {
		return fmt.Errorf("reading the certificates of %s: %w", o.USCC, err)
	}
	var ids []int64
	for _, d := range docs {
		if tpl, ok := is.cat.Document(d.Kind); ok && tpl.Layout == catalog.LayoutCertificate {
			ids = append(ids, d.ID)
		}
	}
	if len(ids) == 0 {
		return nil // an organisation taken over from paper has none here
	}
	_, err = tx.NewUpdate().Model((*workflow.Document)(nil)).Set("status = ?", workflow.DocumentRevoked).
		Where("id IN (?)", bun.List(ids)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoking the certificates of %s: %w", o.USCC, err)
	}
	return nil
}
