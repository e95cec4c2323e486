/* get_category_breakdown: revenue per category, against the comparison period when asked. */
(function () {
  const { el, fmt, num, changeBadge, periodPhrase, COMPARE_LABELS } = ZavaApp;
  const { barChart, table } = ZavaCharts;

  // The revenue change, and the comparison period's revenue under it.
  function changed(r) {
    const pct = num(r.change_pct);
    const before = num(r.compare_revenue);
    const badge = changeBadge(pct, pct === null && before !== null ? num(r.revenue) - before : null, fmt.signedMoney, "revenue");
    return [badge, el("div", { class: "z-muted z-small z-nowrap" }, "from " + fmt.money(r.compare_revenue))];
  }

  ZavaApp.start({
    view: "category_breakdown",
    tool: "get_category_breakdown",
    title: "Category breakdown",
    controls: ["period", "store"],
    heading: (d, args) => "Category breakdown, " + periodPhrase(args.period),
    subheading(d, args) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      const n = rows.length + (rows.length === 1 ? " category" : " categories");
      return COMPARE_LABELS[args.compare_to] ? n + " · compared with " + COMPARE_LABELS[args.compare_to] : n;
    },
    onResult(d, args) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      if (!rows.length) return el("p", { class: "z-empty" }, "No category sales in this period.");
      const compared = rows.some((r) => r.compare_revenue !== null && r.compare_revenue !== undefined);
      const series = [{ name: "current", label: "This period", values: rows.map((r) => r.revenue), className: "z-s-current" }];
      if (compared) {
        const label = args.compare_to === "previous_year" ? "A year earlier" : "Previous period";
        series.push({ name: "previous", label, values: rows.map((r) => r.compare_revenue), className: "z-s-previous" });
      }
      const columns = [
        { key: "category", label: "Category" },
        { key: "revenue", label: "Revenue", numeric: true, cell: (r) => fmt.money(r.revenue) },
        { key: "share_pct", label: "Share", numeric: true, cell: (r) => fmt.pct(r.share_pct) },
        { key: "units", label: "Units", numeric: true, cell: (r) => fmt.int(r.units) },
        { key: "gross_margin", label: "Gross margin", numeric: true, cell: (r) => fmt.money(r.gross_margin) },
      ];
      if (compared) {
        columns.push({ key: "change_pct", label: "Change", numeric: true, cell: (r) => changed(r) });
      }
      return [
        barChart({ name: "categories", title: "Revenue by category", format: fmt.money, labels: rows.map((r) => r.category), series }),
        table({ name: "categories", caption: "Categories (select a heading to sort)", columns, rows }),
      ];
    },
  });
})();
