package policies

// Role is one of the roles a user can hold, with its names for people.
type Role struct {
	Name    string // as used in policies and grants, e.g. "acceptor"
	LabelZH string
	LabelEN string
}

// Label returns the role's name for people in a locale ("en", anything else for Chinese).
func (r Role) Label(locale string) string {
	if locale == "en" {
		return r.LabelEN
	}
	return r.LabelZH
}

// The role names, for code that refers to one role.
const (
	Citizen           = "citizen"
	OrgApplicant      = "org_applicant"
	Acceptor          = "acceptor"
	Reviewer          = "reviewer"
	Approver          = "approver"
	DisclosureOfficer = "disclosure_officer"
	DisclosureHead    = "disclosure_head"
	Publisher         = "publisher"
	Admin             = "admin"
	Auditor           = "auditor"
)

// Roles lists every role in the order pages show them: the public's roles first, then staff along
// the way a case travels, then administration and oversight.
var Roles = []Role{
	{Citizen, "个人用户", "Citizen"},
	{OrgApplicant, "社会组织申请人", "Organisation applicant"},
	{Acceptor, "受理人员", "Acceptance clerk"},
	{Reviewer, "审查人员", "Case officer"},
	{Approver, "审批决定人员", "Approving officer"},
	{DisclosureOfficer, "政府信息公开工作人员", "Disclosure officer"},
	{DisclosureHead, "政府信息公开工作机构负责人", "Head of the disclosure office"},
	{Publisher, "保密审查人员", "Publication reviewer"},
	{Admin, "系统管理员", "System administrator"},
	{Auditor, "监察人员", "Auditor"},
}

// RoleByName returns the role called name, so that callers can reject names that are not roles.
func RoleByName(name string) (Role, bool) {
	for _, r := range Roles {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

// StaffRole reports whether name is a role held by staff in a jurisdiction. Citizens and
// organisation applicants act for themselves, everywhere (grant pattern "*"), and are not staff;
// neither is a name that is no role at all.
func StaffRole(name string) bool {
	_, ok := RoleByName(name)
	return ok && name != Citizen && name != OrgApplicant
}
