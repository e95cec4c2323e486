// The MCP Apps views of zava-mcp in a real browser (Debian's Chromium, driven
// by playwright-core), shown by the project's host page (mcp-bridge/ui-host:
// the official MCP client and ext-apps' AppBridge) as seattle_manager and as
// head office. For every view it reads the DOM inside the sandboxed frame and
// checks it against the tool's structured answer; it also checks what the
// views may not do (reach the network, offer another person's stores, run
// markup from the database) and that a client without the extension sees no
// trace of the views. One "ok - …" / "not ok - …" line per check; exits 1 on
// any failure. Run by tests/e2e/ui.sh, which starts the bridge:
//
//   ZAVA_UI_BASE=http://127.0.0.1:8775 SEATTLE_TOKEN=… HEAD_OFFICE_TOKEN=… \
//   ZAVA_SCREENSHOT_DIR=target/ui-screenshots node tests/ui/browser.mjs
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";

import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { chromium } from "playwright-core";

const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.log(`not ok - the environment names ${name}`);
    process.exit(1);
  }
  return v;
};
const BASE = new URL(need("ZAVA_UI_BASE")).origin;
const PRINCIPALS = [
  ["seattle_manager", need("SEATTLE_TOKEN")],
  ["head_office", need("HEAD_OFFICE_TOKEN")],
];
const SHOTS = need("ZAVA_SCREENSHOT_DIR");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const XSS_NAME = process.env.ZAVA_XSS_NAME || "<img src=x onerror=alert(1)>";
const XSS_SKU = process.env.ZAVA_XSS_SKU || "XSS-0001";

const EXTENSION_ID = "io.modelcontextprotocol/ui";
const MIME = "text/html;profile=mcp-app";
const MAX_VIEW_BYTES = 300 * 1024;
// The demo data ends 2024-06-30 (and the suite sets zava.as_of_date to that
// day, so named periods such as last_quarter mean Q1 2024).
const PERIOD = "2024-04-01..2024-06-30";
const SWITCH_PERIOD = "last_quarter";
const VIEWS = {
  get_store_performance: "ui://zava/store-performance",
  get_sales_trend: "ui://zava/sales-trend",
  get_category_breakdown: "ui://zava/category-breakdown",
  get_top_products: "ui://zava/top-products",
  get_inventory_alerts: "ui://zava/inventory-alerts",
  semantic_search_products: "ui://zava/product-search",
};
// The policy the host page must give a view that declares no domain at all.
const VIEW_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
  + "connect-src 'none'; frame-src 'none'; base-uri 'none'";
const viewName = (uri) => uri.replace("ui://zava/", "").replace(/-/g, "_");

// --- reporting ------------------------------------------------------------------

let passed = 0;
let failed = 0;
// The two principals run at once; each one's lines are printed together.
const output = new AsyncLocalStorage();
const pendingOutput = [];
const emit = (line) => {
  const buffer = output.getStore();
  if (buffer) buffer.push(line);
  else console.log(line);
};
function check(description, ok, detail) {
  if (ok) {
    passed += 1;
    emit(`ok - ${description}`);
  } else {
    failed += 1;
    emit(`not ok - ${description}`);
    if (detail !== undefined) {
      const text = typeof detail === "string" ? detail : JSON.stringify(detail, null, 1);
      for (const line of text.split("\n").slice(0, 40)) emit(`#   ${line}`);
    }
  }
  return ok;
}
const note = (line) => emit(`# ${line}`);
const messageOf = (e) => String(e?.stack || e?.message || e).split("\n").slice(0, 4).join(" | ");

// Nothing here may hang the suite.
const deadline = setTimeout(() => {
  for (const lines of pendingOutput) for (const line of lines) console.log(line);
  console.log("not ok - the browser test finished within 150 s");
  process.exit(1);
}, 150_000);
deadline.unref();

// --- the answer against the DOM -------------------------------------------------

const str = (v) => (v === null || v === undefined ? "" : String(v));
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** Marks of one series as [label, value] pairs, in DOM order. */
const series = (marks, name) => (marks || []).filter((m) => m.series === name).map((m) => [m.label, m.value]);

/**
 * What a view must show for an answer: per chart and series the marks
 * ([label, String(raw number)] in the answer's order), table rows, list items
 * and result cards.
 */
function expected(tool, sc, args) {
  const rows = Array.isArray(sc?.rows) ? sc.rows : [];
  switch (tool) {
    case "get_store_performance":
      return {
        charts: {
          top_categories: {
            current: sc.top_categories.map((c) => [c.category, str(c.revenue)]),
            previous: sc.top_categories.map((c) => [c.category, str(c.previous_revenue)]),
          },
          top_products: { current: sc.top_products.map((p) => [p.product, str(p.revenue)]) },
        },
        lists: { insights: sc.insights },
        figures: { revenue: str(sc.current.revenue), orders: str(sc.current.orders), units: str(sc.current.units) },
      };
    case "get_sales_trend":
      return {
        charts: {
          revenue: { revenue: rows.map((r) => [r.bucket, str(r.revenue)]) },
          orders: { orders: rows.map((r) => [r.bucket, str(r.orders)]) },
        },
      };
    case "get_category_breakdown": {
      const compared = rows.some((r) => r.compare_revenue !== null && r.compare_revenue !== undefined);
      const chart = { current: rows.map((r) => [r.category, str(r.revenue)]) };
      if (compared) chart.previous = rows.map((r) => [r.category, str(r.compare_revenue)]);
      return {
        charts: { categories: chart },
        tables: { categories: rows.map((r) => ({ key: null, cells: { category: r.category, revenue: money.format(r.revenue) } })) },
      };
    }
    case "get_top_products": {
      const chart = { current: rows.map((r) => [r.product_name, str(r.revenue)]) };
      if (args.compare_to) chart.previous = rows.map((r) => [r.product_name, str(r.compare_revenue)]);
      return {
        charts: { products: chart },
        tables: { products: rows.map((r) => ({ key: r.sku, cells: { revenue: money.format(r.revenue), category: r.category } })) },
      };
    }
    case "get_inventory_alerts":
      return {
        charts: {},
        tables: { alerts: rows.map((r) => ({ key: r.sku, cells: { store_name: r.store_name } })) },
        tableMarks: { alerts: { days_of_cover: rows.map((r) => [r.product_name, str(r.days_of_cover)]) } },
      };
    case "semantic_search_products":
      return {
        charts: {},
        articles: rows.map((r) => ({ sku: r.sku, name: r.product_name, price: money.format(r.price) })),
      };
    default:
      throw new Error(`no expectations for ${tool}`);
  }
}

/** Compares a snapshot with the expectations: [marks/rows per chart (a), differences in labels and values (b)]. */
function compare(tool, snap, exp) {
  const counts = [];
  const diffs = [];
  const countsOk = [];
  for (const [chart, bySeries] of Object.entries(exp.charts)) {
    for (const [name, want] of Object.entries(bySeries)) {
      const got = series(snap.charts[chart], name);
      // A chart without rows is not drawn: no marks at all is what it shows.
      const ok = got.length === want.length && (want.length > 0 || !snap.charts[chart] || got.length === 0);
      countsOk.push(ok);
      counts.push(`${chart}/${name} ${got.length} marks for ${want.length} rows`);
      for (let i = 0; i < Math.max(got.length, want.length); i++) {
        if (JSON.stringify(got[i]) !== JSON.stringify(want[i])) {
          diffs.push(`${chart}/${name}[${i}]: shown ${JSON.stringify(got[i])}, answer ${JSON.stringify(want[i])}`);
        }
      }
    }
    if (Object.values(bySeries).every((w) => w.length > 0) && !snap.charts[chart]) diffs.push(`no <svg data-chart="${chart}">`);
  }
  for (const [table, wantRows] of Object.entries(exp.tables || {})) {
    const got = snap.tables[table] || [];
    countsOk.push(got.length === wantRows.length);
    counts.push(`table ${table} ${got.length} rows for ${wantRows.length}`);
    wantRows.forEach((w, i) => {
      const g = got[i];
      if (!g) return diffs.push(`table ${table}: no row ${i}`);
      if (w.key !== null && g.sku !== w.key) diffs.push(`table ${table}[${i}]: data-sku ${g.sku}, answer ${w.key}`);
      for (const [col, text] of Object.entries(w.cells)) {
        if ((g.cells[col] || "").trim() !== text) diffs.push(`table ${table}[${i}].${col}: shown ${JSON.stringify(g.cells[col])}, answer ${JSON.stringify(text)}`);
      }
    });
  }
  for (const [table, bySeries] of Object.entries(exp.tableMarks || {})) {
    const marks = (snap.tables[table] || []).flatMap((r) => r.marks);
    for (const [name, want] of Object.entries(bySeries)) {
      const got = series(marks, name);
      countsOk.push(got.length === want.length);
      counts.push(`${table}/${name} ${got.length} bars for ${want.length} rows`);
      want.forEach((w, i) => {
        if (JSON.stringify(got[i]) !== JSON.stringify(w)) diffs.push(`${table}/${name}[${i}]: shown ${JSON.stringify(got[i])}, answer ${JSON.stringify(w)}`);
      });
    }
  }
  for (const [list, want] of Object.entries(exp.lists || {})) {
    const got = snap.lists[list] || [];
    countsOk.push(got.length === want.length);
    counts.push(`list ${list} ${got.length} items for ${want.length}`);
    want.forEach((w, i) => {
      if (got[i] !== w) diffs.push(`list ${list}[${i}]: shown ${JSON.stringify(got[i])}, answer ${JSON.stringify(w)}`);
    });
  }
  if (exp.articles) {
    countsOk.push(snap.articles.length === exp.articles.length);
    counts.push(`${snap.articles.length} result cards for ${exp.articles.length} rows`);
    exp.articles.forEach((w, i) => {
      const g = snap.articles[i];
      if (!g) return diffs.push(`no card ${i}`);
      if (g.sku !== w.sku || g.name !== w.name || g.price !== w.price) diffs.push(`card ${i}: shown ${JSON.stringify([g.sku, g.name, g.price])}, answer ${JSON.stringify([w.sku, w.name, w.price])}`);
    });
  }
  for (const [key, want] of Object.entries(exp.figures || {})) {
    if (snap.figures[key] !== want) diffs.push(`figure ${key}: shown ${JSON.stringify(snap.figures[key])}, answer ${JSON.stringify(want)}`);
  }
  return { countsOk: countsOk.every(Boolean), counts: counts.join("; "), diffs };
}

// Runs inside a view's frame: everything the checks read, as plain data.
function snapshotInFrame() {
  const marks = (root) => [...root.querySelectorAll("[data-point]")].map((m) => ({
    series: m.getAttribute("data-series"), label: m.getAttribute("data-label"), value: m.getAttribute("data-value"),
  }));
  const charts = {};
  for (const s of document.querySelectorAll("svg[data-chart]")) charts[s.getAttribute("data-chart")] = marks(s);
  const tables = {};
  for (const t of document.querySelectorAll("table[data-table]")) {
    tables[t.getAttribute("data-table")] = [...t.querySelectorAll("tr[data-row]")].map((tr) => {
      const cells = {};
      for (const td of tr.querySelectorAll("td[data-col]")) cells[td.getAttribute("data-col")] = td.textContent;
      return { sku: tr.getAttribute("data-sku"), cells, text: tr.textContent, marks: marks(tr) };
    });
  }
  const lists = {};
  for (const u of document.querySelectorAll("ul[data-list]")) lists[u.getAttribute("data-list")] = [...u.children].map((li) => li.textContent);
  const controls = {};
  for (const s of document.querySelectorAll("select[data-control]")) {
    controls[s.getAttribute("data-control")] = { value: s.value, options: [...s.options].map((o) => ({ value: o.value, text: o.textContent })) };
  }
  const figures = {};
  for (const f of document.querySelectorAll("[data-figure]")) {
    const v = f.querySelector("[data-value]");
    figures[f.getAttribute("data-figure")] = v ? v.getAttribute("data-value") : null;
  }
  const articles = [...document.querySelectorAll("article[data-row]")].map((a) => ({
    sku: a.getAttribute("data-sku"),
    name: a.querySelector('[data-field="product_name"]')?.textContent ?? null,
    price: a.querySelector('[data-field="price"]')?.textContent ?? null,
    text: a.textContent,
  }));
  // Every text a person or a screen reader gets: text nodes (outside script
  // and style) and attribute values.
  const copy = document.body.cloneNode(true);
  for (const n of copy.querySelectorAll("script, style")) n.remove();
  const attributes = [];
  let onAttributes = 0;
  for (const e of document.querySelectorAll("*")) {
    for (const a of e.attributes) {
      attributes.push(a.value);
      if (/^on/i.test(a.name)) onAttributes += 1;
    }
  }
  const meta = document.head && document.head.firstElementChild;
  return {
    state: document.body.dataset.state, renders: Number(document.body.dataset.renders || 0),
    charts, tables, lists, controls, figures, articles,
    storeText: document.querySelector("[data-store-text]")?.textContent ?? null,
    storeSelect: !!document.querySelector('select[data-control="store"]'),
    errors: [...document.querySelectorAll("[data-error]")].map((e) => e.textContent),
    text: copy.textContent, attributes: attributes.join("\n"),
    images: document.querySelectorAll("img, image, picture, object, embed, iframe").length,
    scripts: document.scripts.length, onAttributes,
    origin: self.origin,
    firstHeadElement: meta ? meta.outerHTML : null,
    csp: meta && meta.getAttribute("http-equiv") === "Content-Security-Policy" ? meta.getAttribute("content") : null,
  };
}

// --- PNG: enough of a decoder to tell a blank screenshot -----------------------

function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let off = 8;
  let width, height, depth, type;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const kind = buf.toString("latin1", off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === "IHDR") {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4); depth = data[8]; type = data[9];
      if (data[12] !== 0) throw new Error("interlaced PNG");
    } else if (kind === "IDAT") idat.push(data);
    else if (kind === "IEND") break;
    off += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  if (depth !== 8 || !channels) throw new Error(`PNG type ${type} depth ${depth}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  return { width, height, channels, pixels: out };
}

/** Distinct colours and the share of pixels that are not the most common one. */
function colourStats(png) {
  const counts = new Map();
  const { pixels, channels } = png;
  for (let i = 0; i < pixels.length; i += channels) {
    let key = 0;
    for (let c = 0; c < Math.min(channels, 3); c++) key = key * 256 + pixels[i + c];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const total = pixels.length / channels;
  const top = Math.max(...counts.values());
  return { colours: counts.size, other: (total - top) / total };
}

// --- MCP from Node --------------------------------------------------------------

async function nodeClient(token, withViews) {
  const client = new Client(
    { name: withViews ? "zava-ui-test" : "zava-plain-test", version: "1.0.0" },
    withViews ? { capabilities: { extensions: { [EXTENSION_ID]: { mimeTypes: [MIME] } } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", BASE), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  return client;
}

const hasUiMeta = (t) => !!(t._meta && (t._meta.ui !== undefined || t._meta["ui/resourceUri"] !== undefined));

async function plainClientChecks() {
  const client = await nodeClient(PRINCIPALS[0][1], false);
  try {
    const { tools } = await client.listTools();
    check("a plain client (no extension declared) lists the tools without any _meta.ui",
      tools.length > 0 && !tools.some(hasUiMeta), tools.filter(hasUiMeta).map((t) => t.name));
    check("a plain client is not offered the app-only tool list_my_stores", !tools.some((t) => t.name === "list_my_stores"));
    const { resources } = await client.listResources();
    const ui = resources.filter((r) => r.uri.startsWith("ui://"));
    check("a plain client lists no ui:// resource", resources.length > 0 && ui.length === 0, ui.map((r) => r.uri));
    let refused;
    try {
      const r = await client.callTool({ name: "list_my_stores", arguments: {} });
      refused = r.isError === true;
    } catch {
      refused = true;
    }
    check("a plain client cannot call list_my_stores", refused);
  } finally {
    await client.close();
  }
}

/** list_my_stores as each principal, from Node with the extension declared. */
async function storesOf(token) {
  const client = await nodeClient(token, true);
  try {
    const r = await client.callTool({ name: "list_my_stores", arguments: {} });
    if (r.isError) throw new Error(`list_my_stores failed: ${JSON.stringify(r.content)}`);
    return r.structuredContent.stores;
  } finally {
    await client.close();
  }
}

// --- the browser ----------------------------------------------------------------

async function showView(page, tool, args) {
  const shown = await page.evaluate(async ([t, a]) => {
    const r = await window.zavaHost.show(t, a);
    return { result: r.result, html: r.html };
  }, [tool, args]);
  const handle = await page.waitForSelector("iframe#view");
  const frame = await handle.contentFrame();
  await frame.waitForFunction(() => document.body && ["ready", "error"].includes(document.body.dataset.state)
    && Number(document.body.dataset.renders) >= 1, null, { timeout: 15000 });
  await storesSettled(frame);
  return { ...shown, frame, handle };
}

/** The store control has its options (list_my_stores answered) or the view has none. */
function storesSettled(frame) {
  return frame.waitForFunction(() => {
    const wrap = document.querySelector('[data-control-wrap="store"]');
    return !wrap || !!wrap.querySelector("select") || !/loading/i.test(wrap.textContent);
  }, null, { timeout: 15000 });
}

/** Chooses `value` in a control and waits for the view's next render. */
async function switchControl(page, frame, control, value) {
  const before = await frame.evaluate(() => Number(document.body.dataset.renders));
  const n = await page.evaluate(() => window.zavaHost.calls.length);
  await frame.selectOption(`select[data-control="${control}"]`, value);
  await frame.waitForFunction((b) => Number(document.body.dataset.renders) > b && document.body.dataset.state !== "loading", before, { timeout: 15000 });
  const calls = await page.evaluate((k) => window.zavaHost.calls.slice(k), n);
  return calls;
}

/** Waits until the frame's height has stopped changing (the view reports its size). */
async function settledSize(page) {
  let last = "";
  for (let i = 0; i < 40; i++) {
    const h = await page.evaluate(() => document.getElementById("view")?.style.height || "");
    if (h && h === last) return h;
    last = h;
    await page.waitForTimeout(75);
  }
  return last;
}

/** Takes a screenshot with the whole frame inside the viewport: Chromium
    paints little of a frame beyond it, and the rest would come out blank. */
async function withFrameInView(page, handle, take) {
  await settledSize(page);
  const box = await handle.boundingBox();
  const viewport = page.viewportSize();
  const tall = Math.ceil(box.y + box.height + 16);
  if (tall > viewport.height) await page.setViewportSize({ width: viewport.width, height: tall });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  try {
    return await take();
  } finally {
    if (tall > viewport.height) await page.setViewportSize(viewport);
  }
}

async function screenshot(page, handle, file) {
  const buf = await withFrameInView(page, handle, () => handle.screenshot({ path: file }));
  const png = decodePng(buf);
  const stats = colourStats(png);
  return { bytes: buf.length, width: png.width, height: png.height, ...stats };
}

const CASES = (xss) => [
  { tool: "get_store_performance", args: { period: PERIOD }, switchTo: ["period", SWITCH_PERIOD] },
  { tool: "get_sales_trend", args: { from_date: "2024-04-01", to_date: "2024-06-30", granularity: "week" }, switchTo: ["granularity", "month"] },
  { tool: "get_category_breakdown", args: { period: PERIOD, compare_to: "previous_period" }, switchTo: ["period", SWITCH_PERIOD] },
  { tool: "get_top_products", args: { period: PERIOD, k: 10, compare_to: "previous_period" }, switchTo: ["period", SWITCH_PERIOD], xss },
  { tool: "get_inventory_alerts", args: { min_days_of_cover: 14 }, xss },
  { tool: "semantic_search_products", args: { query_description: "something to fix a leaking pipe", max_rows: 10 } },
  { tool: "semantic_search_products", args: { query_description: XSS_SKU, max_rows: 5 }, xss, label: "search for the XSS product" },
];

async function principalRun(browser, who, token, stores, allStores) {
  const context = await browser.newContext({ viewport: { width: 960, height: 900 }, deviceScaleFactor: 1 });
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on("websocket", (ws) => requests.push(ws.url()));
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  const problems = [];
  // What the CSP probe below provokes on purpose is kept apart.
  const probeLog = [];
  let probing = false;
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") (probing ? probeLog : problems).push(`console error: ${m.text()}`);
  });
  const mine = new Set(stores.map((s) => s.store_name));
  const others = allStores.filter((s) => !mine.has(s.store_name) && !stores.some((m) => m.store_id === s.store_id));
  const sizes = [];

  await page.goto(`${BASE}/ui-host/#token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => window.zavaHost && window.zavaHost.ready);
  let tools;
  try {
    tools = await page.evaluate(async () => {
      await window.zavaHost.ready;
      return window.zavaHost.tools.map((t) => ({ name: t.name, meta: t._meta ?? null }));
    });
  } catch (e) {
    check(`${who}: the host page connects to /mcp with the token`, false, messageOf(e));
    await context.close();
    return { requests, dialogs };
  }
  const linked = Object.entries(VIEWS).filter(([tool, uri]) => {
    const t = tools.find((x) => x.name === tool);
    return t && t.meta?.ui?.resourceUri === uri && t.meta["ui/resourceUri"] === uri;
  });
  check(`${who}: the host page (extension declared) sees the six tools linked to their views`, linked.length === 6,
    tools.filter((t) => t.meta).map((t) => [t.name, t.meta]));
  const appOnly = tools.find((t) => t.name === "list_my_stores");
  check(`${who}: list_my_stores is listed as app-only`, JSON.stringify(appOnly?.meta?.ui?.visibility) === '["app"]', appOnly);

  const cases = CASES(who === "seattle_manager");
  for (const c of cases) {
    const uri = VIEWS[c.tool];
    const view = viewName(uri);
    const what = `${view}${c.label ? ` (${c.label})` : ""} as ${who}`;
    try {
      const { result, html, frame, handle } = await showView(page, c.tool, c.args);
      const sc = result.structuredContent;
      const snap = await frame.evaluate(snapshotInFrame);
      if (!check(`${what}: the tool answered and the view rendered it (state ready)`, !result.isError && sc && snap.state === "ready",
        { isError: result.isError, state: snap.state, errors: snap.errors, content: result.content })) continue;
      const bytes = Buffer.byteLength(html, "utf8");
      sizes.push([view, bytes]);
      check(`${what}: the view's HTML is under 300 KB (${bytes} bytes)`, bytes < MAX_VIEW_BYTES);
      const rowsIn = Array.isArray(sc.rows) ? sc.rows.length : sc.top_categories.length + sc.top_products.length;
      check(`${what}: the answer has rows to show (${rowsIn})`, rowsIn > 0);
      const cmp = compare(c.tool, snap, expected(c.tool, sc, c.args));
      check(`${what}: (a) one mark or row per row of the answer: ${cmp.counts}`, cmp.countsOk);
      check(`${what}: (b) labels and numbers shown equal the answer's`, cmp.diffs.length === 0, cmp.diffs);
      check(`${what}: the view runs in an opaque origin under the CSP the host put first in its head`,
        snap.origin === "null" && snap.csp === VIEW_CSP, { origin: snap.origin, first: snap.firstHeadElement });
      check(`${what}: no image or embedded element, no on* attribute, one script`, snap.images === 0 && snap.onAttributes === 0 && snap.scripts === 1,
        { images: snap.images, onAttributes: snap.onAttributes, scripts: snap.scripts });

      if (who === "seattle_manager") {
        const leaked = others.filter((s) => {
          let text = `${snap.text}\n${snap.attributes}`;
          for (const m of mine) text = text.split(m).join(" ");
          return text.includes(s.store_name) || text.includes(s.store_id);
        });
        const storeControl = !!c.switchTo || c.tool === "get_inventory_alerts";
        check(`${what}: (d) no element offers or names another store`,
          leaked.length === 0 && !snap.storeSelect && (!storeControl || snap.storeText === stores[0].store_name),
          { leaked: leaked.map((s) => s.store_name), storeSelect: snap.storeSelect, storeText: snap.storeText });
      } else if (c.switchTo || c.tool === "get_inventory_alerts") {
        const opts = snap.controls.store?.options.map((o) => o.value).filter(Boolean) || [];
        check(`${what}: the store picker offers exactly the caller's stores (${stores.length})`,
          opts.length === stores.length && stores.every((s) => opts.includes(s.store_id)), snap.controls.store);
      }

      if (c.xss) {
        const marks = Object.values(snap.charts).flat().concat(Object.values(snap.tables).flatMap((rs) => rs.flatMap((r) => r.marks)));
        const shownAsText = snap.text.includes(XSS_NAME)
          && (marks.some((m) => m.label === XSS_NAME) || snap.articles.some((a) => a.name === XSS_NAME));
        const inAnswer = JSON.stringify(sc).includes(XSS_NAME);
        check(`${what}: (e) the product named ${XSS_NAME} is in the answer and shown as those characters, not markup`,
          inAnswer && shownAsText && snap.images === 0, { inAnswer, shownAsText, images: snap.images });
      }

      // The first answer, as a person sees it (before any control is changed).
      const shot = join(SHOTS, `${view}${c.label ? "_xss" : ""}${who === "seattle_manager" ? "" : `.${who}`}.png`);
      const s = await screenshot(page, handle, shot);
      check(`${what}: (h) screenshot ${shot.replace(/^.*\/target\//, "target/")} is not blank (${s.width}x${s.height}, ${s.bytes} bytes, ${s.colours} colours)`,
        s.bytes > 5000 && s.colours >= 8 && s.other > 0.01 && s.height >= 100, s);

      if (c.switchTo) {
        const [control, value] = c.switchTo;
        const calls = await switchControl(page, frame, control, value);
        const call = calls.find((k) => k.name === c.tool);
        const wantArgs = { ...c.args, [control]: value };
        const argsOk = call && Object.entries(wantArgs).every(([k, v]) => JSON.stringify(call.arguments[k]) === JSON.stringify(v));
        check(`${what}: (c) choosing ${control} ${value} calls ${c.tool} through the host with ${control} "${value}" (other arguments kept)`,
          !!argsOk && !!call.result, calls.map((k) => ({ name: k.name, arguments: k.arguments, error: k.error })));
        if (call?.result) {
          const after = await frame.evaluate(snapshotInFrame);
          const sc2 = call.result.structuredContent;
          const cmp2 = compare(c.tool, after, expected(c.tool, sc2, wantArgs));
          const rows2 = Array.isArray(sc2?.rows) ? sc2.rows.length : (sc2?.top_categories?.length ?? 0);
          check(`${what}: (c) the view re-rendered with that answer (${cmp2.counts})`,
            after.state === "ready" && rows2 > 0 && cmp2.countsOk && cmp2.diffs.length === 0,
            { state: after.state, rows: rows2, diffs: cmp2.diffs, counts: cmp2.counts });
        }
        if (who === "head_office" && c.tool === "get_store_performance") {
          const target = stores.find((s) => s.store_name.includes("Seattle")) || stores[0];
          const storeCalls = await switchControl(page, frame, "store", target.store_id);
          const call2 = storeCalls.find((k) => k.name === c.tool);
          const after = await frame.evaluate(snapshotInFrame);
          const sc3 = call2?.result?.structuredContent;
          const cmp3 = sc3 ? compare(c.tool, after, expected(c.tool, sc3, call2.arguments)) : null;
          check(`${what}: choosing the store ${target.store_name} calls the tool with its store_id and shows that store's answer`,
            call2?.arguments?.store_id === target.store_id && sc3?.store_id === target.store_id && cmp3.diffs.length === 0 && cmp3.countsOk,
            { arguments: call2?.arguments, store_id: sc3?.store_id, diffs: cmp3?.diffs });
        }
      }

      if (who === "seattle_manager" && c.tool === "get_store_performance") {
        // The host side of the bridge: the view's own calls and the sandbox.
        probing = true;
        const probe = await frame.evaluate(async (base) => {
          const out = {};
          try {
            void window.parent.document.title;
            out.parent = "reachable";
          } catch {
            out.parent = "blocked";
          }
          let violations = 0;
          document.addEventListener("securitypolicyviolation", () => { violations += 1; });
          try {
            await fetch(`${base}/mcp`, { method: "POST", body: "{}" });
            out.fetch = "fetched";
          } catch {
            out.fetch = "refused";
          }
          await new Promise((r) => setTimeout(r, 50));
          out.violations = violations;
          out.unknown = await new Promise((resolve) => {
            const id = 990001;
            const timer = setTimeout(() => resolve("no answer"), 5000);
            window.addEventListener("message", function onReply(e) {
              if (e.source === window.parent && e.data && e.data.id === id) {
                clearTimeout(timer);
                window.removeEventListener("message", onReply);
                resolve(e.data.error ? "refused" : "answered");
              }
            });
            window.parent.postMessage({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "no_such_tool", arguments: {} } }, "*");
          });
          return out;
        }, BASE);
        await page.waitForTimeout(50);
        probing = false;
        probe.console = probeLog;
        check(`${what}: the view cannot reach the host page's document (sandbox without allow-same-origin)`, probe.parent === "blocked", probe);
        check(`${what}: the view's own fetch is refused by its CSP (connect-src 'none')`, probe.fetch === "refused" && probe.violations >= 1
          && probeLog.some((l) => l.includes("connect-src 'none'")), probe);
        check(`${what}: the host refuses a view's call of a tool the server does not offer`, probe.unknown === "refused", probe);
        const storeCalls = await page.evaluate(() => window.zavaHost.calls.filter((k) => k.name === "list_my_stores"));
        const got = storeCalls.at(-1)?.result?.structuredContent?.stores;
        check(`${what}: the view asked list_my_stores through the host and got the caller's stores only`,
          JSON.stringify(got) === JSON.stringify(stores), { got, stores });
      }

    } catch (e) {
      check(`${what}: shown and checked`, false, messageOf(e));
    }
  }

  if (who === "seattle_manager") {
    // The page's own form, as a person uses it: pick a tool, Run.
    try {
      await page.selectOption("#tool", "get_category_breakdown");
      await page.click("#run");
      await page.waitForFunction(() => /shown|error|could not/i.test(document.getElementById("status").textContent), null, { timeout: 15000 });
      const handle = await page.waitForSelector("iframe#view");
      const frame = await handle.contentFrame();
      await frame.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 15000 });
      const status = await page.textContent("#status");
      const snap = await frame.evaluate(snapshotInFrame);
      check("the host page's form (tool picker, arguments, Run) shows the chosen tool's view",
        /shown/.test(status) && (snap.charts.categories || []).length > 0, { status, charts: Object.keys(snap.charts) });
      const file = join(SHOTS, "host_page.png");
      await withFrameInView(page, handle, () => page.screenshot({ path: file }));
    } catch (e) {
      check("the host page's form (tool picker, arguments, Run) shows the chosen tool's view", false, messageOf(e));
    }
  }

  await page.waitForTimeout(200);
  check(`${who}: (e) no dialog opened (no markup from the database ran)`, dialogs.length === 0, dialogs);
  check(`${who}: the page and its views threw and logged no errors`, problems.length === 0, problems);
  await context.close();
  return { requests, dialogs, sizes };
}

function requestChecks(allRequests) {
  const outside = allRequests.filter((u) => {
    if (u.startsWith("about:") || u.startsWith("data:")) return false;
    const url = new URL(u);
    return !(url.origin === BASE && (url.pathname.startsWith("/ui-host/") || url.pathname === "/mcp"));
  });
  const mcp = allRequests.filter((u) => u.startsWith(`${BASE}/mcp`)).length;
  check(`(f) every request of the pages and their frames went to ${BASE}/ui-host/… or /mcp, or was about:/data: (${allRequests.length} requests, ${mcp} to /mcp)`,
    outside.length === 0 && mcp > 0 && allRequests.includes(`${BASE}/ui-host/host.js`), [...new Set(outside)]);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  await plainClientChecks();
  const stores = {};
  for (const [who, token] of PRINCIPALS) stores[who] = await storesOf(token);
  check("list_my_stores gives seattle_manager one store and head office several, Seattle's among them",
    stores.seattle_manager.length === 1 && stores.head_office.length > 1
      && stores.head_office.some((s) => s.store_id === stores.seattle_manager[0].store_id), stores);

  const started = Date.now();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright-core gives every launch a fresh --user-data-dir of its own
    // (a new temporary profile, removed on close); it refuses one in args.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  note(`Chromium ${browser.version()} started in ${Date.now() - started} ms`);
  const requests = [];
  try {
    const runs = await Promise.all(PRINCIPALS.map(([who, token]) => {
      const lines = [];
      pendingOutput.push(lines);
      return output.run(lines, async () => {
        const t0 = Date.now();
        try {
          const r = await principalRun(browser, who, token, stores[who], stores.head_office);
          requests.push(...r.requests);
        } catch (e) {
          check(`${who}: the views were shown and checked`, false, messageOf(e));
        }
        note(`${who}: ${Date.now() - t0} ms`);
        return lines;
      });
    }));
    for (const lines of runs) for (const line of lines) console.log(line);
  } finally {
    await browser.close();
  }
  requestChecks(requests);
}

try {
  await main();
} catch (e) {
  check("the browser test ran", false, messageOf(e));
}
console.log(`# browser.mjs: ${passed} ok, ${failed} not ok`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
