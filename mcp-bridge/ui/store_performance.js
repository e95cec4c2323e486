/* get_store_performance: the figures against the comparison period, top
   categories and products, and the insight sentences. */
(function () {
  const { el, fmt, num, changeBadge, COMPARE_LABELS } = ZavaApp;
  const { barChart } = ZavaCharts;

  // [field, label, format, has a change in `change`]
  const FIGURES = [
    ["revenue", "Revenue", fmt.money, true],
    ["orders", "Orders", fmt.int, true],
    ["units", "Units", fmt.int, true],
    ["average_order_value", "Average order value", fmt.money, true],
    ["unique_customers", "Unique customers", fmt.int, true],
    ["gross_margin", "Gross margin", fmt.money, true],
    ["gross_margin_pct", "Gross margin %", fmt.pct, false],
    ["discount_rate_pct", "Discount rate", fmt.pct, false],
  ];
  const SIGNED = { money: fmt.signedMoney, int: fmt.signedInt };

  function card(d, [key, label, format, changes]) {
    const cur = (d.current || {})[key];
    const prev = (d.previous || {})[key];
    const delta = changes && d.change ? d.change[key] : null;
    return el("div", { class: "z-card", "data-figure": key },
      el("p", { class: "z-card-label" }, label),
      el("p", { class: "z-card-value", "data-value": cur === null || cur === undefined ? "" : String(cur) }, format(cur)),
      delta ? changeBadge(delta.pct, delta.absolute, format === fmt.money ? SIGNED.money : SIGNED.int, "against the comparison period") : null,
      el("p", { class: "z-card-prev" }, "vs " + format(prev)));
  }

  function span(p) {
    return p ? p.start + " – " + p.end : "";
  }

  ZavaApp.start({
    view: "store_performance",
    tool: "get_store_performance",
    title: "Store performance",
    controls: ["period", "store"],
    heading: (d) => "Store performance, " + span(d.period),
    subheading(d) {
      const prev = d.previous_period || {};
      const name = d.store_id ? ZavaApp.storeName(d.store_id) : null;
      const stores = name || (num(d.stores) === 1 ? "1 store" : fmt.int(d.stores) + " stores");
      const against = prev.label || COMPARE_LABELS[d.compare_to] || "the comparison period";
      return stores + " · compared with " + against + " (" + span(prev) + ") · data as of " + d.as_of;
    },
    onResult(d) {
      const cats = Array.isArray(d.top_categories) ? d.top_categories : [];
      const prods = Array.isArray(d.top_products) ? d.top_products : [];
      const insights = Array.isArray(d.insights) ? d.insights : [];
      const prevName = (d.previous_period && d.previous_period.label) || "Comparison period";
      return [
        el("div", { class: "z-cards", "data-list": "figures" }, FIGURES.map((f) => card(d, f))),
        el("h2", null, "Insights"),
        el("ul", { class: "z-insights", "data-list": "insights" }, insights.map((s) => el("li", null, String(s)))),
        insights.length ? null : el("p", { class: "z-empty" }, "No insights for this period."),
        el("h2", null, "Top categories by revenue"),
        cats.length
          ? barChart({
            name: "top_categories", title: "Top categories by revenue", format: fmt.money,
            labels: cats.map((c) => c.category),
            series: [
              { name: "current", label: "This period", values: cats.map((c) => c.revenue), className: "z-s-current" },
              { name: "previous", label: prevName, values: cats.map((c) => c.previous_revenue), className: "z-s-previous" },
            ],
          })
          : el("p", { class: "z-empty" }, "No category sales in this period."),
        el("h2", null, "Top products by revenue"),
        prods.length
          ? barChart({
            name: "top_products", title: "Top products by revenue", format: fmt.money,
            labels: prods.map((p) => p.product),
            series: [{ name: "current", label: "This period", values: prods.map((p) => p.revenue), className: "z-s-current" }],
          })
          : el("p", { class: "z-empty" }, "No product sales in this period."),
      ];
    },
  });
})();
