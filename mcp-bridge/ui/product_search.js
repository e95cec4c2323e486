/* semantic_search_products: the products found, best match first. */
(function () {
  const { el, fmt, num } = ZavaApp;

  function stock(v) {
    const n = num(v);
    if (n === null) return "not known (no store)";
    return n === 0 ? "out of stock" : fmt.int(n) + " in stock";
  }

  function field(name, label, value) {
    return [el("dt", null, label), el("dd", { "data-field": name }, value)];
  }

  function card(r) {
    const sim = num(r.similarity);
    return el("article", { class: "z-result", "data-row": "", "data-sku": r.sku, "data-rank": r.rank },
      el("h3", { "data-field": "product_name" }, String(r.product_name)),
      el("dl", null,
        field("sku", "SKU", String(r.sku)),
        field("category", "Category", String(r.category)),
        field("price", "Price", fmt.money(r.price)),
        field("similarity", "Similarity", sim === null ? "matched by its words" : fmt.fraction(sim)),
        field("stock", "Stock", stock(r.stock))),
      r.low_confidence ? el("span", { class: "z-flag", "data-field": "low_confidence" }, "Low confidence: a best guess") : null,
      r.stale ? el("span", { class: "z-flag", "data-field": "stale" }, "Changed since indexed: matched by its words") : null);
  }

  ZavaApp.start({
    view: "product_search",
    tool: "semantic_search_products",
    title: "Product search",
    controls: [],
    heading: (d) => "Products for “" + String(d.query) + "”",
    subheading(d) {
      const n = Array.isArray(d.rows) ? d.rows.length : 0;
      return n + (n === 1 ? " product" : " products") + ", best match first";
    },
    onResult(d) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      return [
        d.low_confidence ? el("p", { class: "z-notice", "data-low-confidence": "" },
          "Nothing matched well: every product below is a best guess.") : null,
        rows.length ? el("div", { class: "z-results", "data-list": "results" }, rows.map(card))
          : el("p", { class: "z-empty" }, "No products found."),
      ];
    },
  });
})();
