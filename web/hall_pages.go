package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// The home page as a service hall (网上办事大厅): one search over service items, the register and
// notices, entrances for organisations (法人办事) and citizens (个人办事) from the items' audience,
// the latest notices, the hotline and the progress lookup. It offers only procedures that exist:
// the entrances list the catalogue's items, nothing else.

// homeNotices is how many of the latest notices the home page lists.
const homeNotices = 5

// hallEntrance is an entrance of the home page: the items serving one audience.
type hallEntrance struct {
	Audience string
	Items    []*catalog.Item
}

// home is the service hall.
func (s *Server) home(c *fiber.Ctx) error {
	v := s.view(c, "nav_home")
	var entrances []hallEntrance
	for _, a := range catalog.Audiences {
		if items := s.Catalog.ForAudience(a); len(items) > 0 {
			entrances = append(entrances, hallEntrance{Audience: a, Items: items})
		}
	}
	latest, err := notices.Latest(c.UserContext(), s.DB, homeNotices)
	if err != nil {
		return err
	}
	v.Data = map[string]any{"Entrances": entrances, "Hotline": s.Config.Hotline, "Notices": latest}
	return s.render(c, "home", v)
}

// searchResults is what the site search found, by kind.
type searchResults struct {
	Q     string
	Items []*catalog.Item
	// Organisations are the first page of the register's search; OrganisationsTotal counts them all.
	Organisations      []register.Organisation
	OrganisationsTotal int
	// Notices are the newest public notices whose title has every word of the query.
	Notices []notices.Notice
	// CaseNumber is the query when it is shaped like a case number, which only the progress lookup
	// finds (with its query code): the page points there.
	CaseNumber string
}

// searchPerKind is how many organisations the site search lists before linking to the register.
const searchPerKind = 10

// searchPage searches service items by name and keywords, the register by name or credit code and
// the public notices by their titles' words.
func (s *Server) searchPage(c *fiber.Ctx) error {
	v := s.view(c, "search_title")
	v.Labels = map[string]string{"q": v.T("search_q")}
	q := strings.TrimSpace(c.Query("q")) // blank is no search, not every organisation
	v.Form["q"] = q
	res := &searchResults{Q: q}
	if workflow.LooksLikeCaseNumber(q) {
		res.CaseNumber = q
	}
	status := fiber.StatusOK
	if q != "" { // a blank query reads nothing, so it needs no slot of the searches
		release, err := s.searches.enter(c.UserContext())
		if err != nil {
			return err
		}
		defer release()
		orgs, err := register.Search(c.UserContext(), s.DB, register.Query{Q: q, PerPage: searchPerKind})
		if status, err = v.showProblem(err, status); err != nil {
			return err
		}
		if orgs != nil {
			res.Items = s.Catalog.Search(q)
			res.Organisations, res.OrganisationsTotal = orgs.Organisations, orgs.Total
			found, err := notices.Search(c.UserContext(), s.DB, q, searchPerKind)
			if status, err = v.showProblem(err, status); err != nil {
				return err
			}
			res.Notices = found
		}
	}
	v.Data = res
	return s.renderStatus(c, status, "search", v)
}
