// The HTML report's script: draws the charts with uPlot from the data the
// report embeds as JSON (#report-data), and sorts the tables whose column
// headings are clicked. It only ever writes text (textContent), never
// markup: labels come from the target's responses.
(function () {
	"use strict";

	var data = JSON.parse(document.getElementById("report-data").textContent);

	// Okabe–Ito colours, told apart with colour-vision deficiencies; the
	// dashes tell the lines apart in grey print too.
	var colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#999999"];
	var dashes = [[], [8, 4], [2, 3], [12, 3, 3, 3], [5, 5], [1, 5]];
	var maxWidth = 680; // fits A4 portrait, so printing keeps the sizes
	var height = 280;
	var charts = [];

	function size(el) {
		var w = el.clientWidth || maxWidth;
		return { width: Math.max(320, Math.min(w, maxWidth)), height: height };
	}

	// round3 keeps three significant digits.
	function round3(v) { return String(+v.toPrecision(3)); }

	// fmtMs renders a latency given in milliseconds with a unit chosen
	// for its size.
	function fmtMs(v) {
		if (v == null || isNaN(v)) return "—";
		if (v >= 1000) return round3(v / 1000) + " s";
		if (v >= 1) return round3(v) + " ms";
		return round3(v * 1000) + " µs";
	}

	function fmtCount(v) { return v == null ? "—" : String(Math.round(v * 1000) / 1000); }

	function pad(n) { return (n < 10 ? "0" : "") + n; }

	// fmtTime renders a Unix time in seconds as UTC time of day.
	function fmtTime(v) {
		if (v == null) return "—";
		var d = new Date(v * 1000);
		return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "Z";
	}

	// pctLabel names a power of ten of x = 1/(1−q) by its percentile:
	// 1 → 0%, 10 → 90%, 100 → 99%, 1000 → 99.9% …
	function pctLabel(x) {
		var k = Math.round(Math.log10(x));
		if (k <= 0) return "0%";
		if (k === 1) return "90%";
		return "99" + (k > 2 ? "." + "9".repeat(k - 2) : "") + "%";
	}

	// fmtPct renders any x = 1/(1−q) as the percentile q.
	function fmtPct(x) {
		if (x == null) return "—";
		var q = 100 * (1 - 1 / x);
		return q.toFixed(Math.max(1, Math.ceil(Math.log10(x)) - 1)) + "%";
	}

	// decades returns the powers of ten from min to max.
	function decades(u, axis, min, max) {
		var out = [];
		for (var v = Math.pow(10, Math.floor(Math.log10(Math.max(min, 1e-9)))); v <= max * 1.0001; v *= 10) {
			if (v >= min * 0.9999) out.push(v);
		}
		return out;
	}

	// fmtDate renders the UTC date of a Unix time in seconds.
	function fmtDate(v) {
		if (v == null || !isFinite(v)) return "no data";
		return new Date(v * 1000).toISOString().slice(0, 10);
	}

	// timeAxis labels UTC times of day, to the second when the ticks are
	// less than a minute apart; its title gives the date of the start.
	function timeAxis(x) {
		return {
			label: "time (UTC, " + fmtDate(x[0]) + ")", labelSize: 20, size: 40, space: 80,
			// Whole seconds at least: the intervals are whole seconds.
			incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 604800],
			values: function (u, splits, axis, space, incr) {
				return splits.map(function (v) {
					if (v == null) return "";
					var t = fmtTime(v).slice(0, -1);
					if (incr >= 86400) return fmtDate(v).slice(5);
					return incr >= 60 ? t.slice(0, 5) : t;
				});
			}
		};
	}

	// steps125 returns 1, 2 and 5 times the powers of ten from min to max,
	// or only the powers of ten when the range spans more than 3 of them.
	function steps125(u, axis, min, max) {
		var tens = decades(u, axis, min, max);
		if (tens.length > 4) return tens;
		var out = [];
		for (var v = Math.pow(10, Math.floor(Math.log10(Math.max(min, 1e-9)))); v <= max * 1.0001; v *= 10) {
			[1, 2, 5].forEach(function (m) {
				if (v * m >= min * 0.9999 && v * m <= max * 1.0001) out.push(v * m);
			});
		}
		return out;
	}

	function latencyAxis() {
		return {
			label: "latency", labelSize: 20, size: 64, splits: steps125,
			values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : fmtMs(v); }); }
		};
	}

	// line returns the options of series i of a chart.
	function line(label, i, format) {
		return {
			label: label,
			stroke: colors[i % colors.length],
			dash: dashes[i % dashes.length],
			width: 2,
			spanGaps: false,
			points: { show: false },
			value: function (u, v) { return format(v); }
		};
	}

	// draw makes the chart of one container, or says there is no data.
	function draw(el, chart, opts) {
		if (!chart || !chart.x || chart.x.length === 0 || chart.series.length === 0) {
			var p = document.createElement("p");
			p.className = "empty";
			p.textContent = "No data.";
			el.appendChild(p);
			return;
		}
		var s = size(el);
		opts.width = s.width;
		opts.height = s.height;
		opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); };
		opts.legend = { live: true };
		var u = new uPlot(opts, opts.data, el);
		charts.push({ u: u, el: el });
	}

	function seriesData(chart) {
		return [chart.x].concat(chart.series.map(function (s) { return s.values; }));
	}

	function latencyChart(el) {
		var c = data.latency;
		draw(el, c, {
			data: seriesData(c),
			scales: { x: { time: true }, y: { distr: 3, log: 10 } },
			axes: [timeAxis(c.x), latencyAxis()],
			series: [{ label: "interval", value: function (u, v) { return fmtTime(v); } }].concat(
				c.series.map(function (s, i) { return line(s.label, i, fmtMs); }))
		});
	}

	function percentilesChart(el) {
		var c = data.percentiles;
		draw(el, c, {
			data: seriesData(c),
			scales: {
				x: { time: false, distr: 3, log: 10, range: function (u, min, max) { return [1, Math.max(max, 10)]; } },
				y: { distr: 3, log: 10 }
			},
			axes: [
				{ label: "percentile", labelSize: 20, splits: decades, values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : pctLabel(v); }); } },
				latencyAxis()
			],
			series: [{ label: "percentile", value: function (u, v) { return fmtPct(v); } }].concat(
				c.series.map(function (s, i) {
					var l = line(s.label, i, fmtMs);
					if (i === 0) { l.stroke = "#000000"; l.width = 2.5; } // all requests
					else { l.stroke = colors[(i - 1) % colors.length]; l.dash = dashes[(i - 1) % dashes.length]; }
					return l;
				}))
		});
	}

	// stack returns the cumulative sums of the series of raw (raw[0] is x)
	// that omit does not leave out, and the bands that fill each series
	// down to the one below it, as uPlot's stacking demo does.
	function stack(raw, omit) {
		var out = [raw[0]];
		var acc = raw[0].map(function () { return 0; });
		var i;
		for (i = 1; i < raw.length; i++) {
			out.push(omit(i) ? raw[i] : raw[i].map(function (v, j) { return (acc[j] += v == null ? 0 : v); }));
		}
		var bands = [];
		for (i = 1; i < raw.length; i++) {
			if (omit(i)) continue;
			for (var j = i - 1; j >= 1; j--) {
				if (!omit(j)) { bands.push({ series: [i, j] }); break; }
			}
		}
		return { data: out, bands: bands };
	}

	function classesChart(el) {
		var c = data.classes;
		var raw = seriesData(c);
		var stacked = stack(raw, function () { return false; });
		draw(el, c, {
			data: stacked.data,
			bands: stacked.bands,
			scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; } } },
			axes: [timeAxis(c.x), { label: "responses per " + data.step + " s interval", labelSize: 20, size: 56 }],
			series: [{ label: "interval", value: function (u, v) { return fmtTime(v); } }].concat(
				c.series.map(function (s, i) {
					var color = colors[i % colors.length];
					return {
						label: s.label,
						stroke: color,
						fill: color + "aa",
						width: 1,
						points: { show: false },
						// the legend shows the class's own count, not the stacked sum
						value: function (u, v, si, idx) { return idx == null ? "—" : fmtCount(raw[si][idx]); }
					};
				})),
			hooks: {
				// a hidden class leaves the stack: restack the others
				setSeries: [function (u) {
					var again = stack(raw, function (i) { return !u.series[i].show; });
					u.delBand(null);
					again.bands.forEach(function (b) { u.addBand(b); });
					u.setData(again.data);
				}]
			}
		});
	}

	function ratesChart(el) {
		var c = data.rates;
		draw(el, c, {
			data: seriesData(c),
			scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } },
			axes: [timeAxis(c.x), { label: "requests per second", labelSize: 20, size: 56 }],
			series: [{ label: "interval", value: function (u, v) { return fmtTime(v); } }].concat(
				c.series.map(function (s, i) { return line(s.label, i, function (v) { return v == null ? "—" : fmtCount(v) + "/s"; }); }))
		});
	}

	// elapsedAxis labels seconds since the start of the run.
	function elapsedAxis() {
		return {
			label: "seconds since the start", labelSize: 20, size: 40, space: 60,
			incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
			values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : v + " s"; }); }
		};
	}

	// loadChart draws the offered load (logical requests) and the
	// attempts sent for it: the attempts' area is filled, so the retries
	// read as the band between the lines without hovering. Its data is
	// data[data-key] (data.load by default); data.elapsed puts seconds
	// since the start on x, data.load_max fixes the top of y, so that the
	// charts of a comparison share their scale.
	function loadChart(el) {
		var c = data[el.getAttribute("data-key") || "load"];
		var elapsed = !!data.elapsed;
		var perSecond = function (v) { return v == null ? "—" : fmtCount(v) + "/s"; };
		draw(el, c, {
			data: c ? seriesData(c) : [],
			scales: {
				x: { time: !elapsed },
				y: { range: function (u, min, max) { var top = data.load_max || max; return [0, top > 0 ? top * 1.1 : 1]; } }
			},
			axes: [elapsed ? elapsedAxis() : timeAxis(c ? c.x : []), { label: "requests per second", labelSize: 20, size: 56 }],
			series: [elapsed ? { label: "second", value: function (u, v) { return v == null ? "—" : v + " s"; } } :
				{ label: "interval", value: function (u, v) { return fmtTime(v); } }].concat(
				(c ? c.series : []).map(function (s, i) {
					var l = line(s.label, i, perSecond);
					if (i === 1) { l.fill = colors[1] + "33"; }
					else { l.width = 2.5; }
					return l;
				}))
		});
	}

	var makers = { latency: latencyChart, percentiles: percentilesChart, classes: classesChart, rates: ratesChart, load: loadChart };
	Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), function (el) {
		var make = makers[el.getAttribute("data-chart")];
		if (make) make(el);
	});

	// Follow the window's width, but not the printer's: printed charts
	// keep their size.
	var resizing = null;
	window.addEventListener("resize", function () {
		if (window.matchMedia && window.matchMedia("print").matches) return;
		clearTimeout(resizing);
		resizing = setTimeout(function () {
			charts.forEach(function (c) { c.u.setSize(size(c.el)); });
		}, 150);
	});

	// Sortable tables: a click on a column heading sorts by that column,
	// numbers (data-type="number") largest first, text A to Z; a second
	// click reverses. A cell's data-v, when set, is what it sorts by.
	Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
		var heads = table.tHead.rows[0].cells;
		Array.prototype.forEach.call(heads, function (th, col) {
			var button = th.querySelector("button");
			if (!button) return;
			button.addEventListener("click", function () {
				var numeric = th.getAttribute("data-type") === "number";
				var current = th.getAttribute("aria-sort");
				var dir = current === "ascending" ? "descending" : current === "descending" ? "ascending" : numeric ? "descending" : "ascending";
				Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
				th.setAttribute("aria-sort", dir);
				var body = table.tBodies[0];
				var key = function (row) {
					var cell = row.cells[col];
					var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
					return numeric ? parseFloat(v) : v;
				};
				var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length === heads.length; });
				rows.sort(function (a, b) {
					var ka = key(a), kb = key(b);
					var c = numeric ? ka - kb : ka.localeCompare(kb, undefined, { numeric: true });
					if (c === 0) return a.getAttribute("data-i") - b.getAttribute("data-i");
					return dir === "ascending" ? c : -c;
				});
				rows.forEach(function (r) { body.appendChild(r); });
			});
		});
	});

	document.documentElement.setAttribute("data-charts", String(charts.length));
})();
