package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/lang"
)

// categoryGroup is one category of the catalogue page with its items.
type categoryGroup struct {
	Name  lang.Text
	Items []*catalog.Item
}

func (s *Server) catalogPage(c *fiber.Ctx) error {
	byCat := map[string][]*catalog.Item{}
	for _, it := range s.Catalog.Items() {
		byCat[it.Category] = append(byCat[it.Category], it)
	}
	var groups []categoryGroup
	for _, cat := range catalog.Categories {
		if len(byCat[cat]) > 0 {
			groups = append(groups, categoryGroup{Name: catalog.CategoryName(cat), Items: byCat[cat]})
		}
	}
	v := s.view(c, "catalog_title")
	v.Data = map[string]any{"Groups": groups}
	return s.render(c, "catalog", v)
}

// guidePage shows an item's service guide with its flowchart, drawn from the definition.
func (s *Server) guidePage(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	v := s.view(c, "catalog_title")
	v.Title = it.Name.In(v.Locale)
	v.Data = map[string]any{"Item": it, "Category": catalog.CategoryName(it.Category), "SVG": catalog.SVG(it, v.Locale),
		"Steps": catalog.Steps(it)}
	return s.render(c, "guide", v)
}

// flowchart serves an item's flowchart alone, in the language of ?lang= or else the visitor's, so
// that a phone can open it full screen and zoom into it.
func (s *Server) flowchart(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
	return c.Send(catalog.SVG(it, s.fileLocale(c)))
}

// fileLocale is the language of a file served for download or to open alone (a flowchart, a
// template): the ?lang= of its link, which the page that links it writes, else the answer's.
func (s *Server) fileLocale(c *fiber.Ctx) string {
	if locale := c.Query("lang"); isLocale(locale) {
		return locale
	}
	return s.locale(c)
}

// catalogVersions is an item with its stored versions, for the admin catalogue page.
type catalogVersions struct {
	Item     *catalog.Item
	Versions []catalog.VersionInfo
}

// adminCatalogPage shows the definitions skipped at start-up and every item's versions with the
// number of open cases still running on each.
func (s *Server) adminCatalogPage(c *fiber.Ctx) error {
	var items []catalogVersions
	for _, it := range s.Catalog.Items() {
		vs, err := catalog.Versions(c.UserContext(), s.DB, it.Code)
		if err != nil {
			return err
		}
		items = append(items, catalogVersions{Item: it, Versions: vs})
	}
	v := s.view(c, "admin_catalog_title")
	v.Data = map[string]any{"Warnings": s.Catalog.Warnings(), "Items": items}
	return s.render(c, "admin_catalog", v)
}
