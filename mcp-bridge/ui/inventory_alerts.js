/* get_inventory_alerts: products whose stock lasts fewer days than the threshold. */
(function () {
  const { el, fmt, num } = ZavaApp;
  const { table, meter } = ZavaCharts;

  const threshold = (args) => num(args.min_days_of_cover) || 14;

  ZavaApp.start({
    view: "inventory_alerts",
    tool: "get_inventory_alerts",
    title: "Inventory alerts",
    controls: ["store"],
    heading(d, args) {
      const n = Array.isArray(d.rows) ? d.rows.length : 0;
      return "Inventory alerts: " + n + (n === 1 ? " product" : " products") + " under " + threshold(args) + " days of cover";
    },
    subheading: () => "Days of cover: days the stock lasts at the last 28 days' sales rate.",
    onResult(d, args) {
      const rows = Array.isArray(d.rows) ? d.rows : [];
      const limit = threshold(args);
      if (!rows.length) return el("p", { class: "z-empty" }, "No product is under " + limit + " days of cover.");
      const max = Math.max(limit, ...rows.map((r) => num(r.days_of_cover) || 0));
      const columns = [
        { key: "product_name", label: "Product", cell: (r) => [String(r.product_name), el("div", { class: "z-muted z-small" }, String(r.sku))] },
        { key: "store_name", label: "Store" },
        {
          key: "stock_level", label: "Stock", numeric: true,
          cell: (r) => [num(r.stock_level) === 0 ? "0 (out of stock)" : fmt.int(r.stock_level),
            el("div", { class: "z-muted z-small" }, "reorder at " + fmt.int(r.reorder_point))],
        },
        {
          key: "days_of_cover", label: "Days of cover", numeric: true, ascendingFirst: true,
          cell: (r) => meter({ series: "days_of_cover", label: r.product_name, value: r.days_of_cover, max,
            low: (num(r.days_of_cover) || 0) < limit / 2, text: fmt.dec(r.days_of_cover) + " d" }),
        },
        {
          key: "units_sold_28d", label: "Sold (28 days)", numeric: true,
          cell: (r) => [fmt.int(r.units_sold_28d), el("div", { class: "z-muted z-small" }, fmt.dec(r.daily_velocity) + " a day")],
        },
      ];
      return table({ name: "alerts", caption: "Low stock (select a heading to sort)", columns, rows,
        rowAttrs: (r) => ({ "data-sku": r.sku }) });
    },
  });
})();
