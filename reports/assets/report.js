// The HTML report's script: draws the charts with uPlot from the data the
// report embeds as JSON (#report-data), and sorts the tables whose column
// headings are clicked. It only ever writes text (textContent), never
// markup: labels come from the target's responses.
(function () {
	"use strict";

	var data = JSON.parse(document.getElementById("report-data").textContent);

	// Okabe–Ito colours, told apart with colour-vision deficiencies; the
	// dashes tell the lines apart in grey print too. Past them, hues a
	// golden angle apart.
	var okabeIto = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#999999"];
	var dashes = [[], [8, 4], [2, 3], [12, 3, 3, 3], [5, 5], [1, 5]];
	// The colours of the status families, and of the lines that stand for
	// them (errors: 4xx's orange, faults: 5xx's vermilion).
	var familyColors = { "2xx": "#009E73", "3xx": "#56B4E9", "4xx": "#E69F00", "5xx": "#B2182B", "transport": "#7B3294", "other": "#999999" };
	var printWidth = 680; // fits A4 portrait
	var height = 280;
	var charts = [];

	function color(i) {
		if (i < okabeIto.length) return okabeIto[i];
		return "hsl(" + Math.round((i * 137.508) % 360) + ", 65%, " + (i % 2 ? 38 : 52) + "%)";
	}

	// withAlpha returns a colour with an opacity, for fills.
	function withAlpha(c, alpha) {
		if (c.charAt(0) === "#") return c + alpha;
		return c.replace("hsl(", "hsla(").replace(")", ", 0." + (parseInt(alpha, 16) * 100 / 255).toFixed(0).padStart(2, "0") + ")");
	}

	// size is the size of a chart that fills its container's width, at
	// most printWidth when printing.
	function size(el, printing) {
		var w = Math.max(300, el.clientWidth || printWidth);
		return { width: printing ? Math.min(w, printWidth) : w, height: height };
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
	function fmtRate(v) { return v == null ? "—" : round3(v) + "/s"; }
	function fmtPercent(v) { return v == null ? "—" : round3(v) + " %"; }
	function fmtInFlight(v) { return v == null ? "—" : String(Math.round(v * 10) / 10); }

	function pad(n) { return (n < 10 ? "0" : "") + n; }

	// fmtTime renders a Unix time in seconds as UTC time of day, with
	// tenths when it is not a whole second.
	function fmtTime(v) {
		if (v == null) return "—";
		var d = new Date(v * 1000);
		var t = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
		var ms = d.getUTCMilliseconds();
		if (ms) t += "." + String(ms).padStart(3, "0").replace(/0+$/, "");
		return t + "Z";
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
	// less than a minute apart, to the tenth below a second; its title
	// gives the date of the start.
	function timeAxis(x) {
		return {
			label: "time (UTC, " + fmtDate(x[0]) + ")", labelSize: 20, size: 40, space: 80,
			incrs: [0.125, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 604800],
			values: function (u, splits, axis, space, incr) {
				return splits.map(function (v) {
					if (v == null) return "";
					var t = fmtTime(v).slice(0, -1);
					if (incr >= 86400) return fmtDate(v).slice(5);
					if (incr >= 60) return t.slice(0, 5);
					return incr >= 1 ? t.slice(0, 8) : t;
				});
			}
		};
	}

	// elapsedAxis labels seconds since the start of the run.
	function elapsedAxis() {
		return {
			label: "seconds since the start", labelSize: 20, size: 40, space: 60,
			incrs: [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
			values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : round3(v) + " s"; }); }
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

	function countAxis(label) { return { label: label, labelSize: 20, size: 56 }; }

	// fromZero is a y range from 0 to a little over the largest value.
	function fromZero(u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; }

	// line returns the options of series i of a chart.
	function line(label, i, format) {
		return {
			label: label,
			stroke: color(i),
			dash: dashes[i % dashes.length],
			width: 2,
			spanGaps: false,
			points: { show: false },
			value: function (u, v) { return format(v); }
		};
	}

	function seriesData(chart) {
		return [chart.x].concat(chart.series.map(function (s) { return s.values; }));
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = text;
		return e;
	}

	// legend builds the legend of a chart under it: for each series its
	// colour, its whole name, the value it has without hovering (series'
	// legend: a total, a mean or the overall value) and, while the cursor
	// is on the chart, its value there (format(raw value)). A click on an
	// entry hides or shows its series. fmtX names the cursor's x.
	function legend(box, u, chart, styles, format, fmtX, note) {
		var list = el("ul", "legend");
		var at = el("li", "legend-x");
		at.textContent = note || "Hover the chart for the values of one interval.";
		var entries = chart.series.map(function (s, i) {
			var item = el("li");
			var button = el("button");
			button.type = "button";
			var style = styles[i];
			var swatch = el("span", "swatch");
			swatch.style.borderColor = style.stroke;
			swatch.style.background = style.fill || "transparent";
			if (style.dash && style.dash.length) swatch.style.borderStyle = "dashed";
			button.appendChild(swatch);
			button.appendChild(el("span", "label", s.label));
			var total = el("span", "total", s.legend || "");
			button.appendChild(total);
			var cur = el("span", "cur");
			button.appendChild(cur);
			button.setAttribute("aria-pressed", String(u.series[i + 1].show !== false));
			button.title = "Hide or show " + s.label;
			button.addEventListener("click", function () {
				var show = !u.series[i + 1].show;
				u.setSeries(i + 1, { show: show });
				button.setAttribute("aria-pressed", String(show));
			});
			item.appendChild(button);
			list.appendChild(item);
			return { cur: cur, total: total, button: button, values: s.values };
		});
		list.appendChild(at);
		box.appendChild(list);
		if (note) return entries; // nothing to read at the cursor
		u.hooks.setCursor = (u.hooks.setCursor || []).concat([function (u) {
			var idx = u.cursor.idx;
			at.textContent = idx == null ? "Hover the chart for the values of one interval." : "At " + fmtX(u.data[0][idx]) + ":";
			entries.forEach(function (e) {
				e.cur.textContent = idx == null ? "" : format(e.values[idx]);
			});
		}]);
		return entries;
	}

	// draw makes the chart of one container and its legend, or says there
	// is no data. opts.format renders a series' value, opts.fmtX the x.
	function draw(box, chart, opts) {
		if (!chart || !chart.x || chart.x.length === 0 || chart.series.length === 0) {
			box.appendChild(el("p", "empty", "No data."));
			return null;
		}
		var holder = el("div", "plot");
		box.appendChild(holder);
		var s = size(holder);
		var format = opts.format, fmtX = opts.fmtX || fmtTime, note = opts.note;
		delete opts.format;
		delete opts.fmtX;
		delete opts.note;
		opts.width = s.width;
		opts.height = s.height;
		opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); };
		opts.legend = { show: false };
		chart.series.forEach(function (sr, i) {
			if (sr.hidden) opts.series[i + 1].show = false;
		});
		// The styles as given: uPlot turns them into functions.
		var styles = opts.series.slice(1).map(function (o) { return { stroke: o.stroke, fill: o.fill, dash: o.dash }; });
		var u = new uPlot(opts, opts.data, holder);
		charts.push({ u: u, el: holder });
		var entries = legend(box, u, chart, styles, format, fmtX, note);
		return { u: u, entries: entries };
	}

	function timeSeries(c) { return [{ label: "interval", value: function (u, v) { return fmtTime(v); } }]; }

	function latencyChart(box) {
		var c = data.latency;
		draw(box, c, {
			data: seriesData(c), format: fmtMs,
			scales: { x: { time: true }, y: { distr: 3, log: 10 } },
			axes: [timeAxis(c.x), latencyAxis()],
			series: timeSeries(c).concat(c.series.map(function (s, i) { return line(s.label, i, fmtMs); }))
		});
	}

	function percentilesChart(box) {
		var c = data.percentiles;
		draw(box, c, {
			data: seriesData(c), format: fmtMs, fmtX: fmtPct,
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
					else { l.stroke = color(i - 1); l.dash = dashes[(i - 1) % dashes.length]; }
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

	// stackedChart draws the series of c stacked, each filled down to the
	// one below; a hidden series leaves the stack. colorOf gives series
	// i's colour.
	// before, if given, runs when a series is hidden or shown, before the
	// others are restacked.
	function stackedChart(box, c, yLabel, colorOf, before) {
		var raw = seriesData(c);
		var stacked = stack(raw, function (i) { return !!c.series[i - 1].hidden; });
		return draw(box, c, {
			data: stacked.data, format: fmtRate,
			bands: stacked.bands,
			scales: { x: { time: true }, y: { range: fromZero } },
			axes: [timeAxis(c.x), countAxis(yLabel)],
			series: timeSeries(c).concat(c.series.map(function (s, i) {
				var col = colorOf(s, i);
				return { label: s.label, stroke: col, fill: withAlpha(col, "aa"), width: 1, points: { show: false } };
			})),
			hooks: {
				// a hidden series leaves the stack: restack the others
				setSeries: [function (u) {
					if (before) before(u);
					var again = stack(raw, function (i) { return !u.series[i].show; });
					u.delBand(null);
					again.bands.forEach(function (b) { u.addBand(b); });
					u.setData(again.data);
				}]
			}
		});
	}

	// showControls adds the buttons that show every series of a chart,
	// only the first ones, or none.
	function showControls(box, made, firstShown) {
		if (!made || firstShown.every(function (shown) { return shown; })) return;
		var bar = el("p", "legend-controls");
		function set(which) {
			made.u.batch(function () {
				made.entries.forEach(function (e, i) {
					var show = which(i);
					if (made.u.series[i + 1].show !== show) made.u.setSeries(i + 1, { show: show });
					e.button.setAttribute("aria-pressed", String(show));
				});
			});
		}
		[["Show all", function () { return true; }],
			["Show the first ones", function (i) { return firstShown[i]; }],
			["Hide all", function () { return false; }]].forEach(function (b) {
			var button = el("button", "", b[0]);
			button.type = "button";
			button.addEventListener("click", function () { set(b[1]); });
			bar.appendChild(button);
		});
		box.insertBefore(bar, box.querySelector(".legend"));
	}

	// classesChart stacks the classes shown and, on top, the hidden ones
	// added up, so that the stack is always every response.
	function classesChart(box) {
		var c = data.classes;
		var n = c.series.length;
		var all = c.series.reduce(function (sum, s) { return sum + (s.count || 0); }, 0);
		var rest = { label: "the hidden classes, added up", legend: "", values: c.x.map(function () { return 0; }) };
		var withRest = { x: c.x, series: c.series.concat([rest]) };
		var made = null;
		// addUp sums the classes hidden (shown(i) false) into rest.
		function addUp(shown) {
			var count = 0;
			rest.values.forEach(function (v, j) { rest.values[j] = 0; });
			c.series.forEach(function (s, i) {
				if (shown(i)) return;
				count += s.count || 0;
				s.values.forEach(function (v, j) { rest.values[j] += v == null ? 0 : v; });
			});
			rest.legend = count + (all ? " (" + (100 * count / all).toFixed(2) + " %)" : "");
			if (made) made.entries[n].total.textContent = rest.legend;
		}
		addUp(function (i) { return !c.series[i].hidden; });
		made = stackedChart(box, withRest, "responses per second", function (s, i) { return i < n ? color(i) : "#999999"; },
			function (u) { addUp(function (i) { return u.series[i + 1].show; }); });
		showControls(box, made, c.series.map(function (s) { return !s.hidden; }).concat([true]));
	}

	function familiesChart(box) {
		stackedChart(box, data.families, "responses per second", function (s) { return familyColors[s.color] || "#999999"; });
	}

	function errorsChart(box) {
		var c = data.errors;
		draw(box, c, {
			data: seriesData(c), format: fmtPercent,
			scales: { x: { time: true }, y: { range: function () { return [0, 100]; } } },
			axes: [timeAxis(c.x), { label: "share of responses", labelSize: 20, size: 56, values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : v + " %"; }); } }],
			series: timeSeries(c).concat(c.series.map(function (s, i) {
				var l = line(s.label, i, fmtPercent);
				l.stroke = familyColors[s.color] || color(i);
				if (i === 1) l.fill = withAlpha(l.stroke, "33");
				return l;
			}))
		});
	}

	function ratesChart(box) {
		var c = data.rates;
		draw(box, c, {
			data: seriesData(c), format: fmtRate,
			scales: { x: { time: true }, y: { range: fromZero } },
			axes: [timeAxis(c.x), countAxis("requests per second")],
			series: timeSeries(c).concat(c.series.map(function (s, i) { return line(s.label, i, fmtRate); }))
		});
	}

	function inFlightChart(box) {
		var c = data.in_flight;
		draw(box, c, {
			data: seriesData(c), format: fmtInFlight,
			scales: { x: { time: true }, y: { range: fromZero } },
			axes: [timeAxis(c.x), countAxis("requests in flight")],
			series: timeSeries(c).concat(c.series.map(function (s, i) {
				var l = line(s.label, i, fmtInFlight);
				l.fill = withAlpha(color(i), "33");
				return l;
			}))
		});
	}

	// scatterChart draws every request the report holds as a dot: when it
	// was scheduled, its latency (log scale), its class's colour. uPlot
	// draws the axes; the dots are painted on its canvas in the order of
	// the classes, the most frequent first, so rare ones lie on top.
	function scatterChart(box) {
		var sc = data.scatter;
		if (!sc || !sc.classes.length) {
			box.appendChild(el("p", "empty", "No data."));
			return;
		}
		var xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = 0;
		sc.classes.forEach(function (c) {
			c.t.forEach(function (t) { xmin = Math.min(xmin, t); xmax = Math.max(xmax, t); });
			c.ms.forEach(function (v) { if (v > 0) ymin = Math.min(ymin, v); ymax = Math.max(ymax, v); });
		});
		if (!isFinite(ymin)) ymin = 0.001;
		ymax = Math.max(ymax, ymin * 10);
		var chart = { x: [sc.t0 + xmin, sc.t0 + Math.max(xmax, xmin + 1)], series: sc.classes.map(function (c) { return { label: c.label, legend: c.legend, hidden: c.hidden, values: [] }; }) };
		var dot = 2.5 * (window.devicePixelRatio || 1);
		var made = draw(box, chart, {
			data: [chart.x].concat(sc.classes.map(function () { return [ymin, ymax]; })),
			format: function () { return ""; }, note: sc.note,
			scales: { x: { time: true }, y: { distr: 3, log: 10, range: function () { return [ymin / 1.5, ymax * 1.5]; } } },
			axes: [timeAxis(chart.x), latencyAxis()],
			series: timeSeries(chart).concat(sc.classes.map(function (c, i) {
				return { label: c.label, stroke: color(i), fill: color(i), paths: function () { return null; }, points: { show: false } };
			})),
			hooks: {
				draw: [function (u) {
					var ctx = u.ctx;
					ctx.save();
					ctx.beginPath();
					ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
					ctx.clip();
					sc.classes.forEach(function (c, i) {
						if (!u.series[i + 1].show) return;
						ctx.fillStyle = withAlpha(color(i), "cc");
						for (var j = 0; j < c.t.length; j++) {
							var px = u.valToPos(sc.t0 + c.t[j], "x", true), py = u.valToPos(Math.max(c.ms[j], ymin), "y", true);
							ctx.fillRect(px - dot / 2, py - dot / 2, dot, dot);
						}
					});
					ctx.restore();
				}]
			}
		});
		if (made) {
			made.entries.forEach(function (e) { e.cur.remove(); });
			showControls(box, made, sc.classes.map(function (c) { return !c.hidden; }));
		}
	}

	// elapsedChart draws a chart of the baseline comparison: seconds since
	// each run's start on x, this run's series solid, the baseline's
	// dashed in the same colour.
	function elapsedChart(box, c, yAxis, yScale, format) {
		var fmtS = function (v) { return v == null ? "—" : round3(v) + " s"; };
		draw(box, c, {
			data: seriesData(c), format: format, fmtX: fmtS,
			scales: { x: { time: false }, y: yScale },
			axes: [elapsedAxis(), yAxis],
			series: [{ label: "second", value: function (u, v) { return fmtS(v); } }].concat(c.series.map(function (s, i) {
				var l = line(s.label, 0, format);
				l.stroke = i < 2 ? "#0072B2" : "#56B4E9";
				l.dash = i % 2 ? [6, 4] : [];
				l.width = i % 2 ? 2 : 2.5;
				if (i % 2) l.stroke = i < 2 ? "#D55E00" : "#E69F00";
				return l;
			}))
		});
	}

	function baselineLatencyChart(box) {
		elapsedChart(box, data.baseline && data.baseline.latency, latencyAxis(), { distr: 3, log: 10 }, fmtMs);
	}

	function baselineErrorsChart(box) {
		elapsedChart(box, data.baseline && data.baseline.errors,
			{ label: "share of responses", labelSize: 20, size: 56, values: function (u, splits) { return splits.map(function (v) { return v == null ? "" : v + " %"; }); } },
			{ range: function () { return [0, 100]; } }, fmtPercent);
	}

	// loadChart draws the offered load (logical requests) and the
	// attempts sent for it: the attempts' area is filled, so the retries
	// read as the band between the lines without hovering. Its data is
	// data[data-key] (data.load by default); data.elapsed puts seconds
	// since the start on x, data.load_max fixes the top of y, so that the
	// charts of a comparison share their scale.
	function loadChart(box) {
		var c = data[box.getAttribute("data-key") || "load"];
		var elapsed = !!data.elapsed;
		var fmtS = function (v) { return v == null ? "—" : round3(v) + " s"; };
		draw(box, c, {
			data: c ? seriesData(c) : [], format: fmtRate, fmtX: elapsed ? fmtS : fmtTime,
			scales: {
				x: { time: !elapsed },
				y: { range: function (u, min, max) { var top = data.load_max || max; return [0, top > 0 ? top * 1.1 : 1]; } }
			},
			axes: [elapsed ? elapsedAxis() : timeAxis(c ? c.x : []), countAxis("requests per second")],
			series: [elapsed ? { label: "second", value: function (u, v) { return fmtS(v); } } :
				{ label: "interval", value: function (u, v) { return fmtTime(v); } }].concat(
				(c ? c.series : []).map(function (s, i) {
					var l = line(s.label, i, fmtRate);
					if (i === 1) { l.fill = withAlpha(color(1), "33"); }
					else { l.width = 2.5; }
					return l;
				}))
		});
	}

	var makers = {
		latency: latencyChart, percentiles: percentilesChart, classes: classesChart, families: familiesChart,
		errors: errorsChart, rates: ratesChart, in_flight: inFlightChart, scatter: scatterChart,
		baseline_latency: baselineLatencyChart, baseline_errors: baselineErrorsChart, load: loadChart
	};
	Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), function (box) {
		var make = makers[box.getAttribute("data-chart")];
		if (make) make(box);
	});

	// Follow the width of the page, but not the printer's: printed charts
	// are at most printWidth wide, and back to the page's after.
	function resize(printing) {
		charts.forEach(function (c) { c.u.setSize(size(c.el, printing)); });
	}
	var resizing = null;
	window.addEventListener("resize", function () {
		if (window.matchMedia && window.matchMedia("print").matches) return;
		clearTimeout(resizing);
		resizing = setTimeout(function () { resize(false); }, 150);
	});
	window.addEventListener("beforeprint", function () { resize(true); });
	window.addEventListener("afterprint", function () { resize(false); });

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
