package browsertest

import (
	"fmt"
	"testing"
)

// ChartSelector selects the elements that hold a chart: each draws into
// a canvas inside it.
const ChartSelector = ".chart[data-chart]"

// Chart is what the page shows of one chart: the size of its canvas and
// how many of its pixels are drawn.
type Chart struct {
	ID       string `json:"id"`       // the id of the element
	Canvas   bool   `json:"canvas"`   // whether the element holds a canvas
	Width    int    `json:"width"`    // of the canvas, in device pixels
	Height   int    `json:"height"`   // of the canvas, in device pixels
	Painted  int    `json:"painted"`  // pixels not transparent
	Coloured int    `json:"coloured"` // of them, saturated ones: the series (axes and grid are grey)
}

// Minimum size and ink of a drawn chart: 300×200 pixels, 500 of them in
// colour and 1 % of them painted.
const (
	MinChartWidth    = 300
	MinChartHeight   = 200
	MinChartColoured = 500
)

// Problem says what is wrong with a chart that should be drawn, or ""
// if it has a canvas of at least MinChartWidth×MinChartHeight with at
// least MinChartColoured pixels in colour and 1 % of its pixels painted.
func (c Chart) Problem() string {
	switch {
	case !c.Canvas:
		return fmt.Sprintf("chart #%s has no canvas", c.ID)
	case c.Width < MinChartWidth || c.Height < MinChartHeight:
		return fmt.Sprintf("chart #%s is %d×%d pixels; want at least %d×%d", c.ID, c.Width, c.Height, MinChartWidth, MinChartHeight)
	case c.Coloured < MinChartColoured || c.Painted < c.Width*c.Height/100:
		return fmt.Sprintf("chart #%s has %d painted pixels, %d in colour: no series drawn", c.ID, c.Painted, c.Coloured)
	}
	return ""
}

// countPixelsJS reads the canvas of every chart. A pixel is coloured when
// max(r,g,b) − min(r,g,b) > 60: grey axes, grid and text are not.
const countPixelsJS = `Array.from(document.querySelectorAll(` + "`" + ChartSelector + "`" + `)).map(function (el) {
	var c = el.querySelector("canvas");
	if (!c) return {id: el.id, canvas: false};
	var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	var painted = 0, coloured = 0;
	for (var i = 0; i < d.length; i += 4) {
		if (d[i + 3] === 0) continue;
		painted++;
		if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) coloured++;
	}
	return {id: el.id, canvas: true, width: c.width, height: c.height, painted: painted, coloured: coloured};
})`

// Charts returns every element of the page that ChartSelector matches,
// in document order, with the pixels of its canvas counted.
func (p *Page) Charts() []Chart {
	p.t.Helper()
	var charts []Chart
	p.Eval(countPixelsJS, &charts)
	return charts
}

// CheckCharts fails the test unless the page's charts are the elements
// with the ids, in that order, each drawn (Chart.Problem is "").
func CheckCharts(t testing.TB, charts []Chart, ids ...string) {
	t.Helper()
	if len(charts) != len(ids) {
		t.Errorf("%d charts; want %d", len(charts), len(ids))
	}
	for i, c := range charts {
		if i < len(ids) && c.ID != ids[i] {
			t.Errorf("chart %d is #%s; want #%s", i, c.ID, ids[i])
		}
		if p := c.Problem(); p != "" {
			t.Error(p)
		}
	}
}
