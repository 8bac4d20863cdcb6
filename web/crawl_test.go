package web_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/web"
)

// target is one address the crawl asks for. When seen is set the answer is checked: 200 to those
// it reports true for, and to everybody else what a missing page answers (404; a login for the
// anonymous).
type target struct {
	path string
	seen func(p *persona) bool
	// public says the route needs no login, so that the anonymous too get 404 for what they may not see.
	public bool
}

// unknownID is an id no seeded record has.
const unknownID = 987654321

// crawlRoutes says how to visit each GET route of the route table: the addresses to ask for, filled
// in from the seeded world. A GET route missing here fails the crawl, so that no page escapes it.
var crawlRoutes = map[string]func(w *crawlWorld) []target{
	"/healthz":                     paths("/healthz"),
	"/readyz":                      paths("/readyz"),
	"/metrics":                     paths("/metrics"),
	"/static/*":                    paths("/static/site.css", "/static/print.js", "/static/nothing.css"),
	"/":                            paths("/", "/?lang=en"),
	"/login":                       paths("/login", "/login?next=/cases"),
	"/messages":                    paths("/messages"),
	"/account":                     paths("/account"),
	"/admin/users":                 paths("/admin/users"),
	"/admin/deliveries":            paths("/admin/deliveries"),
	"/admin/audit":                 paths("/admin/audit"),
	"/admin/catalog":               paths("/admin/catalog"),
	"/admin/calendar":              paths("/admin/calendar", "/admin/calendar?year=2027", "/admin/calendar?year=x"),
	"/admin/statistics":            statisticsPaths("/admin/statistics"),
	"/admin/statistics.csv":        statisticsPaths("/admin/statistics.csv"),
	"/catalog":                     paths("/catalog"),
	"/catalog/:code":               byItem("/catalog/%s"),
	"/catalog/:code/apply":         byItem("/catalog/%s/apply", "?uscc=51210100MJ0000000X"),
	"/catalog/:code/flowchart.svg": byItem("/catalog/%s/flowchart.svg", "?lang=en", "?lang=xx"),
	"/drafts/:code/discard":        byItem("/drafts/%s/discard"),
	"/cases":                       paths("/cases"),
	"/cases/:id":                   byCase("/cases/%d"),
	"/cases/:id/edit": func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf("/cases/%d/edit?action=x", unknownID)}}
		for _, c := range w.cases {
			if c.edit != "" {
				out = append(out, target{path: fmt.Sprintf("/cases/%d/edit", c.ID)}, target{path: fmt.Sprintf("/cases/%d/edit?action=%s", c.ID, c.edit)})
			}
		}
		return out
	},
	"/inbox":                              inboxPaths("/inbox"),
	"/materials/:id":                      byMaterial("/materials/%d"),
	"/documents/:id":                      byDocument("/documents/%d"),
	"/verify":                             paths("/verify", "/verify?code=x", "/verify?code=aaaa+aaaa+aaaa+aaaa"),
	"/verify/:code":                       byVerifyCode("/verify/%s"),
	"/appointments":                       appointmentsPaths,
	"/appointments/offices/:id":           byOffice("/appointments/offices/%d", "", "?service=divorce&day={day}", "?service=divorce&case={appearing}"),
	"/appointments/book":                  bookPaths,
	"/appointments/mine":                  paths("/appointments/mine"),
	"/appointments/mine/:id":              byBooking("/appointments/mine/%d?booked=1&moved=1&cancelled=1", nil),
	"/appointments/mine/:id/calendar.ics": byBooking("/appointments/mine/%d/calendar.ics", ownerOnly),
	"/office/:id/day":                     byOffice("/office/%d/day", "", "?day={first}&checked_in=1", "?day=2999-12-31", "?day=x"),
	"/admin/offices":                      paths("/admin/offices"),
	"/register":                           registerPaths("/register"),
	"/register.csv":                       registerPaths("/register.csv"),
	"/register/:uscc":                     byOrganisation("/register/%s"),
	"/admin/offices/:id":                  byOffice("/admin/offices/%d", "", "?saved=1"),
	"/notices":                            paths("/notices", "/notices?category=licensing&q=%E5%8D%8F%E4%BC%9A&page=1&per_page=1", "/notices?category=x&page=y&per_page=1000"),
	"/notices/feed/:feed":                 paths("/notices/feed/all.atom", "/notices/feed/licensing.atom", "/notices/feed/organisations.atom", "/notices/feed/general.atom", "/notices/feed/x.atom", "/notices/feed/general"),
	"/notices/:id":                        byNotice("/notices/%d", "", "?saved=1", "?done=approve"),
	"/notices/:id/edit":                   byNotice("/notices/%d/edit", ""),
	"/notices/:id/attachments/:file":      byNoticeFile,
	"/admin/notices":                      paths("/admin/notices"),
	"/account/organisations":              paths("/account/organisations", "/account/organisations?done=requested"),
	"/admin/bindings":                     paths("/admin/bindings", "/admin/bindings?status=active&done=approve", "/admin/bindings?status=x"),
	"/bindings/:id/letter":                byBinding("/bindings/%d/letter"),
	"/login/sso/callback":                 paths("/login/sso/callback", "/login/sso/callback?state=x&code=y", "/login/sso/callback?error=access_denied"),
	"/account/sso":                        paths("/account/sso", "/account/sso?linked=1"),

	"/api/v1/openapi.json":      paths("/api/v1/openapi.json"),
	"/api/v1/me":                paths("/api/v1/me"),
	"/api/v1/me/messages":       paths("/api/v1/me/messages"),
	"/api/v1/me/ban":            paths("/api/v1/me/ban"),
	"/api/v1/jurisdictions":     paths("/api/v1/jurisdictions"),
	"/api/v1/calendar/holidays": paths("/api/v1/calendar/holidays", "/api/v1/calendar/holidays?year=2027", "/api/v1/calendar/holidays?year=1"),
	"/api/v1/calendar/due": paths("/api/v1/calendar/due", "/api/v1/calendar/due?from=2026-09-24&days=20&unit=working_days&jurisdiction=210100",
		"/api/v1/calendar/due?from=2026-09-24&days=-1", "/api/v1/calendar/due?from=0001-01-01&days=99999999999999999999&unit=calendar_days"),
	"/api/v1/calendar/overrides":        paths("/api/v1/calendar/overrides", "/api/v1/calendar/overrides?year=2027"),
	"/api/v1/users":                     paths("/api/v1/users"),
	"/api/v1/users/:id/grants":          grantsPaths,
	"/api/v1/deliveries/failed":         paths("/api/v1/deliveries/failed"),
	"/api/v1/audit":                     paths("/api/v1/audit", "/api/v1/audit?object_type=case"),
	"/api/v1/statistics":                statisticsPaths("/api/v1/statistics"),
	"/api/v1/catalog":                   paths("/api/v1/catalog"),
	"/api/v1/catalog/:code":             byItem("/api/v1/catalog/%s"),
	"/api/v1/catalog/:code/form-schema": byItem("/api/v1/catalog/%s/form-schema", "?form=sg_establishment", "?form=x"),
	"/api/v1/drafts/:code":              draftsPaths,
	"/api/v1/materials/:id":             byMaterial("/api/v1/materials/%d"),
	"/api/v1/documents/:id":             byDocument("/api/v1/documents/%d"),
	"/api/v1/verify/:code":              byVerifyCode("/api/v1/verify/%s"),
	"/api/v1/verify-key":                paths("/api/v1/verify-key"),
	"/api/v1/cases":                     paths("/api/v1/cases"),
	"/api/v1/cases/:id":                 byCase("/api/v1/cases/%d"),
	"/api/v1/inbox":                     inboxPaths("/api/v1/inbox"),
	"/api/v1/offices":                   paths("/api/v1/offices"),
	"/api/v1/offices/:id":               byOffice("/api/v1/offices/%d", ""),
	"/api/v1/offices/:id/slots": byOffice("/api/v1/offices/%d/slots", "", "?day={day}&service=marriage",
		"?day={day}&service=divorce&case={appearing}", "?day=1900-01-01&service=marriage", "?day=2999-12-31&service=divorce", "?day=x&service=y"),
	"/api/v1/offices/:id/days":          byOffice("/api/v1/offices/%d/days", "?service=divorce", "?service=divorce&case={appearing}", "?service=y"),
	"/api/v1/offices/:id/day-sheet":     byOffice("/api/v1/offices/%d/day-sheet", "", "?day={first}"),
	"/api/v1/bookings":                  paths("/api/v1/bookings"),
	"/api/v1/bookings/:id":              byBooking("/api/v1/bookings/%d", ownerOrOffice),
	"/api/v1/bookings/:id/calendar.ics": byBooking("/api/v1/bookings/%d/calendar.ics", ownerOnly),
	"/api/v1/register":                  registerPaths("/api/v1/register"),
	"/api/v1/register/:uscc":            byOrganisation("/api/v1/register/%s"),
	"/progress":                         progressPaths("/progress"),
	"/search":                           searchPaths,
	"/api/v1/progress":                  progressPaths("/api/v1/progress"),
	"/api/v1/notices":                   paths("/api/v1/notices", "/api/v1/notices?category=organisations&per_page=1&page=2", "/api/v1/notices?category=x"),
	"/api/v1/notices/:id":               byNotice("/api/v1/notices/%d", ""),

	// Where an application about an organisation starts.
	"/api/v1/catalog/:code/prefill": prefillPaths,

	// Forms: a repeat's list template, a guide's template files.
	"/catalog/:code/tables/:file":    byItem("/catalog/%s/tables/individual_members.csv", "?lang=en", "?form=sg_establishment", "?form=x"),
	"/catalog/:code/templates/:file": byItem("/catalog/%s/templates/model-articles.txt", "?lang=en"),

	// Assignment (承办人) and internal notes.
	"/api/v1/cases/:id/notes":     byCaseForStaff("/api/v1/cases/%d/notes"),
	"/api/v1/cases/:id/reviewers": byCaseUnchecked("/api/v1/cases/%d/reviewers"),

	// The staff desk.
	"/desk":              deskPaths("/desk"),
	"/api/v1/desk/cases": deskPaths("/api/v1/desk/cases"),

	// Organisation bindings.
	"/api/v1/bindings":            paths("/api/v1/bindings"),
	"/api/v1/bindings/review":     paths("/api/v1/bindings/review", "/api/v1/bindings/review?status=active", "/api/v1/bindings/review?status=x"),
	"/api/v1/bindings/:id":        byBinding("/api/v1/bindings/%d"),
	"/api/v1/bindings/:id/letter": byBinding("/api/v1/bindings/%d/letter"),

	// Credit lists: the public lists and an organisation's entries, the staff page.
	"/credit/:list":                 creditPaths("/credit/"),
	"/api/v1/credit/:list":          creditPaths("/api/v1/credit/"),
	"/api/v1/register/:uscc/credit": byOrganisation("/api/v1/register/%s/credit"),
	"/admin/credit":                 paths("/admin/credit", "/admin/credit?removed=1&done=listed"),
	// Part D: annual-report campaigns.
	"/api/v1/campaigns":     paths("/api/v1/campaigns"),
	"/api/v1/campaigns/:id": paths("/api/v1/campaigns/1", "/api/v1/campaigns/999999", "/api/v1/campaigns/x"),
	// Part D2: the campaign pages.
	"/admin/campaigns":     paths("/admin/campaigns"),
	"/admin/campaigns/new": paths("/admin/campaigns/new"),
	"/admin/campaigns/:id": paths("/admin/campaigns/1", "/admin/campaigns/1?done=opened", "/admin/campaigns/1?done=published", "/admin/campaigns/999999", "/admin/campaigns/x"),

	// Part C (issue 13): consultations, complaints and suggestions (inquiries_test.go).
	"/inquiries/new":                paths("/inquiries/new", "/inquiries/new?kind=complaint&jurisdiction=210100&item=marriage-registration", "/inquiries/new?kind=x&jurisdiction=y&item=z"),
	"/inquiries/track":              inquiryTrackPaths("/inquiries/track"),
	"/inquiries/mine":               paths("/inquiries/mine"),
	"/inquiries/mine/:id":           byInquiry("/inquiries/mine/%d", true),
	"/qa":                           qaPaths("/qa"),
	"/admin/inquiries":              paths("/admin/inquiries", "/admin/inquiries?answered=1&year=2026", "/admin/inquiries?year=x"),
	"/admin/inquiries/publication":  paths("/admin/inquiries/publication", "/admin/inquiries/publication?done=published"),
	"/admin/inquiries/:id":          byInquiry("/admin/inquiries/%d", false),
	"/api/v1/inquiries":             paths("/api/v1/inquiries", "/api/v1/inquiries?answered=1"),
	"/api/v1/inquiries/mine":        paths("/api/v1/inquiries/mine"),
	"/api/v1/inquiries/track":       inquiryTrackPaths("/api/v1/inquiries/track"),
	"/api/v1/inquiries/statistics":  paths("/api/v1/inquiries/statistics", "/api/v1/inquiries/statistics?year=2026&jurisdiction=2101", "/api/v1/inquiries/statistics?year=x&jurisdiction=y"),
	"/api/v1/inquiries/publication": paths("/api/v1/inquiries/publication"),
	"/api/v1/inquiries/:id":         byInquiry("/api/v1/inquiries/%d", false),
	"/api/v1/qa":                    qaPaths("/api/v1/qa"),
	// The annual disclosure report (disclosure_report_test.go).
	"/admin/disclosure/report":  disclosureReportPaths("/admin/disclosure/report"),
	"/api/v1/disclosure/report": disclosureReportPaths("/api/v1/disclosure/report"),
	// Information on request (依申请公开).
	"/disclosure":                 paths("/disclosure"),
	"/api/v1/disclosure/requests": paths("/api/v1/disclosure/requests"),

	// Accounts: sign-up, password reset, sessions.
	"/signup":                 paths("/signup", "/signup?kind=org_applicant", "/signup?kind=x"),
	"/signup/confirm":         paths("/signup/confirm", "/signup/confirm?phone=13800138000&kind=citizen", "/signup/confirm?phone=x&kind=y"),
	"/password/reset":         paths("/password/reset"),
	"/password/reset/confirm": paths("/password/reset/confirm", "/password/reset/confirm?phone=13800138000"),
	"/account/security":       paths("/account/security", "/account/security?changed=1", "/account/security?ended=x"),
	"/api/v1/me/sessions":     paths("/api/v1/me/sessions"),

	// Part E (issue 13): 征求意见, drafts put to public comment.
	"/consultations":                       paths("/consultations", "/consultations?state=open&page=1&per_page=1", "/consultations?state=x&page=y&per_page=1000"),
	"/consultations/:id":                   byConsultation("/consultations/%d", false, "?done=comment"),
	"/consultations/:id/attachments/:file": byConsultationFile,
	"/admin/consultations":                 paths("/admin/consultations"),
	"/admin/consultations/:id":             byConsultation("/admin/consultations/%d", true, "?done=report_approve"),
	"/api/v1/consultations":                paths("/api/v1/consultations", "/api/v1/consultations?state=closed&per_page=1&page=2", "/api/v1/consultations?state=x"),
	"/api/v1/consultations/:id":            byConsultation("/api/v1/consultations/%d", false),
	// Issue 13 part D: 好差评 — the public statistics, staff's pages, the rater's API.
	"/ratings":                    ratingStatsPaths("/ratings"),
	"/ratings/statistics.csv":     ratingStatsPaths("/ratings/statistics.csv"),
	"/api/v1/ratings/statistics":  ratingStatsPaths("/api/v1/ratings/statistics"),
	"/staff/ratings":              paths("/staff/ratings"),
	"/admin/ratings":              paths("/admin/ratings", "/admin/ratings?closed=1"),
	"/admin/ratings/:id":          paths("/admin/ratings/1", "/admin/ratings/1?done=callback", fmt.Sprintf("/admin/ratings/%d", unknownID), "/admin/ratings/x"),
	"/api/v1/cases/:id/rating":    byCaseApplicant("/api/v1/cases/%d/rating"),
	"/api/v1/bookings/:id/rating": byBooking("/api/v1/bookings/%d/rating", ownerOnly),
}

// ratingStatsPaths asks for the public statistics of ratings: this year, a year and a jurisdiction,
// and invalid ones; everybody sees them.
func ratingStatsPaths(path string) func(*crawlWorld) []target {
	return func(*crawlWorld) []target {
		return []target{{path: path, seen: everybody, public: true}, {path: path + "?year=2026&jurisdiction=2101", seen: everybody, public: true},
			{path: path + "?year=x&jurisdiction=y"}, {path: path + "?year=1&jurisdiction=2101000"}}
	}
}

// byCaseApplicant visits every seeded case, seen by its applicant only, and one that does not exist.
func byCaseApplicant(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody}}
		for _, c := range w.cases {
			out = append(out, target{path: fmt.Sprintf(format, c.ID), seen: func(p *persona) bool { return p.id != 0 && p.id == c.ApplicantID }})
		}
		return out
	}
}

// paths visits the addresses as they are.
func paths(addresses ...string) func(*crawlWorld) []target {
	return func(*crawlWorld) []target {
		out := make([]target, len(addresses))
		for i, p := range addresses {
			out[i] = target{path: p}
		}
		return out
	}
}

// fill replaces {day}, {first} and {appearing} in a query by the world's values.
func (w *crawlWorld) fill(query string) string {
	return strings.NewReplacer("{day}", w.day, "{first}", w.firstDay, "{appearing}", fmt.Sprint(w.appearing)).Replace(query)
}

func statisticsPaths(path string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		return paths(path, path+"?from=2026-01-01&to=2027-12-31&item="+sgItem+"&sort=overdue&overdue=1",
			path+"?sort=on_time", path+"?from=x&to=2026-02-30")(w)
	}
}

func inboxPaths(path string) func(*crawlWorld) []target {
	return paths(path, path+"?item="+sgItem+"&state=prep_review&overdue=1&sort=due", path+"?item=x&state=y")
}

// registerPaths searches the register with every filter, page by page, and with invalid filters.
func registerPaths(path string) func(*crawlWorld) []target {
	return paths(path, path+"?q=%E5%8D%8F%E4%BC%9A", path+"?q=%E4%BC%9A&kind=social_group&status=active&jurisdiction=210000&year=2026&page=2&per_page=1",
		path+"?uscc=51210100MJ0000000X", path+"?q=%25_&page=x&per_page=1000&year=1&kind=x&status=y&jurisdiction=z&uscc=%27")
}

// byOrganisation visits every organisation on the register, which everybody sees, and a code that
// is on no register.
func byOrganisation(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, "51210100MJ0000000X")}, {path: fmt.Sprintf(format, "x")}}
		for _, c := range w.cases {
			if uscc, ok := c.Fields["uscc"].(string); ok {
				out = append(out, target{path: fmt.Sprintf(format, uscc), seen: everybody})
			}
		}
		return out
	}
}

// prefillPaths asks every item's prefill for each seeded organisation, one that does not exist, a
// malformed code and none.
func prefillPaths(w *crawlWorld) []target {
	var queries []string
	for _, org := range byOrganisation("?uscc=%s")(w) {
		queries = append(queries, org.path)
	}
	return byItem("/api/v1/catalog/%s/prefill", queries...)(w)
}

func everybody(*persona) bool { return true }

// creditPaths searches both credit lists, with every filter and with invalid ones, and a list that
// does not exist.
func creditPaths(prefix string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: prefix + "grey", seen: nobody, public: true}}
		for _, list := range []string{"abnormal", "serious"} {
			out = append(out, target{path: prefix + list, seen: everybody},
				target{path: prefix + list + "?q=%E5%8D%8F%E4%BC%9A&jurisdiction=210100&page=1&per_page=1", seen: everybody},
				target{path: prefix + list + "?q=%25_&jurisdiction=x&page=y&per_page=1000"})
		}
		return out
	}
}

// searchPaths searches for an organisation's and an item's words, for LIKE's wildcards and for too
// long a query.
func searchPaths(w *crawlWorld) []target {
	return paths("/search", "/search?q=%E5%8D%8F%E4%BC%9A", "/search?q=%E5%A9%9A%E5%A7%BB&lang=en", "/search?q=%25_",
		"/search?q="+strings.Repeat("%E5%8D%8F", 51))(w)
}

// progressPaths looks every case up by its number and code, with a wrong code and without input.
// The answers are not checked: wrong lookups of the crawl throttle its address before it ends.
func progressPaths(path string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := paths(path, path+"?number=x&code=", path+"?number=210100-2026-000001&code=AAAAAA")(w)
		for _, c := range w.cases {
			out = append(out, target{path: path + "?number=" + c.Number + "&code=" + strings.ToLower(c.QueryCode)})
		}
		return out
	}
}

// byNotice visits every notice of the world: a public one anybody reads (the API shows only those),
// one not yet public only staff reading notices in its jurisdiction; the edit form is checked only
// for its status code not being a server error, as what it answers depends on the notice's state.
func byNotice(format string, queries ...string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		edit := strings.HasSuffix(format, "/edit")
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody, public: true}}
		if edit {
			out[0] = target{path: out[0].path}
		}
		for _, n := range w.notices {
			for _, q := range queries {
				t := target{path: fmt.Sprintf(format, n.ID) + q, public: true}
				switch {
				case edit:
				case strings.HasPrefix(format, "/api/"):
					t.seen = func(*persona) bool { return n.Public() }
				default:
					t.seen = func(p *persona) bool { return n.Public() || p.readsIn("notice", n.Jurisdiction) }
				}
				out = append(out, t)
			}
		}
		return out
	}
}

// byItem visits every item of the catalogue and one that does not exist, with each query.
func byItem(format string, queries ...string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		var out []target
		codes := []string{"no-such-item"}
		for _, it := range w.items {
			codes = append(codes, it.Code)
		}
		for _, code := range codes {
			for _, q := range append([]string{""}, queries...) {
				out = append(out, target{path: fmt.Sprintf(format, code) + q})
			}
		}
		return out
	}
}

// byCase visits every seeded case, checking who sees it, and one that does not exist.
func byCase(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody}}
		for _, c := range w.cases {
			out = append(out, target{path: fmt.Sprintf(format, c.ID), seen: func(p *persona) bool { return w.caseSeen(p, c.Case) }})
		}
		return out
	}
}

func nobody(*persona) bool { return false }

// byCaseForStaff visits every seeded case, checking that only staff reading cases in its
// jurisdiction see what the address shows (internal notes): never its applicant or parties.
func byCaseForStaff(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody}}
		for _, c := range w.cases {
			out = append(out, target{path: fmt.Sprintf(format, c.ID), seen: func(p *persona) bool {
				return p.readsIn("case", c.Jurisdiction) && p.id != c.ApplicantID && !slices.Contains(c.Parties, p.id)
			}})
		}
		return out
	}
}

// byCaseUnchecked visits every seeded case and one that does not exist, checking only that nothing
// fails: who gets 403 rather than 404 depends on the route's permission.
func byCaseUnchecked(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID)}}
		for _, c := range w.cases {
			out = append(out, target{path: fmt.Sprintf(format, c.ID)})
		}
		return out
	}
}

// byMaterial visits a material attached to a case, loose ones of two applicants, and none.
func byMaterial(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody}}
		for _, m := range w.materials {
			out = append(out, target{path: fmt.Sprintf(format, m.id), seen: func(p *persona) bool {
				if p.id == m.owner {
					return true
				}
				for _, c := range w.cases {
					if c.ID == m.caseID {
						return w.caseSeen(p, c.Case)
					}
				}
				return false
			}})
		}
		return out
	}
}

// byDocument visits every issued document, seen by those who see its case, and none.
func byDocument(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody}}
		for _, d := range w.documents {
			out = append(out, target{path: fmt.Sprintf(format, d.ID), seen: func(p *persona) bool {
				for _, c := range w.cases {
					if c.ID == d.CaseID {
						return d.VerifyCode != nil && w.caseSeen(p, c.Case)
					}
				}
				return false
			}})
		}
		return out
	}
}

// byVerifyCode visits the verification page of every rendered document, which anyone sees, and of
// codes that are unknown or malformed (404 for everybody, which TestEstablishmentFlowThroughTheAPI
// checks).
func byVerifyCode(format string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, "AAAAAAAAAAAAAAAA")}, {path: fmt.Sprintf(format, "x")}}
		for _, d := range w.documents {
			if d.VerifyCode != nil {
				out = append(out, target{path: fmt.Sprintf(format, *d.VerifyCode), seen: everybody})
			}
		}
		return out
	}
}

// byOffice visits every office and one that does not exist with the first query, and the office
// with bookings (Heping's) with each other query too.
func byOffice(format string, queries ...string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		var out []target
		for _, id := range append(slices.Clone(w.offices), unknownID) {
			out = append(out, target{path: fmt.Sprintf(format, id) + w.fill(queries[0])})
		}
		for _, q := range queries[1:] {
			out = append(out, target{path: fmt.Sprintf(format, w.heping) + w.fill(q)})
		}
		return out
	}
}

// ownerOnly and ownerOrOffice say who sees a booking: its owner, and staff reading appointments in
// the office's jurisdiction.
func ownerOnly(p *persona, b crawlBooking) bool { return p.id == b.owner }

func ownerOrOffice(p *persona, b crawlBooking) bool {
	return p.id == b.owner || p.readsIn("appointment", b.jurisdiction)
}

// byBooking visits every booking (the citizen's and others', of every status) and one that does not
// exist, checking who sees it when seen is set.
func byBooking(format string, seen func(*persona, crawlBooking) bool) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID)}}
		for _, b := range w.bookings {
			t := target{path: fmt.Sprintf(format, b.id)}
			if seen != nil {
				t.seen = func(p *persona) bool { return seen(p, b) }
			}
			out = append(out, t)
		}
		if seen != nil {
			out[0].seen = nobody
		}
		return out
	}
}

func appointmentsPaths(w *crawlWorld) []target {
	return paths("/appointments", "/appointments?service=marriage", w.fill("/appointments?service=divorce&case={appearing}"),
		fmt.Sprintf("/appointments?case=%d", unknownID), "/appointments?case=x")(w)
}

func bookPaths(w *crawlWorld) []target {
	q := fmt.Sprintf("/appointments/book?office=%d&day=%s&start=09:00", w.heping, w.day)
	return paths("/appointments/book", q+"&service=marriage", q+"&service=divorce&case="+fmt.Sprint(w.appearing),
		fmt.Sprintf("/appointments/book?office=%d&service=y&day=x&start=z", unknownID))(w)
}

func grantsPaths(w *crawlWorld) []target {
	var out []target
	for _, id := range append(slices.Clone(w.users), unknownID) {
		out = append(out, target{path: fmt.Sprintf("/api/v1/users/%d/grants", id)})
	}
	return out
}

func draftsPaths(w *crawlWorld) []target {
	out := byItem("/api/v1/drafts/%s", "?case_id=x")(w)
	for _, c := range w.cases {
		if c.edit != "" {
			out = append(out, target{path: fmt.Sprintf("/api/v1/drafts/%s?case_id=%d", c.ItemCode, c.ID)})
		}
	}
	return out
}

// uncrawled lists what is wrong with crawlRoutes for the route table: a GET route it does not know
// how to visit, an entry that is no GET route.
func uncrawled(routes []web.Route) []string {
	var wrong []string
	known := map[string]bool{}
	for _, r := range routes {
		if r.Method != http.MethodGet {
			continue
		}
		known[r.Path] = true
		if _, ok := crawlRoutes[r.Path]; !ok {
			wrong = append(wrong, fmt.Sprintf("GET %s (%s) is in the route table, but the crawl does not know how to visit it: add it to crawlRoutes", r.Path, r.Permission))
		}
	}
	for path := range crawlRoutes {
		if !known[path] {
			wrong = append(wrong, fmt.Sprintf("crawlRoutes has %s, which is no GET route of the table", path))
		}
	}
	slices.Sort(wrong)
	return wrong
}

// crawlTargets fills in the addresses of every GET route of the table that crawlRoutes knows.
func crawlTargets(routes []web.Route, w *crawlWorld) []target {
	var out []target
	for _, r := range routes {
		if fill, ok := crawlRoutes[r.Path]; ok && r.Method == http.MethodGet {
			out = append(out, fill(w)...)
		}
	}
	return out
}

// A GET route added to the table without a way to visit it in crawlRoutes fails the crawl; a POST
// route does not concern it.
func TestCrawlKnowsEveryGETRoute(t *testing.T) {
	routes := append(startSite(t, stacktest.SQLite(t)).srv.Routes(),
		web.Route{Method: http.MethodGet, Path: "/new/:id", Permission: web.LoggedIn},
		web.Route{Method: http.MethodPost, Path: "/new/:id", Permission: web.LoggedIn})
	if wrong := uncrawled(routes); len(wrong) != 1 || !strings.Contains(wrong[0], "GET /new/:id") {
		t.Fatalf("what the crawl says of a GET route it does not know: %q", wrong)
	}
}

// The crawl: every GET route of the route table, as every kind of visitor, over a database with
// cases in every state of every built-in item, bookings of every status, offices, materials, drafts
// and messages, with a browser's Accept, with JSON's, and as HEAD. No answer may be a 5xx, and who may
// see a case, a booking or a material sees it while everybody else is told it does not exist.
func TestCrawlEveryGETRoute(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		w := seedCrawlWorld(t, st)
		checkEveryState(t, w)
		for _, msg := range uncrawled(st.srv.Routes()) {
			t.Error(msg)
		}
		targets := crawlTargets(st.srv.Routes(), w)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{MaxIdleConnsPerHost: len(w.personas)}}
		for _, p := range w.personas {
			t.Run(p.name, func(t *testing.T) {
				t.Parallel()
				for _, tg := range targets {
					for _, way := range p.ways(tg.path) {
						status := way.send(t, client, st.base, p, tg.path)
						if status >= 500 {
							t.Errorf("%s %s as %s: %d", way.name, tg.path, p.name, status)
						} else if tg.seen != nil {
							if want := way.expect(p, tg); status != want {
								t.Errorf("%s %s as %s: %d, want %d", way.name, tg.path, p.name, status, want)
							}
						}
					}
				}
			})
		}
	})
}

// crawlWay is one way the crawl asks for an address.
type crawlWay struct {
	name   string
	method string
	accept string
	// bearer sends the persona's token instead of its session cookie.
	bearer bool
}

// The ways of the crawl: a browser with its session, an API client with its token, and HEAD.
var (
	browserWay = crawlWay{name: "GET (browser)", method: http.MethodGet, accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	jsonWay    = crawlWay{name: "GET (JSON)", method: http.MethodGet, accept: "application/json", bearer: true}
	headWay    = crawlWay{name: "HEAD", method: http.MethodHead, accept: "text/html,*/*;q=0.8"}
)

// ways are the ways the persona asks for the address: the way of its kind (a browser for a page, an
// API client for the API), and for personas crawling all ways, every way. Asking every address in
// three ways as every persona would take a minute: the ways change how answers are written, the
// personas what they hold.
func (p *persona) ways(path string) []crawlWay {
	switch {
	case p.allWays:
		return []crawlWay{browserWay, jsonWay, headWay}
	case strings.HasPrefix(path, "/api/"):
		return []crawlWay{jsonWay}
	}
	return []crawlWay{browserWay}
}

// send asks for the path as the persona and returns the status.
func (v crawlWay) send(t *testing.T, client *http.Client, base string, p *persona, path string) int {
	t.Helper()
	req, err := http.NewRequest(v.method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", v.accept)
	switch {
	case p.id == 0:
	case v.bearer:
		req.Header.Set("Authorization", "Bearer "+p.token)
	default:
		req.AddCookie(&http.Cookie{Name: "cf_session", Value: p.session})
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", v.name, path, p.name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// expect is the status a checked target answers the persona: 200 if it sees the record; else 404,
// or for the anonymous a login (a redirect to the login page for a browser asking for a page).
func (v crawlWay) expect(p *persona, tg target) int {
	switch {
	case tg.seen(p):
		return http.StatusOK
	case p.id != 0 || tg.public:
		return http.StatusNotFound
	case !v.bearer && !strings.HasPrefix(tg.path, "/api/"):
		return http.StatusSeeOther
	}
	return http.StatusUnauthorized
}

// checkEveryState fails the test unless the world has a case in every state of every built-in item.
func checkEveryState(t *testing.T, w *crawlWorld) {
	t.Helper()
	have := map[string]bool{}
	for _, c := range w.cases {
		have[c.ItemCode+" "+c.State] = true
	}
	for _, it := range w.items {
		for _, s := range it.Workflow.States {
			if !have[it.Code+" "+s.ID] {
				t.Errorf("no seeded case of %s is in state %s: seed one in crawl_seed_test.go", it.Code, s.ID)
			}
		}
	}
}

// deskPaths visits the desk's search: everything, a search with every filter, and bad filters.
func deskPaths(base string) func(*crawlWorld) []target {
	return paths(base, base+"?name=%E5%8D%8F%E4%BC%9A&number=2101&status=closed&overdue=1&received_from=2026-01-01&received_to=2099-12-31&page=1&per_page=5",
		base+"?item=social-group-establishment&state=prep_review&credit_code=51210100mj0000001x",
		base+"?item=x&state=X&status=y&credit_code=z&received_from=y&received_to=2026-13-01&page=z&per_page=1000")
}
