// Package demo seeds a fresh installation with demo jurisdictions, one account per role and a
// marriage registration office, so that a newcomer can try every part of CivicFlow at once. Seeding
// twice creates nothing new.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/policies"
)

// Jurisdictions are the demo divisions: Liaoning, two of its cities and one county of Shenyang.
var Jurisdictions = []jurisdictions.Jurisdiction{
	{Code: "210000", NameZH: "辽宁省", NameEN: "Liaoning"},
	{Code: "210100", NameZH: "沈阳市", NameEN: "Shenyang"},
	{Code: "210200", NameZH: "大连市", NameEN: "Dalian"},
	{Code: "210102", NameZH: "和平区", NameEN: "Heping District, Shenyang"},
}

// account is one demo user: a role held in a grant pattern.
type account struct {
	Login, Name, Role, Pattern string
}

// accounts has one account per role; staff sit in Shenyang (city and below) except the province-wide
// administrator and auditor, so that jurisdiction rules can be seen at work.
var demoAccounts = []account{
	{"demo-citizen", "演示公民", policies.Citizen, "*"},
	{"demo-applicant", "演示社会组织申请人", policies.OrgApplicant, "*"},
	{"demo-acceptor", "演示受理人员", policies.Acceptor, "2101*"},
	{"demo-reviewer", "演示审查人员", policies.Reviewer, "2101*"},
	{"demo-approver", "演示审批人员", policies.Approver, "2101*"},
	{"demo-disclosure", "演示信息公开人员", policies.DisclosureOfficer, "21*"},
	{"demo-disclosure-head", "演示信息公开机构负责人", policies.DisclosureHead, "21*"},
	{"demo-publisher", "演示保密审查人员", policies.Publisher, "21*"},
	{"demo-admin", "演示系统管理员", policies.Admin, "21*"},
	{"demo-auditor", "演示监察人员", policies.Auditor, "21*"},
}

// Credential is a demo account created by this run, with its password in clear for printing once.
type Credential struct {
	Login, Password, Role, Pattern string
}

// Seed adds the demo jurisdictions and accounts that do not exist yet, in one transaction, and
// returns the accounts it created. Passwords are random and exist nowhere but in the result.
func Seed(ctx context.Context, db *bun.DB) ([]Credential, error) {
	var created []Credential
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, j := range Jurisdictions {
			if err := jurisdictions.Add(ctx, tx, j.Code, j.NameZH, j.NameEN); err != nil {
				return err
			}
		}
		for _, a := range demoAccounts {
			if _, err := accounts.GetByLogin(ctx, tx, a.Login); err == nil {
				continue
			}
			pw, err := password()
			if err != nil {
				return err
			}
			u, err := accounts.Create(ctx, tx, audit.Actor{Label: "demo"}, accounts.NewUser{Login: a.Login, Password: pw, DisplayName: a.Name})
			if err != nil {
				return fmt.Errorf("creating demo account %s: %w", a.Login, err)
			}
			if err := policies.GrantSystem(ctx, tx, u.ID, a.Role, a.Pattern); err != nil {
				return fmt.Errorf("granting %s to %s: %w", a.Role, a.Login, err)
			}
			created = append(created, Credential{Login: a.Login, Password: pw, Role: a.Role, Pattern: a.Pattern})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seeding demo data: %w", err)
	}
	return created, nil
}

// password returns 16 random characters from an alphabet without look-alikes (no 0/O, 1/l/I).
func password() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("generating password: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}

// Office is the demo marriage registration office, in Heping District of Shenyang, with the usual
// opening hours and seats for every service.
var Office = appointments.OfficeInput{
	Jurisdiction: "210102",
	Name:         lang.Text{ZH: "沈阳市和平区婚姻登记处", EN: "Marriage Registration Office of Heping District, Shenyang"},
	Address:      lang.Text{ZH: "沈阳市和平区南京北街演示路1号", EN: "1 Demo Road, Nanjing North Street, Heping District, Shenyang"},
	Phone:        "024-22345678",
	Capacity:     map[appointments.Service]int{appointments.Marriage: 6, appointments.Divorce: 2, appointments.Replacement: 2},
	Sessions:     []appointments.Session{{Start: "09:00", End: "11:30"}, {Start: "13:30", End: "17:00"}},
	SlotMinutes:  30,
	Active:       true,
}

// SeedOffice creates the demo registration office, as the demo administrator, unless an office
// exists already.
func SeedOffice(ctx context.Context, db bun.IDB, desk *appointments.Desk) error {
	offices, err := desk.Offices(ctx, false)
	if err != nil || len(offices) > 0 {
		return err
	}
	admin, err := accounts.GetByLogin(ctx, db, "demo-admin")
	if err != nil {
		return fmt.Errorf("finding the demo administrator: %w", err)
	}
	if _, err := desk.CreateOffice(ctx, audit.Actor{UserID: admin.ID, Label: admin.Login}, Office); err != nil {
		return fmt.Errorf("creating the demo registration office: %w", err)
	}
	return nil
}
