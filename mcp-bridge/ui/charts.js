/* Zava charts: bar and line charts as SVG drawn here, sortable tables, and a
   meter. Every bar or point is an element with data-point, data-series,
   data-label and data-value (the raw number as given). Labels are SVG text. */
(function (global) {
  const { el, svg, fmt, num } = global.ZavaApp;
  const round = (v) => Math.round(v * 10) / 10;

  // Charts are drawn for the width they get, and again when it changes a lot
  // (same data, a new <svg>): text stays readable from 360 to 800 px and up.
  const redraw = new WeakMap();
  const observer = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => {
    for (const entry of entries) {
      const box = entry.target;
      if (!box.isConnected) { observer.unobserve(box); redraw.delete(box); continue; }
      const w = Math.floor(entry.contentRect.width);
      const r = redraw.get(box);
      // Drawn after the observer's delivery, so that it never loops.
      if (r && w > 0 && Math.abs(w - r.width) > 6) setTimeout(() => { if (box.isConnected) r.draw(w); }, 0);
    }
  }) : null;

  function guessWidth() {
    const c = document.querySelector("[data-content]");
    const w = c ? c.clientWidth : 0;
    return w > 0 ? w : 640;
  }

  function mount(legend, draw) {
    const box = el("div", { class: "z-chart" }, legend);
    const state = { width: Math.max(280, guessWidth()), node: null };
    state.draw = (w) => {
      state.width = Math.max(280, w);
      const next = draw(state.width);
      if (state.node) state.node.replaceWith(next);
      else box.appendChild(next);
      state.node = next;
    };
    state.draw(state.width);
    if (observer) { redraw.set(box, state); observer.observe(box); }
    return box;
  }

  function legendFor(series, line) {
    if (series.length < 2) return null;
    return el("ul", { class: "z-legend", "aria-hidden": "true" }, series.map((s) =>
      el("li", null, el("span", { class: "z-swatch " + (line ? "z-s-line " : "") + (s.className || "") }), capital(s.label || s.name))));
  }

  const capital = (s) => String(s).charAt(0).toUpperCase() + String(s).slice(1);

  function fit(text, max) {
    const chars = Array.from(String(text));
    return chars.length > max ? chars.slice(0, Math.max(1, max - 1)).join("") + "…" : chars.join("");
  }

  function summary(o) {
    if (o.ariaLabel) return o.ariaLabel;
    const s = o.series[0];
    let best = -1;
    (s ? s.values : []).forEach((v, i) => { if (num(v) !== null && (best < 0 || num(v) > num(s.values[best]))) best = i; });
    const n = o.labels.length;
    return (o.title || o.name) + ": " + n + (n === 1 ? " item" : " items") +
      (best >= 0 ? "; highest " + o.labels[best] + ", " + o.format(s.values[best]) : "");
  }

  function pointAttrs(s, label, raw, extra) {
    return Object.assign({ "data-point": "", "data-series": s.name, "data-label": String(label),
      "data-value": raw === null || raw === undefined ? "" : String(raw) }, extra);
  }

  function domain(series) {
    let lo = 0, hi = 0;
    for (const s of series) for (const v of s.values) {
      const n = num(v);
      if (n !== null) { lo = Math.min(lo, n); hi = Math.max(hi, n); }
    }
    return [lo, hi];
  }

  function niceStep(raw, integer) {
    if (!(raw > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / p;
    const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
    return integer ? Math.max(1, Math.ceil(step)) : step;
  }
  function niceTicks(lo, hi, count, integer) {
    if (!(hi > lo)) hi = lo + 1;
    const step = niceStep((hi - lo) / count, integer);
    const start = Math.floor(lo / step) * step;
    const ticks = [];
    for (let v = start; v < hi + step * 0.999; v += step) ticks.push(parseFloat(v.toPrecision(12)));
    if (ticks.length < 2) ticks.push(parseFloat((start + step).toPrecision(12)));
    return ticks;
  }

  /** Bars: {name, labels, series: [{name, values, className, label}], format, orientation
      ("horizontal", the default, or "vertical"), title, ariaLabel, axisFormat, tickLabel, integer}. */
  function barChart(o) {
    const opts = Object.assign({ format: String, orientation: "horizontal" }, o);
    opts.series = opts.series.slice(0, 2);
    const draw = opts.orientation === "vertical" ? (w) => vertical(opts, w, "bar") : (w) => horizontal(opts, w);
    return mount(legendFor(opts.series, false), draw);
  }

  /** A line per series with a point per label: {name, labels, series, format, axisFormat, tickLabel, title}. */
  function lineChart(o) {
    const opts = Object.assign({ format: String }, o);
    return mount(legendFor(opts.series, true), (w) => vertical(opts, w, "line"));
  }

  function frame(o, W, H, children) {
    return svg("svg", { "data-chart": o.name, role: "img", "aria-label": summary(o), viewBox: "0 0 " + W + " " + H,
      width: "100%", preserveAspectRatio: "xMinYMin meet", class: "z-svg" }, children);
  }

  function horizontal(o, W) {
    const S = o.series;
    const [lo, hi0] = domain(S);
    const hi = hi0 > lo ? hi0 : lo + 1;
    const valueSpace = 96;
    const plotW = Math.max(80, W - valueSpace);
    const x = (v) => ((v - lo) / (hi - lo)) * plotW;
    const heights = S.length > 1 ? [14, 10] : [16];
    const maxChars = Math.max(12, Math.floor(W / 7.2));
    const parts = [];
    let y = 2;
    o.labels.forEach((label, i) => {
      const text = String(label);
      parts.push(svg("text", { class: "z-label", x: 0, y: y + 13 }, fit(text, maxChars), svg("title", null, text)));
      y += 19;
      S.forEach((s, si) => {
        const raw = s.values[i];
        const v = num(raw);
        const h = heights[si] || 10;
        const x0 = x(Math.min(0, v === null ? 0 : v));
        const x1 = x(Math.max(0, v === null ? 0 : v));
        const w = v === null || v === 0 ? 0 : Math.max(1.5, x1 - x0);
        const shown = v === null ? "no figure" : o.format(raw);
        parts.push(svg("rect", pointAttrs(s, text, raw, { class: "z-bar " + (s.className || ""), x: round(x0), y, width: round(w), height: h, rx: 2 }),
          svg("title", null, text + " — " + (s.label || s.name) + ": " + shown)));
        parts.push(svg("text", { class: "z-value", x: round(Math.max(x0 + w, x(0)) + 5), y: y + h - 2, "aria-hidden": "true" }, shown));
        y += h + 3;
      });
      y += 9;
    });
    if (lo < 0) parts.push(svg("line", { class: "z-axis", x1: round(x(0)), x2: round(x(0)), y1: 0, y2: y }));
    return frame(o, W, Math.max(24, Math.ceil(y)), parts);
  }

  function vertical(o, W, kind) {
    const S = o.series;
    const n = o.labels.length;
    const H = o.height || 220;
    const M = { l: 56, r: 12, t: 10, b: 28 };
    const px0 = M.l, px1 = W - M.r, py0 = M.t, py1 = H - M.b;
    const [lo, hi] = domain(S);
    const ticks = niceTicks(lo, hi, 4, o.integer);
    const t0 = ticks[0], t1 = ticks[ticks.length - 1];
    const y = (v) => py1 - ((v - t0) / (t1 - t0)) * (py1 - py0);
    const band = (px1 - px0) / Math.max(1, n);
    const cx = (i) => px0 + (i + 0.5) * band;
    const axisFormat = o.axisFormat || o.format;
    const tickLabel = o.tickLabel || String;
    const parts = [];
    for (const t of ticks) {
      parts.push(svg("line", { class: "z-gridline", x1: px0, x2: px1, y1: round(y(t)), y2: round(y(t)) }));
      parts.push(svg("text", { class: "z-tick", x: px0 - 6, y: round(y(t)) + 4, "text-anchor": "end" }, axisFormat(t)));
    }
    parts.push(svg("line", { class: "z-axis", x1: px0, x2: px1, y1: round(y(Math.max(t0, 0))), y2: round(y(Math.max(t0, 0))) }));
    // Category labels under the axis: as many as fit, evenly spaced.
    const longest = o.labels.reduce((m, l) => Math.max(m, String(tickLabel(l)).length), 1);
    const every = Math.max(1, Math.ceil((n * (longest * 6.6 + 12)) / Math.max(1, px1 - px0)));
    for (let i = 0; i < n; i += every) {
      parts.push(svg("text", { class: "z-tick", x: round(cx(i)), y: H - 9, "text-anchor": "middle", "aria-hidden": "true" }, tickLabel(o.labels[i])));
    }
    const base = y(Math.min(Math.max(0, t0), t1));
    S.forEach((s, si) => {
      const title = (i, raw) => tickLabel(o.labels[i], true) + " — " + (s.label || s.name) + ": " + (num(raw) === null ? "no figure" : o.format(raw));
      if (kind === "bar") {
        const groupW = band * (n > 40 ? 0.9 : 0.72);
        const bw = groupW / S.length;
        o.labels.forEach((label, i) => {
          const raw = s.values[i];
          const v = num(raw);
          const bx = px0 + i * band + (band - groupW) / 2 + si * bw;
          const top = v === null ? base : Math.min(base, y(v));
          const h = v === null || v === 0 ? 0 : Math.max(1, Math.abs(y(v) - base));
          parts.push(svg("g", pointAttrs(s, label, raw), svg("title", null, title(i, raw)),
            svg("rect", { class: "z-hit", x: round(px0 + i * band), y: py0, width: round(band), height: round(py1 - py0) }),
            svg("rect", { class: "z-bar " + (s.className || ""), x: round(bx), y: round(top), width: round(Math.max(0.8, bw - (n > 40 ? 0.4 : 1))), height: round(h), rx: n > 40 ? 0 : 2 })));
        });
      } else {
        let d = "";
        let pen = false;
        o.labels.forEach((label, i) => {
          const v = num(s.values[i]);
          if (v === null) { pen = false; return; }
          d += (pen ? "L" : "M") + round(cx(i)) + " " + round(y(v));
          pen = true;
        });
        if (d) parts.push(svg("path", { class: "z-line " + (s.className || ""), d }));
        const r = band < 5 ? 1.5 : band < 9 ? 2 : band < 16 ? 2.5 : 3.5;
        o.labels.forEach((label, i) => {
          const raw = s.values[i];
          const v = num(raw);
          const cy = v === null ? base : y(v);
          parts.push(svg("g", pointAttrs(s, label, raw), svg("title", null, title(i, raw)),
            svg("circle", { class: "z-hit", cx: round(cx(i)), cy: round(cy), r: Math.max(6, Math.min(12, band / 2)) }),
            v === null ? null : svg("circle", { class: "z-pt " + (s.className || ""), cx: round(cx(i)), cy: round(cy), r })));
        });
      }
    });
    return frame(o, W, H, parts);
  }

  /** A sortable table: {name, caption, columns: [{key, label, numeric, ascendingFirst, value(row), cell(row)}],
      rows, rowAttrs(row)}. Clicking a header's button sorts by it (numbers largest first unless
      ascendingFirst, text A to Z); clicking again sorts the other way. */
  function table(o) {
    const columns = o.columns;
    const valueOf = (c, row) => (c.value ? c.value(row) : row[c.key]);
    const trs = o.rows.map((row, index) => ({ row, index,
      tr: el("tr", Object.assign({ "data-row": "" }, o.rowAttrs ? o.rowAttrs(row) : null),
        columns.map((c) => el("td", { class: c.numeric ? "z-num" : null, "data-col": c.key },
          c.cell ? c.cell(row) : String(valueOf(c, row) === null || valueOf(c, row) === undefined ? "—" : valueOf(c, row))))) }));
    const tbody = el("tbody", null, trs.map((t) => t.tr));
    let sortKey = null;
    let sortDir = "none";
    const ths = columns.map((c) => {
      const mark = el("span", { class: "z-sort-mark", "aria-hidden": "true" });
      const th = el("th", { scope: "col", class: c.numeric ? "z-num" : null, "aria-sort": "none", "data-col": c.key },
        el("button", { type: "button", class: "z-sort", onclick: () => sortBy(c) }, c.label, mark));
      th.mark = mark;
      return th;
    });
    function sortBy(c) {
      sortDir = sortKey === c.key ? (sortDir === "ascending" ? "descending" : "ascending")
        : c.numeric && !c.ascendingFirst ? "descending" : "ascending";
      sortKey = c.key;
      const sign = sortDir === "ascending" ? 1 : -1;
      const key = (t) => { const v = valueOf(c, t.row); return c.numeric ? num(v) : v === null || v === undefined ? null : String(v); };
      trs.sort((a, b) => {
        const ka = key(a), kb = key(b);
        if (ka === null || kb === null) return ka === kb ? a.index - b.index : ka === null ? 1 : -1;
        const cmp = c.numeric ? ka - kb : ka.localeCompare(kb, "en-US", { sensitivity: "base", numeric: true });
        return cmp !== 0 ? sign * cmp : a.index - b.index;
      });
      tbody.append(...trs.map((t) => t.tr));
      columns.forEach((col, i) => {
        const on = col.key === c.key;
        ths[i].setAttribute("aria-sort", on ? sortDir : "none");
        ths[i].mark.textContent = on ? (sortDir === "ascending" ? "▲" : "▼") : "";
      });
    }
    return el("div", { class: "z-table-wrap", role: "region", tabindex: "0", "aria-label": o.caption || o.name },
      el("table", { "data-table": o.name }, o.caption ? el("caption", null, o.caption) : null,
        el("thead", null, el("tr", null, ths)), tbody));
  }

  /** A bar inside a table cell: {series, label, value, max, low, text}. */
  function meter(o) {
    const v = num(o.value);
    const max = num(o.max) || 1;
    const pct = v === null ? 0 : Math.max(0, Math.min(100, (v / max) * 100));
    return el("span", { class: "z-meter" },
      el("span", { class: "z-meter-track", "aria-hidden": "true" },
        el("span", Object.assign(pointAttrs({ name: o.series }, o.label, o.value),
          { class: "z-meter-bar" + (o.low ? " z-low" : ""), style: { width: round(pct) + "%" } }))),
      el("span", { class: "z-meter-text" }, o.text === undefined ? fmt.dec(o.value) : o.text));
  }

  global.ZavaCharts = Object.freeze({ barChart, lineChart, table, meter, niceTicks });
})(window);
