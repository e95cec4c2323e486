/* get_top_products: the best sellers by revenue, units or margin, and their
   revenue in the comparison period when compare_to was asked. */
(function () {
  const { el, fmt, num, changeBadge, periodPhrase, COMPARE_LABELS } = ZavaApp;
  const { barChart, table } = ZavaCharts;
  const BY = { revenue: ["revenue", fmt.money], units: ["units", fmt.int], margin: ["margin", fmt.money] };

  const by = (args) => (BY[args.by] ? args.by : "revenue");

  // The place against the comparison period: arrow and places, and the rank then.
  function rankChange(r, compared) {
    const now = num(r.rank);
    const then = num(r.compare_rank);
    if (!compared || now === null) return null;
    if (then === null) return "new";
    if (then === now) return "■ same";
    return (then > now ? "▲ " : "▼ ") + Math.abs(then - now) + " (was " + then + ")";
  }

  // The revenue change, and the comparison period's revenue under it.
  function changed(r) {
    const pct = num(r.change_pct);
    const before = num(r.compare_revenue);
    const badge = changeBadge(pct, pct === null && before !== null ? num(r.revenue) - before : null, fmt.signedMoney, "revenue");
    return [badge, el("div", { class: "z-muted z-small z-nowrap" }, before === null ? "unsold then" : "from " + fmt.money(before))];
  }

  ZavaApp.start({
    view: "top_products",
    tool: "get_top_products",
    title: "Top products",
    controls: ["period", "store"],
    heading(d, args) {
      const n = Array.isArray(d.rows) ? d.rows.length : 0;
      const what = n === 0 ? "Top products" : "Top " + n + (n === 1 ? " product" : " products");
      return what + " by " + by(args) + ", " + periodPhrase(args.period);
    },
    subheading: (d, args) => (COMPARE_LABELS[args.compare_to] ? "Compared with " + COMPARE_LABELS[args.compare_to] : null),
    onResult(d, args) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      if (!rows.length) return el("p", { class: "z-empty" }, "No product sales in this period.");
      const [key, format] = BY[by(args)];
      const series = [{ name: "current", label: "This period", values: rows.map((r) => r[key]), className: "z-s-current" }];
      const compared = !!args.compare_to;
      // The comparison period's figure is revenue: beside revenue bars only.
      if (compared && key === "revenue") {
        const label = args.compare_to === "previous_year" ? "A year earlier" : "Previous period";
        series.push({ name: "previous", label, values: rows.map((r) => r.compare_revenue), className: "z-s-previous" });
      }
      const columns = [
        { key: "rank", label: "#", numeric: true, ascendingFirst: true,
          cell: (r) => [String(r.rank), compared ? el("div", { class: "z-muted z-small z-nowrap" }, rankChange(r, compared)) : null] },
        { key: "product_name", label: "Product", cell: (r) => [String(r.product_name), el("div", { class: "z-muted z-small" }, String(r.sku))] },
        { key: "category", label: "Category" },
        { key: "revenue", label: "Revenue", numeric: true, cell: (r) => fmt.money(r.revenue) },
        { key: "units", label: "Units", numeric: true, cell: (r) => fmt.int(r.units) },
        { key: "margin", label: "Margin", numeric: true, cell: (r) => fmt.money(r.margin) },
      ];
      if (compared) {
        columns.push({ key: "change_pct", label: "Change", numeric: true, cell: changed });
      }
      return [
        barChart({ name: "products", title: "Top products by " + key, format, labels: rows.map((r) => r.product_name), series }),
        table({ name: "products", caption: "Products (select a heading to sort)", columns, rows, rowAttrs: (r) => ({ "data-sku": r.sku }) }),
      ];
    },
  });
})();
