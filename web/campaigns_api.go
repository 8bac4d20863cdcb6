package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/annualreport"
)

// The API of annual-report campaigns (package annualreport): the same operations as the command line
// and the pages.

// campaignList is the answer listing campaigns.
type campaignList struct {
	Campaigns []annualreport.Campaign `json:"campaigns"`
}

// campaignView is a campaign with its statistics per jurisdiction and kind.
type campaignView struct {
	*annualreport.Campaign
	Statistics []annualreport.Stat `json:"statistics"`
}

// apiCampaigns lists the campaigns of the caller's jurisdictions.
func (s *Server) apiCampaigns(c *fiber.Ctx) error {
	list, err := annualreport.Campaigns(c.UserContext(), s.DB, s.Enforcer, userID(c))
	if err != nil {
		return err
	}
	return c.JSON(campaignList{Campaigns: list})
}

// apiOpenCampaign opens a year's annual-report campaign for a jurisdiction.
func (s *Server) apiOpenCampaign(c *fiber.Ctx) error {
	var body annualreport.Opening
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	cp, err := annualreport.Open(c.UserContext(), s.DB, s.Enforcer, actor(c), body, s.Engine.Now())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cp)
}

// apiCampaign answers a campaign with its statistics.
func (s *Server) apiCampaign(c *fiber.Ctx) error {
	v, err := s.campaign(c)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// campaign reads the campaign of the path's id, with its statistics, if the caller may see it.
func (s *Server) campaign(c *fiber.Ctx) (*campaignView, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	cp, err := annualreport.Get(c.UserContext(), s.DB, s.Enforcer, userID(c), id)
	if err != nil {
		return nil, err
	}
	stats, err := annualreport.Statistics(c.UserContext(), s.DB, cp.ID)
	if err != nil {
		return nil, err
	}
	return &campaignView{Campaign: cp, Statistics: stats}, nil
}

// apiPublishResults publishes the campaign's results as a notice.
func (s *Server) apiPublishResults(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	n, err := annualreport.PublishResults(c.UserContext(), s.DB, s.Enforcer, actor(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"notice_id": n.ID, "path": n.Path()})
}
