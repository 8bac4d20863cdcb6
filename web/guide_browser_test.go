package web_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/stacktest"
)

// guideOnPhone is what the guide shows of the workflow on a phone.
type guideOnPhone struct {
	Lang      string  `json:"lang"`
	Steps     int     `json:"steps"`     // items of the list of steps
	Visible   bool    `json:"visible"`   // the list takes room on the screen
	MinFont   float64 `json:"minFont"`   // its smallest text, in CSS pixels
	Chart     bool    `json:"chart"`     // the drawing takes room on the screen
	ChartLink bool    `json:"chartLink"` // a link opens the drawing alone
}

// guideOnDesktop is where the browser drew the flowchart's texts: the boxes of the action labels'
// texts and of the states, in the drawing's units, and how large a unit is on the screen.
type guideOnDesktop struct {
	Lang   string       `json:"lang"`
	Labels [][4]float64 `json:"labels"`
	Texts  []string     `json:"texts"`
	States [][4]float64 `json:"states"`
	Scale  float64      `json:"scale"`
}

const readPhoneGuide = `(() => {
	const list = document.querySelector("ol.flow-steps"), chart = document.querySelector(".flowchart");
	const r = list.getBoundingClientRect();
	const sizes = Array.from(list.querySelectorAll("li, strong, .meta")).map(e => parseFloat(getComputedStyle(e).fontSize));
	return {lang: document.documentElement.lang, steps: list.querySelectorAll("li").length,
		visible: r.width > 0 && r.height > 0 && getComputedStyle(list).visibility == "visible",
		minFont: Math.min(...sizes), chart: chart.getBoundingClientRect().height > 0,
		chartLink: !!document.querySelector('main a[href*="/flowchart.svg"]')};
})()`

const readDesktopGuide = `(() => {
	const svg = document.querySelector(".flowchart svg");
	const box = e => { const b = e.getBBox(); return [b.x, b.y, b.width, b.height]; };
	const labels = Array.from(svg.querySelectorAll("g.label text"));
	return {lang: document.documentElement.lang, labels: labels.map(box), texts: labels.map(t => t.textContent),
		states: Array.from(svg.querySelectorAll("g.state > rect:first-child")).map(box),
		scale: svg.getBoundingClientRect().width / svg.viewBox.baseVal.width};
})()`

func overlap(a, b [4]float64) bool {
	return a[0] < b[0]+b[2] && b[0] < a[0]+a[2] && a[1] < b[1]+b[3] && b[1] < a[1]+a[3]
}

// switchLanguage presses the language button of the page in the tab.
func switchLanguage(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`header .lang-switch button`))); err != nil {
		t.Fatalf("switching language: %v", err)
	}
}

// On a phone the guide shows the workflow as a list in legible type instead of the flowchart, with a
// link to the drawing alone; on a desktop the texts of the flowchart's labels, as the browser sets
// them, cover neither one another nor a state, and are drawn at nearly full size.
func TestBrowserGuideShowsTheWorkflowOnPhonesAndDesktops(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the guide pages")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	ctx := newBrowser(t, 90*time.Second)
	for _, item := range []string{"social-group-establishment", "divorce-registration"} {
		guide := st.base + "/catalog/" + item
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(guide), chromedp.WaitVisible(chromedp.CSS("ol.flow-steps"))); err != nil {
			t.Fatalf("opening %s on a phone: %v", item, err)
		}
		for range 2 {
			phone, err := chromedp.Run(ctx, chromedp.Evaluate[guideOnPhone](readPhoneGuide))
			if err != nil {
				t.Fatal(err)
			}
			if !phone.Visible || phone.Steps < 6 || phone.MinFont < 14 || phone.Chart || !phone.ChartLink {
				t.Errorf("%s on a phone in %s: %+v", item, phone.Lang, phone)
			}
			fitsPhone(t, ctx, item+" in "+phone.Lang)
			saveViewport(t, ctx, fmt.Sprintf("guide-%s-phone-%s", item, phone.Lang))
			switchLanguage(t, ctx)
		}

		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(guide),
			chromedp.WaitVisible(chromedp.CSS(".flowchart svg"))); err != nil {
			t.Fatalf("opening %s on a desktop: %v", item, err)
		}
		for range 2 {
			desk, err := chromedp.Run(ctx, chromedp.Evaluate[guideOnDesktop](readDesktopGuide))
			if err != nil {
				t.Fatal(err)
			}
			if len(desk.Labels) < 6 || len(desk.States) < 6 || desk.Scale*12 < 11 {
				t.Errorf("%s on a desktop in %s: %d labels, %d states, labels drawn %.1f px high", item, desk.Lang, len(desk.Labels), len(desk.States), desk.Scale*12)
			}
			for i, a := range desk.Labels {
				for j, b := range desk.Labels[i+1:] {
					if overlap(a, b) {
						t.Errorf("%s in %s: the labels %q %v and %q %v overlap", item, desk.Lang, desk.Texts[i], a, desk.Texts[i+1+j], b)
					}
				}
				for _, s := range desk.States {
					if overlap(a, s) {
						t.Errorf("%s in %s: the label %q %v covers the state at %v", item, desk.Lang, desk.Texts[i], a, s)
					}
				}
			}
			saveScreenshot(t, ctx, fmt.Sprintf("guide-%s-desktop-%s", item, desk.Lang))
			switchLanguage(t, ctx)
		}
	}
}
