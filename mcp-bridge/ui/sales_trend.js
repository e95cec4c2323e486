/* get_sales_trend: revenue as a line and orders as bars, one point per bucket. */
(function () {
  const { el, fmt, num } = ZavaApp;
  const { lineChart, barChart } = ZavaCharts;
  const WORD = { day: "day", week: "week", month: "month" };

  const gran = (args) => (WORD[args.granularity] ? args.granularity : "day");
  function tickLabel(args) {
    const g = gran(args);
    return (bucket, long) => {
      if (g === "month") return fmt.date(bucket, "month");
      if (long) return (g === "week" ? "Week of " : "") + fmt.date(bucket, "long");
      return fmt.date(bucket, "short");
    };
  }
  const sum = (rows, key) => rows.reduce((t, r) => t + (num(r[key]) || 0), 0);

  ZavaApp.start({
    view: "sales_trend",
    tool: "get_sales_trend",
    title: "Sales trend",
    controls: ["granularity", "store"],
    // Without the call's arguments, the buckets give the dates to ask again with.
    argsFromResult(d) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      return rows.length ? { from_date: rows[0].bucket, to_date: rows[rows.length - 1].bucket } : {};
    },
    heading: (d, args) => "Sales trend, " + (args.from_date || "?") + " – " + (args.to_date || "?") + ", by " + gran(args),
    subheading(d) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      const orders = sum(rows, "orders");
      const revenue = sum(rows, "revenue");
      return "Revenue " + fmt.money(revenue) + " · " + fmt.int(orders) + " orders · " + fmt.int(sum(rows, "units")) +
        " units · average order " + (orders > 0 ? fmt.money(revenue / orders) : "—");
    },
    onResult(d, args) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      if (!rows.length) return el("p", { class: "z-empty" }, "No sales in these dates.");
      const labels = rows.map((r) => r.bucket);
      const ticks = tickLabel(args);
      return [
        el("h2", null, "Revenue by " + gran(args)),
        lineChart({
          name: "revenue", title: "Revenue by " + gran(args), labels, format: fmt.money, axisFormat: fmt.moneyShort, tickLabel: ticks,
          series: [{ name: "revenue", label: "Revenue", values: rows.map((r) => r.revenue), className: "z-s-current" }],
        }),
        el("h2", null, "Orders by " + gran(args)),
        barChart({
          name: "orders", title: "Orders by " + gran(args), orientation: "vertical", labels, format: fmt.int, axisFormat: fmt.intShort,
          tickLabel: ticks, integer: true, height: 180,
          series: [{ name: "orders", label: "Orders", values: rows.map((r) => r.orders), className: "z-s-current" }],
        }),
      ];
    },
  });
})();
