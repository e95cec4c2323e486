// Zava's MCP Apps test host: the host side of io.modelcontextprotocol/ui
// (SEP-1865, 2026-01-26) around zava-mcp's views, built from the official
// SDKs (the MCP client and ext-apps' AppBridge), for people trying the views
// and for tests/ui/browser.mjs.
//
// The page is served by `zava-mcp http --ui-host-dir DIR` at /ui-host/ on the
// same origin as /mcp. It signs in with the bearer token in `#token=…`,
// declares the UI extension in `initialize`, and shows a tool's view in an
// <iframe sandbox="allow-scripts"> (no allow-same-origin: the view runs in an
// opaque origin and reaches nothing of this page) whose document carries a
// Content-Security-Policy built from the resource's `_meta.ui.csp`. The view
// talks to the page only through postMessage (AppBridge); its tools/call
// requests reach the server only for tools whose visibility includes "app".
//
// For tests: window.zavaHost = { ready, show(tool, args), calls, tools }.

import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  AppBridge,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
  buildAllowAttribute,
  getToolUiResourceUri,
} from "@modelcontextprotocol/ext-apps/app-bridge";

const EXTENSION_ID = "io.modelcontextprotocol/ui";
const HOST_INFO = { name: "zava-test-host", version: "1.0.0" };
// How long a view may take to initialise before show() gives up.
const INIT_TIMEOUT_MS = 15000;

// Arguments to start from in the page's form, for the demo data (its last
// day is 2024-06-30); a tool not named here starts from its required fields.
const EXAMPLES = {
  get_store_performance: { period: "2024-04-01..2024-06-30" },
  get_sales_trend: { from_date: "2024-04-01", to_date: "2024-06-30", granularity: "week" },
  get_category_breakdown: { period: "2024-04-01..2024-06-30", compare_to: "previous_period" },
  get_top_products: { period: "2024-04-01..2024-06-30", k: 10 },
  get_inventory_alerts: { min_days_of_cover: 14 },
  semantic_search_products: { query_description: "something to fix a leaking pipe", max_rows: 10 },
};

const calls = [];
const state = { client: null, tools: [], current: null, result: null };

/** The bearer token from `#token=…` (other hash parameters are ignored). */
function tokenFromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  return params.get("token") || "";
}

/** A tool's visibility (the spec's default: both the model and the app). */
function visibility(tool) {
  const v = tool?._meta?.ui?.visibility;
  return Array.isArray(v) ? v : ["model", "app"];
}

// --- the view's Content-Security-Policy ---------------------------------------

// A CSP source a resource may declare: a scheme and host (wildcards and a
// port allowed), optionally a path; never a keyword, quote, separator or space.
const SOURCE = /^(?:(?:https?|wss?):\/\/)?(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?:\d{1,5}|\*))?(?:\/[A-Za-z0-9._~%/-]*)?$/;

function declared(csp, key) {
  const list = csp && Array.isArray(csp[key]) ? csp[key] : [];
  for (const s of list) {
    if (typeof s !== "string" || !SOURCE.test(s)) throw new Error(`the resource declares an unusable ${key} entry: ${JSON.stringify(s)}`);
  }
  return list;
}

/**
 * The policy a view runs under: nothing but its own inline script and styles
 * and data: images, plus exactly the domains its resource declares.
 */
function buildCsp(csp) {
  const resources = declared(csp, "resourceDomains");
  const connect = declared(csp, "connectDomains");
  const frames = declared(csp, "frameDomains");
  const bases = declared(csp, "baseUriDomains");
  const or = (list, none) => (list.length ? list.join(" ") : none);
  const directives = [
    "default-src 'none'",
    ["script-src 'unsafe-inline'", ...resources].join(" "),
    ["style-src 'unsafe-inline'", ...resources].join(" "),
    ["img-src data:", ...resources].join(" "),
    `connect-src ${or(connect, "'none'")}`,
    `frame-src ${or(frames, "'none'")}`,
    `base-uri ${or(bases, "'none'")}`,
  ];
  if (resources.length) directives.push(`font-src data: ${resources.join(" ")}`, `media-src data: ${resources.join(" ")}`);
  return directives.join("; ");
}

const escapeAttribute = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The document with the policy's <meta> first in its head (a head is made if it has none). */
function withCsp(html, policy) {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(policy)}">`;
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length);
  const root = /<html(?:\s[^>]*)?>/i.exec(html);
  if (root) return html.slice(0, root.index + root[0].length) + `<head>${meta}</head>` + html.slice(root.index + root[0].length);
  return `<head>${meta}</head>` + html;
}

// --- connecting ---------------------------------------------------------------

async function connect() {
  const token = tokenFromHash();
  if (!token) throw new Error("no token: open this page as /ui-host/#token=YOUR_TOKEN");
  const client = new Client(HOST_INFO, {
    capabilities: { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
  });
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", location.origin), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  const { tools } = await client.listTools();
  state.client = client;
  state.tools = tools;
  zavaHost.tools = tools;
  return tools;
}

// --- showing a view -----------------------------------------------------------

async function readView(uri) {
  const read = await state.client.readResource({ uri });
  const contents = (read.contents || []).find((c) => c.uri === uri) || (read.contents || [])[0];
  if (!contents || typeof contents.text !== "string") throw new Error(`${uri}: no HTML text in resources/read`);
  if (contents.mimeType !== RESOURCE_MIME_TYPE) throw new Error(`${uri}: type ${contents.mimeType}, not ${RESOURCE_MIME_TYPE}`);
  return { html: contents.text, ui: contents._meta?.ui || {} };
}

/** Ends the view on screen, if any: asks it to tear down, then drops its frame. */
async function closeCurrent() {
  const current = state.current;
  state.current = null;
  if (!current) return;
  try {
    if (current.initialized) {
      await Promise.race([current.bridge.teardownResource({}), new Promise((r) => setTimeout(r, 500))]);
    }
  } catch {
    // A view that cannot answer is removed all the same.
  }
  try {
    await current.bridge.close();
  } catch {
    // Already closed.
  }
  current.iframe.remove();
}

/** A view's tools/call: to the server if the tool is the app's to call, else refused. */
async function viewCallsTool(params) {
  const name = params?.name;
  const args = params?.arguments ?? {};
  const tool = state.tools.find((t) => t.name === name);
  const entry = { name, arguments: args };
  calls.push(entry);
  if (!tool || !visibility(tool).includes("app")) {
    entry.refused = true;
    entry.error = tool ? `${name} is not available to apps (visibility ${JSON.stringify(visibility(tool))})` : `no tool ${name}`;
    log(`view called ${name}: refused`);
    showLog();
    throw new Error(entry.error);
  }
  try {
    entry.result = await state.client.callTool({ name, arguments: args });
  } catch (e) {
    entry.error = String(e?.message || e);
    throw e;
  }
  log(`view called ${name} ${JSON.stringify(args)}`);
  showLog();
  return entry.result;
}

/**
 * Calls `toolName` with `args`, reads its view and shows it with the answer.
 * Resolves once the view is initialised and has been sent the tool's input
 * and result: { result, html } (html as the server sent it).
 */
async function show(toolName, args = {}) {
  await zavaHost.ready;
  const tool = state.tools.find((t) => t.name === toolName);
  if (!tool) throw new Error(`no tool ${toolName}`);
  const uri = getToolUiResourceUri(tool);
  if (!uri) throw new Error(`${toolName} has no view (_meta.ui.resourceUri)`);
  const result = await state.client.callTool({ name: toolName, arguments: args });
  const { html, ui } = await readView(uri);
  await closeCurrent();

  const iframe = document.createElement("iframe");
  iframe.id = "view";
  iframe.title = tool.title || toolName;
  iframe.setAttribute("sandbox", "allow-scripts");
  const allow = buildAllowAttribute(ui.permissions);
  if (allow) iframe.setAttribute("allow", allow);
  if (ui.prefersBorder === false) iframe.style.border = "none";
  document.getElementById("stage").append(iframe);

  const bridge = new AppBridge(null, HOST_INFO, { serverTools: {} }, {
    hostContext: {
      theme: "light",
      displayMode: "inline",
      availableDisplayModes: ["inline"],
      toolInfo: { tool },
    },
  });
  const current = { iframe, bridge, initialized: false };
  state.current = current;
  bridge.oncalltool = (params) => viewCallsTool(params);
  bridge.onsizechange = ({ height }) => {
    if (typeof height === "number" && height > 0) iframe.style.height = `${Math.ceil(height)}px`;
  };
  bridge.onrequestdisplaymode = async () => ({ mode: "inline" });
  bridge.onloggingmessage = (p) => console.log(`[view ${toolName}]`, p?.level, p?.data);

  const initialized = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${uri}: the view did not initialise within ${INIT_TIMEOUT_MS} ms`)), INIT_TIMEOUT_MS);
    bridge.oninitialized = () => {
      clearTimeout(timer);
      current.initialized = true;
      resolve();
    };
  });
  // Listen before the document exists: the view says ui/initialize at once.
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = withCsp(html, buildCsp(ui.csp));
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
  state.result = result;
  showLog();
  return { result, html };
}

// --- the page's form ----------------------------------------------------------

function status(text, kind = "info") {
  const el = document.getElementById("status");
  el.textContent = text;
  el.dataset.kind = kind;
}

function log(line) {
  console.log(`[zava-test-host] ${line}`);
}

/** The page's record: the shown tool's result and the views' tool calls (newest first). */
function showLog() {
  const viewCalls = calls.slice(-20).reverse().map((c) => ({
    name: c.name, arguments: c.arguments, ...(c.error ? { error: c.error } : { isError: c.result?.isError ?? false }),
  }));
  document.getElementById("log").textContent = JSON.stringify({ result: state.result, viewCalls }, null, 2);
}

function exampleArgs(tool) {
  if (EXAMPLES[tool.name]) return EXAMPLES[tool.name];
  const args = {};
  for (const key of tool.inputSchema?.required || []) args[key] = "";
  return args;
}

function setUpForm(tools) {
  const select = document.getElementById("tool");
  const argsBox = document.getElementById("args");
  const withView = tools.filter((t) => getToolUiResourceUri(t));
  for (const t of withView) {
    const option = document.createElement("option");
    option.value = t.name;
    option.textContent = t.title ? `${t.title} (${t.name})` : t.name;
    select.append(option);
  }
  const fill = () => {
    const t = withView.find((x) => x.name === select.value);
    if (t) argsBox.value = JSON.stringify(exampleArgs(t), null, 2);
  };
  select.addEventListener("change", fill);
  fill();
  select.disabled = false;
  document.getElementById("run").disabled = withView.length === 0;
  document.getElementById("run-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let args;
    try {
      args = JSON.parse(argsBox.value || "{}");
    } catch (e) {
      status(`the arguments are not JSON: ${e.message}`, "error");
      return;
    }
    status(`running ${select.value}…`);
    try {
      const { result } = await show(select.value, args);
      status(result.isError ? `${select.value} answered an error (the view shows it)` : `${select.value}: shown`);
    } catch (e) {
      status(String(e?.message || e), "error");
    }
  });
  status(`signed in: ${tools.length} tools, ${withView.length} with a view`);
}

const zavaHost = { ready: null, show, calls, tools: [] };
zavaHost.ready = connect();
window.zavaHost = zavaHost;

function start() {
  zavaHost.ready.then(setUpForm, (e) => status(`could not connect: ${e?.message || e}`, "error"));
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
