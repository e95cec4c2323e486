"use strict";
/* Zava MCP App views: the host protocol (extension io.modelcontextprotocol/ui,
   protocol version 2026-01-26, JSON-RPC 2.0 over postMessage), a DOM builder
   that turns every string into a text node, number formatting, and the shell
   every view shares (heading, controls, status, error, content).
   Database text is data: it only ever reaches the page as text. */
(function (global) {
  const PROTOCOL_VERSION = "2026-01-26";
  const SVG_NS = "http://www.w3.org/2000/svg"; // a namespace name, never fetched
  const CALL_TIMEOUT_MS = 30000;

  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const messageOf = (e) => (e && typeof e.message === "string" ? e.message : String(e));

  // ---- DOM builder --------------------------------------------------------
  // Attributes that load or run something are refused outright; so are
  // elements that could. Event handlers must be functions; style only an
  // object of properties set one by one.
  const REFUSED_ATTRS = new Set(["href", "xlink:href", "src", "srcset", "srcdoc", "action", "formaction",
    "poster", "data", "background", "ping", "codebase", "cite", "manifest", "archive", "longdesc", "lowsrc"]);
  const REFUSED_TAGS = new Set(["script", "iframe", "frame", "object", "embed", "link", "meta", "base",
    "style", "foreignobject", "a", "use", "image", "img", "form", "template"]);

  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value === undefined || value === null || value === false) continue;
      const k = key.toLowerCase();
      if (k.startsWith("on")) {
        if (typeof value !== "function") throw new TypeError("handler " + key + " must be a function");
        node.addEventListener(k.slice(2), value);
      } else if (k === "style") {
        if (!isObj(value)) throw new TypeError("style must be an object");
        for (const p of Object.keys(value)) {
          const v = String(value[p]);
          if (/url\s*\(|expression\s*\(/i.test(v)) throw new TypeError("refused style value");
          node.style.setProperty(p, v);
        }
      } else if (REFUSED_ATTRS.has(k)) {
        throw new TypeError("refused attribute " + key);
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }

  function append(node, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false || c === true) continue;
      if (Array.isArray(c)) append(node, c);
      else if (c instanceof Node) node.appendChild(c);
      else node.appendChild(document.createTextNode(String(c)));
    }
    return node;
  }

  function make(ns, tag, attrs, children) {
    if (REFUSED_TAGS.has(String(tag).toLowerCase())) throw new TypeError("refused element " + tag);
    const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    setAttrs(node, attrs);
    return append(node, children);
  }
  const el = (tag, attrs, ...children) => make(null, tag, attrs, children);
  const svg = (tag, attrs, ...children) => make(SVG_NS, tag, attrs, children);

  // ---- numbers, dates, periods --------------------------------------------
  function num(v) {
    if (typeof v === "number") return Number.isFinite(v) ? v : null;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    return null;
  }
  const NF = (o) => new Intl.NumberFormat("en-US", o);
  const nf = {
    money: NF({ style: "currency", currency: "USD" }),
    moneyShort: NF({ style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1 }),
    signedMoney: NF({ style: "currency", currency: "USD", signDisplay: "exceptZero" }),
    int: NF({ maximumFractionDigits: 0 }),
    intShort: NF({ notation: "compact", maximumFractionDigits: 1 }),
    signedInt: NF({ maximumFractionDigits: 0, signDisplay: "exceptZero" }),
    dec: NF({ maximumFractionDigits: 2 }),
    pct: NF({ style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    signedPct: NF({ style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero" }),
  };
  const DASH = "—";
  const using = (f) => (v) => { const n = num(v); return n === null ? DASH : f(n); };
  const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
  const DF = {
    short: new Intl.DateTimeFormat("en-US", { timeZone: "UTC", month: "short", day: "numeric" }),
    long: new Intl.DateTimeFormat("en-US", { timeZone: "UTC", month: "short", day: "numeric", year: "numeric" }),
    month: new Intl.DateTimeFormat("en-US", { timeZone: "UTC", month: "short", year: "numeric" }),
  };
  const fmt = {
    money: using((n) => nf.money.format(n)),
    moneyShort: using((n) => nf.moneyShort.format(n)),
    signedMoney: using((n) => nf.signedMoney.format(n)),
    int: using((n) => nf.int.format(n)),
    intShort: using((n) => nf.intShort.format(n)),
    signedInt: using((n) => nf.signedInt.format(n)),
    dec: using((n) => nf.dec.format(n)),
    /** A percentage given in percent (-12.0 → "-12.0%"). */
    pct: using((n) => nf.pct.format(n / 100)),
    signedPct: using((n) => nf.signedPct.format(n / 100)),
    /** A fraction 0–1 as a percentage (0.5 → "50.0%"). */
    fraction: using((n) => nf.pct.format(n)),
    /** "2026-07-01" as "Jul 1" (short), "Jul 1, 2026" (long) or "Jul 2026" (month). */
    date(s, style) {
      const m = typeof s === "string" ? DATE_RE.exec(s) : null;
      if (!m) return s === null || s === undefined ? DASH : String(s);
      return (DF[style] || DF.long).format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
    },
  };

  const PERIODS = [
    ["today", "Today"], ["last_7_days", "Last 7 days"], ["last_30_days", "Last 30 days"],
    ["this_month", "This month"], ["last_month", "Last month"], ["this_quarter", "This quarter"],
    ["last_quarter", "Last quarter"], ["ytd", "Year to date"], ["last_year", "Last year"],
  ];
  const DEFAULT_PERIOD = "last_30_days";
  const RANGE_RE = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/;
  function periodLabel(p) {
    if (p === undefined || p === null || p === "") p = DEFAULT_PERIOD;
    const named = PERIODS.find(([v]) => v === p);
    if (named) return named[1];
    const m = RANGE_RE.exec(String(p));
    return m ? m[1] + " – " + m[2] : String(p);
  }
  /** The period in a sentence: "last 30 days", "year to date", or the dates. */
  const periodPhrase = (p) => { const s = periodLabel(p); return RANGE_RE.test(String(p)) ? s : s.charAt(0).toLowerCase() + s.slice(1); };
  const COMPARE_LABELS = { previous_period: "the previous period", previous_year: "the same dates a year earlier" };

  /** A change: arrow, sign and percent (plus the absolute change), class up/down/flat. */
  function changeBadge(pct, absolute, absFormat, what) {
    const p = num(pct);
    const a = num(absolute);
    const dir = p !== null ? (p > 0 ? "up" : p < 0 ? "down" : "flat") : a !== null && a !== 0 ? (a > 0 ? "up" : "down") : "flat";
    const arrow = { up: "▲", down: "▼", flat: "■" }[dir];
    const word = { up: "up ", down: "down ", flat: p === null && a === null ? "" : "unchanged " }[dir];
    let text = p !== null ? fmt.signedPct(p) : a !== null ? "new" : "no comparison";
    if (a !== null && absFormat) text += " (" + absFormat(a) + ")";
    return el("span", { class: "z-change " + dir, "data-change": dir },
      el("span", { "aria-hidden": "true" }, arrow), " ", el("span", { class: "z-sr" }, word), text,
      what ? el("span", { class: "z-sr" }, " " + what) : null);
  }

  // ---- the protocol ---------------------------------------------------------
  let nextId = 1;
  const pending = new Map();
  let hostContext = {};
  let hostInfo = null;
  let hostCapabilities = null;
  let initialized = false;
  let markReady;
  const ready = new Promise((resolve) => { markReady = resolve; });

  const hasParent = () => global.parent && global.parent !== global;
  function post(message) { if (hasParent()) global.parent.postMessage(message, "*"); }
  function notify(method, params) { post({ jsonrpc: "2.0", method, params: params || {} }); }
  function reply(id, result) { post({ jsonrpc: "2.0", id, result }); }
  function replyError(id, code, message) { post({ jsonrpc: "2.0", id, error: { code, message } }); }
  function rpcError(code, message, data) {
    const e = new Error(message);
    e.code = code;
    e.data = data;
    return e;
  }

  function request(method, params, timeoutMs) {
    const id = nextId++;
    const ms = timeoutMs || CALL_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(rpcError(-32001, "no answer to " + method + " within " + ms / 1000 + " s"));
      }, ms);
      pending.set(id, { resolve, reject, timer });
      post({ jsonrpc: "2.0", id, method, params: params || {} });
    });
  }

  const validId = (id) => typeof id === "string" || (typeof id === "number" && Number.isFinite(id));

  function onMessage(event) {
    if (!hasParent() || event.source !== global.parent) return;
    const m = event.data;
    if (!isObj(m) || m.jsonrpc !== "2.0") return;
    const hasId = Object.prototype.hasOwnProperty.call(m, "id");
    if (typeof m.method === "string") {
      if (hasId && !validId(m.id)) return;
      if (m.params !== undefined && !isObj(m.params)) {
        if (hasId) replyError(m.id, -32602, "Invalid params");
        return;
      }
      const params = m.params || {};
      if (hasId) onRequest(m.id, m.method, params);
      else onNotification(m.method, params);
      return;
    }
    if (!hasId || typeof m.id !== "number") return;
    const waiting = pending.get(m.id);
    if (!waiting) return;
    if (isObj(m.error)) {
      pending.delete(m.id);
      clearTimeout(waiting.timer);
      const msg = typeof m.error.message === "string" ? m.error.message : "error";
      waiting.reject(rpcError(typeof m.error.code === "number" ? m.error.code : -32603, msg, m.error.data));
    } else if (Object.prototype.hasOwnProperty.call(m, "result")) {
      pending.delete(m.id);
      clearTimeout(waiting.timer);
      waiting.resolve(m.result);
    }
  }

  function onRequest(id, method, params) {
    try {
      if (method === "ui/resource-teardown") {
        if (view && typeof view.onTeardown === "function") view.onTeardown(params);
        reply(id, {});
      } else if (method === "ping") {
        reply(id, {});
      } else {
        replyError(id, -32601, "Method not found");
      }
    } catch (e) {
      replyError(id, -32603, messageOf(e));
    }
  }

  function onNotification(method, params) {
    switch (method) {
      case "ui/notifications/tool-input":
        if (isObj(params.arguments)) { state.args = clone(params.arguments); state.haveInput = true; }
        break;
      case "ui/notifications/tool-result":
        // The host's answer to the original call; a call of our own that is
        // still running wins over it.
        if (!state.inFlight) showResult(params);
        break;
      case "ui/notifications/tool-cancelled":
        if (!state.inFlight) {
          showError("The tool call was cancelled" + (typeof params.reason === "string" && params.reason ? ": " + params.reason : "."));
        }
        break;
      case "ui/notifications/host-context-changed":
        mergeHostContext(params);
        break;
      default: // tool-input-partial and anything unknown: nothing to do
        break;
    }
  }

  function mergeHostContext(patch) {
    if (!isObj(patch)) return;
    for (const k of Object.keys(patch)) {
      if (k === "styles" && isObj(patch.styles) && isObj(hostContext.styles)) {
        const vars = Object.assign({}, hostContext.styles.variables, patch.styles.variables);
        hostContext.styles = Object.assign({}, hostContext.styles, patch.styles, { variables: vars });
      } else {
        hostContext[k] = clone(patch[k]);
      }
    }
    const root = document.documentElement;
    if (hostContext.theme === "light" || hostContext.theme === "dark") root.dataset.theme = hostContext.theme;
    const vars = isObj(hostContext.styles) ? hostContext.styles.variables : null;
    if (isObj(vars)) {
      for (const k of Object.keys(vars)) {
        const v = vars[k];
        if (/^--[A-Za-z0-9_-]+$/.test(k) && typeof v === "string" && !/url\s*\(|[;{}<>]/i.test(v)) root.style.setProperty(k, v);
      }
    }
  }

  // The document's size: its content box (documentElement.scrollHeight never
  // drops below the frame's height, so a shrinking view could not say so).
  let lastSize = "";
  let sizeQueued = false;
  function reportSize() {
    sizeQueued = false;
    const r = document.documentElement.getBoundingClientRect();
    const width = Math.ceil(r.width);
    const height = Math.ceil(r.height);
    const key = width + "x" + height;
    if (key === lastSize) return;
    lastSize = key;
    notify("ui/notifications/size-changed", { width, height });
  }
  // A microtask, not an animation frame: a host may keep the frame hidden
  // until it knows the size, and hidden cross-origin frames get no frames.
  function queueSize() {
    if (sizeQueued) return;
    sizeQueued = true;
    queueMicrotask(reportSize);
  }

  async function connect(name) {
    try {
      const res = await request("ui/initialize", {
        appInfo: { name: "zava-" + name, version: "1.0.0" },
        appCapabilities: { availableDisplayModes: ["inline"] },
        protocolVersion: PROTOCOL_VERSION,
      });
      if (isObj(res)) {
        hostInfo = isObj(res.hostInfo) ? res.hostInfo : null;
        hostCapabilities = isObj(res.hostCapabilities) ? res.hostCapabilities : null;
        mergeHostContext(res.hostContext);
      }
      initialized = true;
      notify("ui/notifications/initialized", {});
    } catch (e) {
      state.initError = messageOf(e);
    }
    markReady(initialized);
  }

  /** A CallToolResult that says what went wrong, for failures of the protocol. */
  function failedResult(text, code) {
    return { isError: true, content: [{ type: "text", text }], _meta: { "io.zava/ui": { protocolError: code === undefined ? null : code } } };
  }

  /** Calls a tool through the host: always a CallToolResult (a JSON-RPC error,
      a timeout or a missing host becomes one with isError: true). */
  async function callTool(name, args) {
    if (!(await ready)) return failedResult("The host did not connect this view: " + (state.initError || "no answer"), -32002);
    try {
      const result = await request("tools/call", { name, arguments: isObj(args) ? args : {} });
      return isObj(result) ? result : failedResult("The host answered tools/call without a result.", -32603);
    } catch (e) {
      return failedResult(name + " failed: " + messageOf(e) + (typeof e.code === "number" ? " (" + e.code + ")" : ""), e.code);
    }
  }

  /** The text of a failed result: the bridge's {"error": {code, message, hint}} read out, else the text itself. */
  function errorText(result) {
    const items = isObj(result) && Array.isArray(result.content) ? result.content : [];
    const first = items.find((c) => isObj(c) && typeof c.text === "string");
    if (!first) return "The tool answered with an error and no message.";
    try {
      const body = JSON.parse(first.text);
      const e = isObj(body) ? body.error : null;
      if (isObj(e) && typeof e.message === "string") {
        let s = (typeof e.code === "string" ? e.code + ": " : "") + e.message;
        if (typeof e.hint === "string" && e.hint) s += "\n" + e.hint;
        if (typeof e.call_id === "string") s += " (call " + e.call_id + ")";
        return s;
      }
    } catch (_) { /* not JSON: the text as it is */ }
    return first.text;
  }

  // ---- the shell -------------------------------------------------------------
  let view = null;
  const state = { args: {}, haveInput: false, seq: 0, inFlight: false, renders: 0, controls: null,
    stores: undefined, storeError: null, initError: null };
  const shell = {};

  function setState(s) {
    document.body.dataset.state = s;
    shell.main.setAttribute("aria-busy", s === "loading" ? "true" : "false");
  }
  function setStatus(text) {
    shell.status.hidden = !text;
    shell.status.textContent = text || "";
  }
  function rendered() {
    state.renders += 1;
    document.body.dataset.renders = String(state.renders);
    queueSize();
  }

  function showResult(result) {
    if (!isObj(result)) return showError("The host sent no tool result.");
    if (result.isError === true || !isObj(result.structuredContent)) return showError(errorText(result));
    const data = result.structuredContent;
    let heading, sub, nodes;
    try {
      if (!state.haveInput && typeof view.argsFromResult === "function") {
        state.args = Object.assign(view.argsFromResult(data) || {}, state.args);
      }
      heading = view.heading ? view.heading(data, state.args) : view.title;
      sub = view.subheading ? view.subheading(data, state.args) : null;
      nodes = view.onResult(data, state.args, api);
    } catch (e) {
      return showError("This answer could not be shown: " + messageOf(e));
    }
    ensureControls();
    shell.heading.textContent = heading || view.title;
    shell.sub.replaceChildren();
    append(shell.sub, [sub]);
    shell.sub.hidden = !shell.sub.firstChild;
    shell.errors.replaceChildren();
    shell.content.replaceChildren();
    append(shell.content, [nodes]);
    syncControls();
    setStatus("");
    setState("ready");
    rendered();
  }

  function showError(message) {
    ensureControls();
    syncControls();
    shell.errors.replaceChildren(el("p", { role: "alert", "data-error": "" }, message));
    shell.content.replaceChildren();
    setStatus("");
    setState("error");
    rendered();
  }

  /** Calls the view's tool again with the arguments so far and `patch`
      (a key set to undefined, null or "" is left out), then shows its answer. */
  function rerun(patch) {
    const next = Object.assign({}, state.args);
    for (const k of Object.keys(patch || {})) {
      const v = patch[k];
      if (v === undefined || v === null || v === "") delete next[k];
      else next[k] = v;
    }
    state.args = next;
    const seq = ++state.seq;
    state.inFlight = true;
    setStatus("Loading…");
    setState("loading");
    return callTool(view.tool, next).then((result) => {
      if (seq !== state.seq) return;
      state.inFlight = false;
      showResult(result);
    });
  }

  // ---- controls ---------------------------------------------------------------
  function labelled(text, control) {
    return el("label", { class: "z-control" }, text, control);
  }
  function options(select, list, value) {
    select.replaceChildren(...list.map(([v, t]) => el("option", { value: v }, t)));
    select.value = value;
  }

  const CONTROLS = {
    period() {
      const select = el("select", { "data-control": "period", onchange: () => rerun({ period: select.value }) });
      return {
        node: labelled("Period", select),
        sync(args) {
          const value = typeof args.period === "string" && args.period ? args.period : DEFAULT_PERIOD;
          const list = PERIODS.slice();
          if (!list.some(([v]) => v === value)) list.push([value, periodLabel(value)]);
          options(select, list, value);
        },
      };
    },
    granularity() {
      const select = el("select", { "data-control": "granularity", onchange: () => rerun({ granularity: select.value }) });
      options(select, [["day", "Day"], ["week", "Week"], ["month", "Month"]], "day");
      return {
        node: labelled("By", select),
        sync(args) { select.value = ["day", "week", "month"].includes(args.granularity) ? args.granularity : "day"; },
      };
    },
    store() {
      const wrap = el("span", { class: "z-control", "data-control-wrap": "store" });
      let select = null;
      return {
        node: wrap,
        sync(args) {
          const current = typeof args.store_id === "string" ? args.store_id : "";
          const list = state.stores;
          if (Array.isArray(list) && list.length >= 2) {
            if (!select) {
              select = el("select", { "data-control": "store", onchange: () => rerun({ store_id: select.value }) });
              wrap.replaceChildren(el("label", { class: "z-control" }, "Store", select));
            }
            const opts = [["", "All my stores"]].concat(list.map((s) => [s.store_id, s.store_name]));
            if (current && !list.some((s) => s.store_id === current)) opts.push([current, "Store " + current]);
            options(select, opts, current);
            return;
          }
          let text;
          if (list === undefined) text = "loading…";
          else if (Array.isArray(list) && list.length === 1 && (!current || current === list[0].store_id)) text = list[0].store_name;
          else text = current ? "Store " + current : "All my stores";
          wrap.replaceChildren();
          append(wrap, ["Store: ", el("span", { class: "z-control-text", "data-store-text": "" }, text),
            state.storeError ? el("span", { class: "z-muted z-small", "data-store-note": "" }, "(the stores could not be listed: " + state.storeError + ")") : null]);
        },
      };
    },
  };

  function ensureControls() {
    if (state.controls) return;
    state.controls = (view.controls || []).map((name) => {
      if (typeof name === "object") return name; // {node, sync(args)} of the view's own
      if (!CONTROLS[name]) throw new Error("unknown control " + name);
      return CONTROLS[name]();
    });
    append(shell.controls, state.controls.map((c) => c.node));
  }
  function syncControls() {
    if (state.controls) for (const c of state.controls) c.sync(state.args);
  }

  async function loadStores() {
    if (!(await ready)) {
      state.stores = null;
      state.storeError = null;
    } else {
      const res = await callTool("list_my_stores", {});
      const list = isObj(res) && res.isError !== true && isObj(res.structuredContent) ? res.structuredContent.stores : null;
      if (Array.isArray(list)) {
        state.stores = list.filter((s) => isObj(s) && typeof s.store_id === "string" && typeof s.store_name === "string")
          .map((s) => ({ store_id: s.store_id, store_name: s.store_name }));
      } else {
        state.stores = null;
        state.storeError = errorText(res);
      }
    }
    syncControls();
    queueSize();
  }

  /** Starts the view. opts: {view, tool, title, controls: ["period"|"store"|"granularity"|{node, sync}],
      heading(data, args), subheading(data, args), onResult(data, args, api) → nodes,
      argsFromResult(data) (arguments to assume when the host sent none), onTeardown()}. */
  function start(opts) {
    if (view) throw new Error("ZavaApp.start called twice");
    view = opts;
    shell.main = document.getElementById("app") || document.body.appendChild(el("main", { id: "app", "aria-live": "polite" }));
    shell.heading = el("h1", { "data-heading": "" }, opts.title);
    shell.sub = el("p", { class: "z-sub", "data-subheading": "", hidden: true });
    shell.controls = el("div", { class: "z-controls", "data-controls": "" });
    shell.status = el("p", { class: "z-status", role: "status", "data-status": "" });
    shell.errors = el("div", { "data-errors": "" });
    shell.content = el("section", { class: "z-content", "data-content": "", "aria-label": opts.title });
    shell.main.replaceChildren(el("header", null, shell.heading, shell.sub), shell.controls, shell.status, shell.errors, shell.content);
    setStatus("Waiting for the answer…");
    setState("waiting");
    document.body.dataset.renders = "0";
    global.addEventListener("message", onMessage);
    if (typeof ResizeObserver === "function") new ResizeObserver(queueSize).observe(document.documentElement);
    connect(opts.view);
    if ((opts.controls || []).includes("store")) loadStores();
    queueSize();
  }

  const api = {
    PROTOCOL_VERSION, PERIODS, COMPARE_LABELS,
    start, callTool, rerun, errorText, el, svg, fmt, num, periodLabel, periodPhrase, changeBadge, isObj,
    args: () => clone(state.args),
    hostContext: () => clone(hostContext),
    hostInfo: () => clone(hostInfo),
    hostCapabilities: () => clone(hostCapabilities),
    stores: () => clone(state.stores),
    storeName(id) {
      const s = Array.isArray(state.stores) ? state.stores.find((x) => x.store_id === id) : null;
      return s ? s.store_name : null;
    },
  };
  global.ZavaApp = Object.freeze(api);
})(window);
