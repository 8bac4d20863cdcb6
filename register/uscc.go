package register

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/sequences"
)

// OrgCodePrefix starts the organisation-code body of every code this installation issues. Real
// bodies are allocated by the national code-assignment system, which this installation does not reach;
// it numbers its own, and the prefix ("CF", for CivicFlow) marks them so that they are easy to tell
// from, and unlikely to collide with, real codes imported into the register (the database's unique
// constraint on uscc catches any collision that does occur). Both letters are valid in GB 11714 and
// GB 32100.
const OrgCodePrefix = "CF"

// OrgCodeSequence is the one installation-wide sequence the bodies are numbered from. One sequence
// for every division and kind keeps the body alone unique, as organisation codes are nationwide.
const OrgCodeSequence = "orgcode"

// orgCodeDigits is how many decimal digits follow the prefix: 8 characters in all before the check.
const orgCodeDigits = 8 - len(OrgCodePrefix)

// maxOrgCodeNumber is the largest number the body can hold (999,999 organisations per installation).
const maxOrgCodeNumber = 999_999

// NewUSCC issues a unified social credit code (GB 32100-2015) for an organisation of kind registered
// in division: "5" (civil affairs), the kind's type digit, the six-digit division code, the nine-
// character organisation code (OrgCodePrefix, a number from the sequence OrgCodeSequence, the GB 11714
// check character) and the GB 32100 check character. Call it inside the transaction that stores the
// organisation, so that a rollback returns the number.
func NewUSCC(ctx context.Context, tx bun.IDB, kind, division string) (string, error) {
	digit, ok := kindDigits[kind]
	if !ok {
		return "", fmt.Errorf("issuing a credit code: unknown organisation kind %q", kind)
	}
	if !jurisdictions.ValidCode(division) {
		return "", fmt.Errorf("issuing a credit code: %q is not a six-digit division code", division)
	}
	n, err := sequences.Next(ctx, tx, OrgCodeSequence)
	if err != nil {
		return "", fmt.Errorf("issuing a credit code: %w", err)
	}
	if n < 1 || n > maxOrgCodeNumber {
		return "", fmt.Errorf("issuing a credit code: organisation code number %d is outside 1..%d", n, maxOrgCodeNumber)
	}
	body := fmt.Sprintf("%s%0*d", OrgCodePrefix, orgCodeDigits, n)
	orgCheck, err := forms.OrgCodeCheckChar(body)
	if err != nil {
		return "", fmt.Errorf("issuing a credit code: %w", err)
	}
	first17 := "5" + string(digit) + division + body + string(orgCheck)
	check, err := forms.USCCCheckChar(first17)
	if err != nil {
		return "", fmt.Errorf("issuing a credit code: %w", err)
	}
	return first17 + string(check), nil
}
