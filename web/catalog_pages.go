package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
)

// categoryGroup is one category of the catalogue page with its items.
type categoryGroup struct {
	Category string
	Items    []*catalog.Item
}

func (s *Server) catalogPage(c *fiber.Ctx) error {
	byCat := map[string][]*catalog.Item{}
	for _, it := range s.Catalog.Items() {
		byCat[it.Category] = append(byCat[it.Category], it)
	}
	var groups []categoryGroup
	for _, cat := range catalog.Categories {
		if len(byCat[cat]) > 0 {
			groups = append(groups, categoryGroup{Category: cat, Items: byCat[cat]})
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
	v.Data = map[string]any{"Item": it, "SVG": catalog.SVG(it, v.Locale)}
	return s.render(c, "guide", v)
}
