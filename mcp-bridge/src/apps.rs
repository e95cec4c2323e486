//! MCP Apps (`io.modelcontextprotocol/ui`, SEP-1865, 2026-01-26): an HTML
//! view per analytics tool, for hosts that render them beside the answer.
//!
//! A client that declares the extension in `initialize` gets
//! `_meta.ui.resourceUri` on the six tools below, the six `ui://zava/…`
//! resources in `resources/list`, and one app-only tool (`list_my_stores`,
//! the store picker's options). Any other client gets exactly the tools and
//! resources it got before the views existed: the views are an addition a
//! host opts into, never a change to what a model reads.
//!
//! The views are the project's own files under `mcp-bridge/ui/`, embedded in
//! the binary at compile time (one binary to install, no directory to keep in
//! step with it, no file read at run time) and assembled once: each is a
//! single HTML document with its script and styles inline. They speak the
//! extension's postMessage protocol directly rather than through the npm
//! SDK's app side, whose bundle with its dependencies (541 KB minified) is
//! larger than the 300 KB a view may weigh; the browser test drives them with
//! the SDK's own host side (`AppBridge`), which is what real hosts embed.

use std::sync::OnceLock;

use rmcp::model::{ClientConfig, MetaObject, Resource, ResourceContents, Tool};
use serde_json::{Value, json};

/// The extension's identifier in `capabilities.extensions`.
pub const EXTENSION_ID: &str = "io.modelcontextprotocol/ui";
/// The resource type of a view.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";
/// The app-only tool: the caller's stores, for the views' store picker.
pub const STORES_TOOL: &str = "list_my_stores";
/// The size a view must stay under (checked by the unit tests).
#[cfg(test)]
pub const MAX_VIEW_BYTES: usize = 300 * 1024;

/// One view: the tool it draws and its resource.
pub struct View {
    pub tool: &'static str,
    pub uri: &'static str,
    pub title: &'static str,
    script: &'static str,
}

macro_rules! view {
    ($tool:literal, $uri:literal, $title:literal, $file:literal) => {
        View { tool: $tool, uri: $uri, title: $title, script: include_str!(concat!("../ui/", $file)) }
    };
}

pub static VIEWS: [View; 6] = [
    view!("get_store_performance", "ui://zava/store-performance", "Store performance", "store_performance.js"),
    view!("get_sales_trend", "ui://zava/sales-trend", "Sales trend", "sales_trend.js"),
    view!("get_category_breakdown", "ui://zava/category-breakdown", "Category breakdown", "category_breakdown.js"),
    view!("get_top_products", "ui://zava/top-products", "Top products", "top_products.js"),
    view!("get_inventory_alerts", "ui://zava/inventory-alerts", "Inventory alerts", "inventory_alerts.js"),
    view!("semantic_search_products", "ui://zava/product-search", "Product search", "product_search.js"),
];

const PAGE: &str = include_str!("../ui/page.html");
const STYLE: &str = include_str!("../ui/style.css");
const COMMON: &str = include_str!("../ui/common.js");
const CHARTS: &str = include_str!("../ui/charts.js");

/// Whether the client declared the extension with the HTML view type.
pub fn declared(info: Option<&ClientConfig>) -> bool {
    info.and_then(|i| i.capabilities.extensions.as_ref())
        .and_then(|e| e.get(EXTENSION_ID))
        .and_then(|ui| ui.get("mimeTypes"))
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(MIME_TYPE)))
}

impl View {
    /// The whole document, assembled on first use.
    pub fn html(&self) -> &'static str {
        static DOCS: [OnceLock<String>; 6] = [const { OnceLock::new() }; 6];
        let i = VIEWS.iter().position(|v| v.uri == self.uri).expect("a view of VIEWS");
        DOCS[i].get_or_init(|| {
            let script = [COMMON, CHARTS, self.script].join("\n");
            // The script and styles are the project's own files; a closing tag
            // inside them would end the element early, so refuse to build one.
            assert!(
                !script.contains("</script") && !STYLE.contains("</style"),
                "{}: a closing tag in a view",
                self.uri
            );
            PAGE.replacen("/*ZAVA_TITLE*/", self.title, 1).replacen("/*ZAVA_STYLE*/", STYLE, 1).replacen(
                "/*ZAVA_SCRIPT*/",
                &script,
                1,
            )
        })
    }

    fn ui_meta(&self) -> Value {
        // No outside domain at all: the view fetches nothing and loads nothing.
        json!({ "csp": { "connectDomains": [], "resourceDomains": [], "frameDomains": [], "baseUriDomains": [] },
                "prefersBorder": true })
    }

    /// `resources/list`'s entry.
    pub fn resource(&self) -> Resource {
        let mut meta = MetaObject::new();
        meta.0.insert("ui".into(), self.ui_meta());
        Resource::new(self.uri, self.title)
            .with_description(format!("Interactive view of {}'s answer (MCP Apps)", self.tool))
            .with_mime_type(MIME_TYPE)
            .with_meta(meta)
    }

    /// `resources/read`'s contents.
    pub fn contents(&self) -> ResourceContents {
        let mut meta = MetaObject::new();
        meta.0.insert("ui".into(), self.ui_meta());
        ResourceContents::TextResourceContents {
            uri: self.uri.into(),
            mime_type: Some(MIME_TYPE.into()),
            text: self.html().into(),
            meta: Some(meta),
        }
    }
}

/// The view of a `ui://` resource, if there is one.
pub fn view(uri: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.uri == uri)
}

/// Links each tool that has a view to it (the current key and the flat key
/// hosts of the first drafts read).
pub fn link(tools: &mut [Tool]) {
    for tool in tools.iter_mut() {
        if let Some(v) = VIEWS.iter().find(|v| v.tool == tool.name) {
            let meta = tool.meta.get_or_insert_with(MetaObject::new);
            meta.0.insert("ui".into(), json!({ "resourceUri": v.uri }));
            meta.0.insert("ui/resourceUri".into(), json!(v.uri));
        }
    }
}

/// The app-only tool's definition: hosts never list it to the model.
pub fn stores_tool() -> Tool {
    let mut meta = MetaObject::new();
    meta.0.insert("ui".into(), json!({ "visibility": ["app"] }));
    Tool::new(
        STORES_TOOL,
        "The stores the signed-in person may see (store_id and store_name), for a view's store picker.",
        rmcp::handler::server::common::schema_for_empty_input(),
    )
    .with_output_schema::<crate::contract::MyStores>()
    .with_annotations(rmcp::model::ToolAnnotations::new().read_only(true).open_world(false))
    .with_meta(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_whole_small_documents_with_nothing_from_outside() {
        for v in &VIEWS {
            let html = v.html();
            assert!(html.get(..15).is_some_and(|h| h.eq_ignore_ascii_case("<!DOCTYPE html>")), "{}", v.uri);
            assert!(html.len() < MAX_VIEW_BYTES, "{}: {} bytes", v.uri, html.len());
            assert!(!html.contains("/*ZAVA_"), "{}: a placeholder left", v.uri);
            assert_eq!(html.matches("<script").count(), 1, "{}: one inline script", v.uri);
            assert!(!html.contains("<script src") && !html.contains("<link"), "{}: nothing loaded", v.uri);
            // The only URL a view may name is SVG's namespace (never fetched).
            let outside = html.replace("http://www.w3.org/2000/svg", "");
            assert!(!outside.contains("http://") && !outside.contains("https://"), "{}: an outside URL", v.uri);
            // Database text is set as text only.
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                assert!(!outside.contains(sink), "{}: uses {sink}", v.uri);
            }
        }
    }

    #[test]
    fn only_a_client_that_declares_html_views_gets_them() {
        let with = |caps: Value| -> ClientConfig {
            serde_json::from_value(json!({
                "protocolVersion": "2025-06-18", "capabilities": caps,
                "clientInfo": { "name": "t", "version": "1" }
            }))
            .expect("client info")
        };
        assert!(declared(Some(&with(json!({ "extensions": { EXTENSION_ID: { "mimeTypes": [MIME_TYPE] } } })))));
        assert!(!declared(Some(&with(json!({})))));
        assert!(!declared(Some(&with(json!({ "extensions": { EXTENSION_ID: { "mimeTypes": ["text/plain"] } } })))));
        assert!(!declared(Some(&with(json!({ "extensions": { "io.example/other": { "mimeTypes": [MIME_TYPE] } } })))));
        assert!(!declared(None));
    }

    #[test]
    fn link_names_each_view_once() {
        let mut tools: Vec<Tool> = VIEWS
            .iter()
            .map(|v| Tool::new(v.tool, "d", rmcp::handler::server::common::schema_for_empty_input()))
            .chain([Tool::new("execute_sales_query", "d", rmcp::handler::server::common::schema_for_empty_input())])
            .collect();
        link(&mut tools);
        for (t, v) in tools.iter().zip(&VIEWS) {
            let meta = &t.meta.as_ref().expect("meta").0;
            assert_eq!(meta["ui"]["resourceUri"], json!(v.uri));
            assert_eq!(meta["ui/resourceUri"], json!(v.uri));
            assert!(view(v.uri).is_some());
        }
        assert!(tools[6].meta.is_none(), "a tool without a view is left as it was");
        assert!(view("ui://zava/nope").is_none());
    }
}
