//! The answers of `zava.store_performance` and `zava.customer_insights`, built
//! from the sums the database returns: figures, changes, shares, rankings,
//! insights and JSON. Money arrives in cents and leaves as exact decimals, so
//! every figure has the digits plain SQL over raw rows would give.

use crate::analytics::{self, CategoryRevenue, Figures, Periods, iso_date};
use crate::decimal::Dec;
use crate::json::Json;

/// The additive figures of stores over a period (money in cents), how many
/// rollup rows they came from, and the distinct customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub rows: i64,
    pub revenue: i64,
    pub orders: i64,
    pub units: i64,
    pub gross: i64,
    pub discounts: i64,
    pub cost: i64,
    pub customers: i64,
}

impl Sums {
    /// Money as SQL's `coalesce(sum(x), 0)` gives it: `0` when there were no
    /// rows, else two decimals.
    fn money(&self, cents: i64) -> Dec {
        if self.rows == 0 { Dec::int(0) } else { Dec::cents(cents) }
    }

    /// The six figures that `change` compares, by name.
    fn compared(&self) -> [(&'static str, Option<Dec>); 6] {
        [
            ("revenue", Some(self.money(self.revenue))),
            ("orders", Some(Dec::int(self.orders))),
            ("units", Some(Dec::int(self.units))),
            ("unique_customers", Some(Dec::int(self.customers))),
            ("gross_margin", Some(self.money(self.revenue - self.cost))),
            ("average_order_value", self.aov()),
        ]
    }

    fn aov(&self) -> Option<Dec> {
        Dec::ratio(i128::from(self.revenue), 100 * i128::from(self.orders), 2)
    }

    fn json(&self) -> Json {
        let r = i128::from(self.revenue);
        Json::Obj(vec![
            ("revenue", self.money(self.revenue).into()),
            ("orders", self.orders.into()),
            ("units", self.units.into()),
            ("gross", self.money(self.gross).into()),
            ("discounts", self.money(self.discounts).into()),
            ("cost", self.money(self.cost).into()),
            ("gross_margin", self.money(self.revenue - self.cost).into()),
            ("gross_margin_pct", Dec::ratio(100 * (r - i128::from(self.cost)), r, 2).into()),
            ("average_order_value", self.aov().into()),
            ("discount_rate_pct", Dec::ratio(100 * i128::from(self.discounts), i128::from(self.gross), 2).into()),
            ("unique_customers", self.customers.into()),
        ])
    }

    fn figures(&self) -> Figures {
        let f = |c: i64| Dec::cents(c).to_f64();
        Figures {
            revenue: f(self.revenue),
            orders: self.orders,
            units: self.units,
            gross: f(self.gross),
            discounts: f(self.discounts),
            cost: f(self.cost),
        }
    }
}

/// A category's revenue in the period and in the comparison period, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySums {
    pub name: String,
    pub current: i64,
    pub compare: i64,
}

/// A product's sales in the period, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSums {
    pub name: String,
    pub sku: String,
    pub revenue: i64,
    pub units: i64,
}

/// Everything `store_performance` answers from. `categories` come ranked by
/// current revenue (then name, in the database's collation); `products` are
/// the top five.
#[derive(Debug, Clone)]
pub struct Performance {
    pub store_id: Option<String>,
    pub stores: i64,
    pub as_of: i32,
    pub period_name: String,
    pub periods: Periods,
    pub current: Sums,
    pub compare: Sums,
    pub categories: Vec<CategorySums>,
    pub products: Vec<ProductSums>,
}

fn period_json(name: Option<&str>, r: analytics::Range, label: Option<&str>) -> Json {
    let mut fields = Vec::new();
    if let Some(name) = name {
        fields.push(("name", name.into()));
    }
    fields.push(("start", iso_date(r.start).into()));
    fields.push(("end", iso_date(r.end - 1).into()));
    fields.push(("days", i64::from(r.days()).into()));
    if let Some(label) = label {
        fields.push(("label", label.into()));
    }
    Json::Obj(fields)
}

/// `store_performance`'s JSON. Keys released in 0.1.0 keep their meaning:
/// `previous_period` and `previous` are the comparison period and its
/// figures, whichever `compare_to` chose.
pub fn store_performance(p: &Performance) -> Json {
    let (cur, cmp) = (&p.current, &p.compare);
    let change = cur
        .compared()
        .into_iter()
        .zip(cmp.compared())
        .map(|((k, a), (_, b))| {
            let (absolute, pct) = match (a, b) {
                (Some(a), Some(b)) => (Some(a - b), a.pct_change(b, 1)),
                _ => (None, None),
            };
            (k, Json::Obj(vec![("absolute", absolute.into()), ("pct", pct.into())]))
        })
        .collect();
    let revenue = cur.money(cur.revenue);
    let cats: Vec<Json> = p
        .categories
        .iter()
        .map(|c| {
            let (now, before) = (Dec::cents(c.current), Dec::cents(c.compare));
            Json::Obj(vec![
                ("category", c.name.as_str().into()),
                ("revenue", now.into()),
                ("previous_revenue", before.into()),
                ("share_pct", now.pct_of(revenue, 1).into()),
                ("change_pct", now.pct_change(before, 1).into()),
            ])
        })
        .collect();
    let products: Vec<Json> = p
        .products
        .iter()
        .map(|x| {
            Json::Obj(vec![
                ("product", x.name.as_str().into()),
                ("sku", x.sku.as_str().into()),
                ("revenue", Dec::cents(x.revenue).into()),
                ("units", x.units.into()),
            ])
        })
        .collect();
    let category_revenue: Vec<CategoryRevenue> = p
        .categories
        .iter()
        .map(|c| CategoryRevenue {
            name: c.name.clone(),
            current: Dec::cents(c.current).to_f64(),
            previous: Dec::cents(c.compare).to_f64(),
        })
        .collect();
    let insights = analytics::insights(&cur.figures(), &cmp.figures(), &category_revenue, &p.periods.label);
    Json::Obj(vec![
        ("store_id", p.store_id.clone().into()),
        ("stores", p.stores.into()),
        ("as_of", iso_date(p.as_of).into()),
        ("period", period_json(Some(&p.period_name), p.periods.current, None)),
        ("compare_to", p.periods.compare_to.name().into()),
        ("previous_period", period_json(None, p.periods.compare, Some(&p.periods.label))),
        ("current", cur.json()),
        ("previous", cmp.json()),
        ("change", Json::Obj(change)),
        ("top_categories", Json::Arr(cats.iter().take(5).cloned().collect())),
        ("top_products", Json::Arr(products)),
        ("insights", insights.into()),
    ])
}

/// One buyer of the period: orders and spend (cents) in the stores asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub customer_id: String,
    pub name: Option<String>,
    pub orders: i64,
    /// `None` when there is no figure (the rollups give 0 for orders without lines).
    pub spend: Option<i64>,
}

/// The counts `customer_insights` answers from, and its top five buyers by
/// spend (then customer id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerCounts {
    pub customers: i64,
    pub new_customers: i64,
    pub repeat_customers: i64,
    pub orders: i64,
    pub top: Vec<Buyer>,
}

/// `customer_insights`' JSON.
pub fn customer_insights(period_name: &str, period: analytics::Range, c: &CustomerCounts) -> Json {
    let n = i128::from(c.customers);
    let top: Vec<Json> = c
        .top
        .iter()
        .map(|b| {
            Json::Obj(vec![
                ("customer_id", b.customer_id.as_str().into()),
                ("name", b.name.clone().into()),
                ("orders", b.orders.into()),
                ("spend", b.spend.map(Dec::cents).into()),
            ])
        })
        .collect();
    Json::Obj(vec![
        ("period", period_json(Some(period_name), period, None)),
        ("customers", c.customers.into()),
        ("new_customers", c.new_customers.into()),
        ("returning_customers", (c.customers - c.new_customers).into()),
        ("repeat_customers", c.repeat_customers.into()),
        ("repeat_rate_pct", Dec::ratio(100 * i128::from(c.repeat_customers), n, 1).into()),
        ("orders_per_customer", Dec::ratio(i128::from(c.orders), n, 2).into()),
        ("top_customers", Json::Arr(top)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{CompareTo, resolve_compared};
    use crate::calendar::day_from_civil;

    fn sums(revenue: i64, orders: i64, cost: i64, customers: i64) -> Sums {
        Sums { rows: 3, revenue, orders, units: orders * 2, gross: revenue + 1000, discounts: 1000, cost, customers }
    }

    fn perf(compare_to: CompareTo) -> Performance {
        let as_of = day_from_civil(2025, 11, 23);
        Performance {
            store_id: None,
            stores: 8,
            as_of,
            period_name: "last_quarter".into(),
            periods: resolve_compared("last_quarter", as_of, compare_to).unwrap(),
            current: sums(880_000, 100, 500_000, 70),
            compare: sums(1_000_000, 100, 600_000, 75),
            categories: vec![
                CategorySums { name: "Garden & Outdoor".into(), current: 500_000, compare: 400_000 },
                CategorySums { name: "Power Tools".into(), current: 380_000, compare: 600_000 },
            ],
            products: vec![ProductSums { name: "Drill".into(), sku: "PT-1".into(), revenue: 12_345, units: 3 }],
        }
    }

    #[test]
    fn store_performance_figures_changes_and_insights() {
        let text = store_performance(&perf(CompareTo::PreviousPeriod)).text();
        for part in [
            r#""current": {"revenue": 8800.00, "orders": 100, "units": 200, "gross": 8810.00, "discounts": 10.00, "cost": 5000.00, "gross_margin": 3800.00, "gross_margin_pct": 43.18, "average_order_value": 88.00, "discount_rate_pct": 0.11, "unique_customers": 70}"#,
            r#""revenue": {"absolute": -1200.00, "pct": -12.0}"#,
            r#""unique_customers": {"absolute": -5, "pct": -6.7}"#,
            r#""previous_period": {"start": "2025-03-31", "end": "2025-06-30", "days": 92, "label": "the previous 92 days"}"#,
            r#"{"category": "Garden & Outdoor", "revenue": 5000.00, "previous_revenue": 4000.00, "share_pct": 56.8, "change_pct": 25.0}"#,
            r#""top_products": [{"product": "Drill", "sku": "PT-1", "revenue": 123.45, "units": 3}]"#,
            "Revenue \u{2212}12% vs the previous 92 days ($8,800 vs $10,000), mostly Power Tools (\u{2212}37%).",
        ] {
            assert!(text.contains(part), "missing {part} in {text}");
        }
    }

    #[test]
    fn year_over_year_names_the_quarter() {
        let text = store_performance(&perf(CompareTo::PreviousYear)).text();
        assert!(text.contains(r#""compare_to": "previous_year""#), "{text}");
        assert!(
            text.contains(
                r#""previous_period": {"start": "2024-07-01", "end": "2024-09-30", "days": 92, "label": "Q3 2024"}"#
            ),
            "{text}"
        );
        assert!(text.contains("Revenue \u{2212}12% vs Q3 2024 ($8,800 vs $10,000)"), "{text}");
    }

    #[test]
    fn empty_periods_read_like_sql() {
        let mut p = perf(CompareTo::PreviousPeriod);
        p.current = Sums::default();
        p.compare = Sums::default();
        p.categories.clear();
        let text = store_performance(&p).text();
        assert!(text.contains(r#""revenue": 0, "orders": 0"#), "{text}");
        assert!(text.contains(r#""average_order_value": {"absolute": null, "pct": null}"#), "{text}");
        assert!(text.contains(r#""insights": ["No completed sales in this period."]"#), "{text}");
    }

    #[test]
    fn customer_insights_rates() {
        let range = analytics::resolve("ytd", day_from_civil(2024, 6, 30)).unwrap();
        let c = CustomerCounts {
            customers: 3,
            new_customers: 1,
            repeat_customers: 2,
            orders: 7,
            top: vec![Buyer { customer_id: "c1".into(), name: None, orders: 4, spend: Some(99_999) }],
        };
        let text = customer_insights("ytd", range, &c).text();
        assert!(text.contains(r#""returning_customers": 2, "repeat_customers": 2, "repeat_rate_pct": 66.7, "orders_per_customer": 2.33"#), "{text}");
        assert!(text.contains(r#"[{"customer_id": "c1", "name": null, "orders": 4, "spend": 999.99}]"#), "{text}");
        let none = customer_insights("ytd", range, &CustomerCounts::default()).text();
        assert!(
            none.contains(r#""repeat_rate_pct": null, "orders_per_customer": null, "top_customers": []"#),
            "{none}"
        );
    }
}
