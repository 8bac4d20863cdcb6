// Package effects binds the Go side of the catalogue's procedures to the workflow engine: the effects
// that definitions `run:` by name, the checks of a start about an organisation, the documents' issuer
// and the annual reports' hand-over of non-filers to the credit lists. serve, the worker and the tests
// all wire an engine through Wire, so that none of them can miss an effect another has.
package effects

import (
	"sync"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// missedOnce sets the package-level hook of the annual reports once, however many engines a process
// wires (the tests start many sites at once).
var missedOnce sync.Once

// Wire registers every Go effect, the checks of bound applicants and of the credit lists, and the
// issuer of documents on engine.
func Wire(engine *workflow.Engine, issuer *documents.Issuer, cat *catalog.Catalog) {
	fx := notices.Effects{Issuer: issuer, Catalog: cat}
	engine.SetBoundCheck(register.CheckBound)
	engine.SetListedCheck(credit.CheckNotListed)
	engine.SetIssuer(issuer.Issue)
	for name, fn := range map[string]workflow.EffectFunc{
		"register.create_organisation":     register.CreateOrganisationEffect,
		"register.apply_change":            register.ApplyChangeEffect,
		register.EffectDeregister:          register.DeregisterEffect,
		register.EffectRecordFiling:        register.RecordFilingEffect,
		register.EffectRecordTerm:          register.RecordTermEffect,
		register.EffectRecordEvaluation:    register.RecordEvaluationEffect,
		documents.EffectRevokeCertificates: issuer.RevokeCertificatesEffect,
		credit.EffectRemoveAbnormal:        credit.RemoveAbnormalEffect,
		notices.EffectEstablishment:        fx.Establishment,
		notices.EffectChange:               fx.Change,
		notices.EffectLicence:              fx.LicenceDecision,
		notices.EffectDeregistration:       fx.Deregistration,
		notices.EffectEvaluationPublicity:  fx.EvaluationPublicity,
		notices.EffectEvaluationResult:     fx.EvaluationResult,
		disclosure.EffectReceived:          disclosure.ReceivedEffect,
		disclosure.EffectClosed:            disclosure.ClosedEffect,
		disclosure.EffectFee:               disclosure.FeeEffect,
	} {
		engine.RegisterEffect(name, fn)
	}
	annualreport.Register(engine)
	missedOnce.Do(func() { annualreport.OnMissed = credit.ListForMissedReport }) // non-filers go on the 活动异常名录
}
