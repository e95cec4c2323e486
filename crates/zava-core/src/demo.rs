//! Deterministic demo data for the Zava retailer: customers, orders with
//! seasonal and weekly patterns, order lines with occasional discounts, and
//! inventory. Same `(scale, seed, end_day)` → the same rows, byte for byte.
//!
//! Timestamps are wall-clock seconds since 2000-01-01 in the business time zone
//! (America/Los_Angeles); the database converts them to `timestamptz`, so
//! daylight-saving rules live in one place (Postgres' tz database). Store hours
//! avoid 01:00–03:59, the only hours a DST change can skip or repeat.

use crate::calendar::{civil_from_day, day_from_civil, wall_seconds, weekday};
use crate::catalog::{self, Product, STORES};
use crate::rng::Rng;

/// The first business day with orders: 2020-01-01.
pub const START_DAY: i32 = 7305;
/// Customers and orders per unit of `scale`.
pub const CUSTOMERS_PER_SCALE: f64 = 50_000.0;
pub const ORDERS_PER_SCALE: f64 = 200_000.0;
/// Largest accepted scale (≈ 40 M order lines): beyond that, use a real loader.
pub const MAX_SCALE: f64 = 64.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub scale: f64,
    pub seed: u64,
    /// Last business day with orders (day number since 2000-01-01).
    pub end_day: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamError {
    Scale(f64),
    EndDay(i32),
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::Scale(s) => {
                write!(f, "scale must be a finite number greater than 0 and at most {MAX_SCALE} (got {s})")
            }
            ParamError::EndDay(d) => {
                let (y, m, dd) = civil_from_day(*d);
                write!(f, "end_date must be on or after 2020-01-31 (got {y:04}-{m:02}-{dd:02})")
            }
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), ParamError> {
        if !self.scale.is_finite() || self.scale <= 0.0 || self.scale > MAX_SCALE {
            return Err(ParamError::Scale(self.scale));
        }
        if self.end_day < START_DAY + 30 || self.end_day > day_from_civil(2100, 1, 1) {
            return Err(ParamError::EndDay(self.end_day));
        }
        Ok(())
    }

    pub fn customer_count(&self) -> usize {
        ((CUSTOMERS_PER_SCALE * self.scale).round() as usize).max(STORES.len() * 4)
    }

    pub fn target_orders(&self) -> f64 {
        (ORDERS_PER_SCALE * self.scale).max(50.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Completed,
    Cancelled,
    Refunded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::Refunded => "refunded",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: [u8; 16],
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    /// Index into `catalog::STORES` of the home store.
    pub store: usize,
    pub join_day: i32,
    pub created_wall: i64,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub id: [u8; 16],
    pub product: usize,
    pub quantity: i32,
    pub unit_cents: i64,
    /// Cost of goods per unit at the time of sale.
    pub unit_cost_cents: i64,
    pub discount_percent: i32,
    pub discount_cents: i64,
    pub total_cents: i64,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: [u8; 16],
    pub store: usize,
    pub customer: [u8; 16],
    pub ordered_wall: i64,
    pub status: Status,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Copy)]
pub struct Stock {
    pub store: usize,
    pub product: usize,
    pub stock_level: i32,
    pub reorder_point: i32,
}

const FIRST_NAMES: [&str; 48] = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Oliver",
    "Sophia",
    "Elijah",
    "Isabella",
    "James",
    "Mia",
    "William",
    "Amelia",
    "Benjamin",
    "Harper",
    "Lucas",
    "Evelyn",
    "Henry",
    "Abigail",
    "Theodore",
    "Emily",
    "Jack",
    "Ella",
    "Levi",
    "Elizabeth",
    "Alexander",
    "Camila",
    "Jackson",
    "Luna",
    "Mateo",
    "Sofia",
    "Daniel",
    "Avery",
    "Michael",
    "Mila",
    "Mason",
    "Aria",
    "Sebastian",
    "Scarlett",
    "Ethan",
    "Penelope",
    "Logan",
    "Layla",
    "Owen",
    "Chloe",
    "Samuel",
    "Victoria",
    "Jacob",
];
const LAST_NAMES: [&str; 48] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
];
const AREA_CODES: [&str; 8] = ["206", "425", "253", "509", "425", "425", "425", "360"];

/// Overall traffic by month (January first), before category seasonality.
const MONTH_TRAFFIC: [f64; 12] = [0.8, 0.8, 1.0, 1.15, 1.25, 1.2, 1.15, 1.05, 0.95, 0.9, 0.95, 1.1];
/// Traffic by ISO weekday (Monday first): weekends are busiest.
const WEEKDAY_TRAFFIC: [f64; 7] = [0.85, 0.85, 0.9, 0.95, 1.05, 1.4, 1.2];
const LINES_PER_ORDER: [f64; 5] = [0.35, 0.30, 0.18, 0.11, 0.06];

/// Holidays and promotions: (factor for physical stores, factor online).
fn special_day(day: i32) -> (f64, f64) {
    let (y, m, d) = civil_from_day(day);
    let wd = weekday(day);
    // Thanksgiving: the fourth Thursday of November; stores close, online is quiet.
    let first_nov = day_from_civil(y, 11, 1);
    let thanksgiving = first_nov + ((3 + 7 - weekday(first_nov) as i32) % 7) + 21;
    if day == thanksgiving || (m == 12 && d == 25) || (m == 1 && d == 1) {
        return (0.0, 0.5);
    }
    if day == thanksgiving + 1 {
        return (2.4, 2.8); // Black Friday
    }
    if day > thanksgiving + 1 && day <= thanksgiving + 4 {
        return (1.5, 1.9); // the weekend and Cyber Monday
    }
    if m == 12 && (15..=23).contains(&d) {
        return (1.3, 1.5);
    }
    // Memorial Day weekend (Saturday–Monday before the last Monday of May).
    if m == 5 && d >= 23 && (wd == 5 || wd == 6 || (wd == 0 && d >= 25)) {
        return (1.4, 1.2);
    }
    (1.0, 1.0)
}

fn growth(day: i32) -> f64 {
    // About 9% more orders a year, compounding.
    1.09f64.powf((day - START_DAY) as f64 / 365.25)
}

/// The generator. Create it, take `customers()`, then call `next_orders`
/// until it returns `None`, then `inventory()`.
pub struct Generator {
    params: Params,
    products: Vec<Product>,
    customers: Vec<Customer>,
    /// Customer indices by home store, ordered by join day.
    home: Vec<Vec<usize>>,
    home_join: Vec<Vec<i32>>,
    all_join: Vec<i32>,
    /// Cumulative product weights per month.
    month_pick: Vec<Vec<f64>>,
    scale_per_weight: f64,
    next_day: i32,
    rng: Rng,
}

impl Generator {
    pub fn new(params: Params) -> Result<Self, ParamError> {
        params.validate()?;
        let products = catalog::products();
        let customers = make_customers(&params);
        let mut home = vec![Vec::new(); STORES.len()];
        for (i, c) in customers.iter().enumerate() {
            home[c.store].push(i);
        }
        let home_join = home.iter().map(|ix| ix.iter().map(|&i| customers[i].join_day).collect()).collect();
        let all_join = customers.iter().map(|c| c.join_day).collect();
        let month_pick = (0..12)
            .map(|m| {
                let mut acc = 0.0;
                products
                    .iter()
                    .map(|p| {
                        acc += catalog::CATEGORIES[p.category].season[m] * p.popularity;
                        acc
                    })
                    .collect()
            })
            .collect();
        let total_weight: f64 = (START_DAY..=params.end_day).map(|d| day_weight(d).0).sum();
        Ok(Self {
            params,
            products,
            customers,
            home,
            home_join,
            all_join,
            month_pick,
            scale_per_weight: params.target_orders() / total_weight,
            next_day: START_DAY,
            rng: Rng::fork(params.seed, 2),
        })
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// The orders of the next `days` business days, or `None` when done.
    pub fn next_orders(&mut self, days: i32) -> Option<Vec<Order>> {
        if self.next_day > self.params.end_day {
            return None;
        }
        let last = (self.next_day + days - 1).min(self.params.end_day);
        let mut out = Vec::new();
        for day in self.next_day..=last {
            self.orders_for_day(day, &mut out);
        }
        self.next_day = last + 1;
        Some(out)
    }

    fn orders_for_day(&mut self, day: i32, out: &mut Vec<Order>) {
        let (physical_w, online_w) = special_day(day);
        let base = day_weight(day).1 * self.scale_per_weight;
        let total_store_weight: f64 = STORES.iter().map(|s| s.weight).sum();
        for (si, store) in STORES.iter().enumerate() {
            let w = if store.is_online { online_w } else { physical_w };
            let expected = base * w * store.weight / total_store_weight;
            let mut n = expected.floor() as u64;
            if self.rng.chance(expected - expected.floor()) {
                n += 1;
            }
            for _ in 0..n {
                if let Some(order) = self.one_order(day, si) {
                    out.push(order);
                }
            }
        }
    }

    fn one_order(&mut self, day: i32, store: usize) -> Option<Order> {
        let rng = &mut self.rng;
        let is_online = STORES[store].is_online;
        // Most shoppers of a physical store live near it; online draws from everyone.
        let joined_home = self.home_join[store].partition_point(|&j| j <= day);
        let customer = if !is_online && joined_home > 0 && rng.chance(0.85) {
            self.home[store][rng.below(joined_home as u64) as usize]
        } else {
            let joined = self.all_join.partition_point(|&j| j <= day);
            if joined == 0 {
                return None;
            }
            rng.below(joined as u64) as usize
        };
        let (hour_lo, hour_span) = if is_online { (6, 18) } else { (8, 13) };
        // Triangular over opening hours: busiest mid-day.
        let t = (rng.unit() + rng.unit()) / 2.0;
        let secs = hour_lo * 3600 + (t * (hour_span * 3600) as f64) as u32;
        let status =
            if day == self.params.end_day && rng.chance(0.6) || day + 1 == self.params.end_day && rng.chance(0.2) {
                Status::Pending
            } else {
                let r = rng.unit();
                if r < 0.02 {
                    Status::Cancelled
                } else if r < 0.035 {
                    Status::Refunded
                } else {
                    Status::Completed
                }
            };
        let (_, month, _) = civil_from_day(day);
        let promo = special_day(day).0 > 1.45;
        let n_lines = 1 + rng.pick_cumulative(&cumulative(&LINES_PER_ORDER));
        let mut lines: Vec<Line> = Vec::with_capacity(n_lines);
        for _ in 0..n_lines {
            let mut product = rng.pick_cumulative(&self.month_pick[month as usize - 1]);
            let mut tries = 0;
            while lines.iter().any(|l| l.product == product) && tries < 8 {
                product = rng.pick_cumulative(&self.month_pick[month as usize - 1]);
                tries += 1;
            }
            if lines.iter().any(|l| l.product == product) {
                continue;
            }
            let unit = self.products[product].price_cents;
            let quantity = if unit < 1_500 {
                1 + rng.below(3) as i32 + if rng.chance(0.2) { rng.below(6) as i32 } else { 0 }
            } else if rng.chance(0.88) {
                1
            } else {
                2
            };
            let discount_percent = if rng.chance(if promo { 0.35 } else { 0.08 }) {
                [5, 10, 15, 20, 25][rng.below(5) as usize]
            } else {
                0
            };
            let gross = unit * quantity as i64;
            // Half-up rounding to the cent, in integers.
            let discount_cents = (gross * discount_percent as i64 + 50) / 100;
            lines.push(Line {
                id: rng.uuid(),
                product,
                quantity,
                unit_cents: unit,
                unit_cost_cents: self.products[product].cost_cents,
                discount_percent,
                discount_cents,
                total_cents: gross - discount_cents,
            });
        }
        Some(Order {
            id: rng.uuid(),
            store,
            customer: self.customers[customer].id,
            ordered_wall: wall_seconds(day, secs),
            status,
            lines,
        })
    }

    /// Stock per store and product: roughly weeks of sales, with a few items
    /// running low so that inventory alerts have something to say.
    pub fn inventory(&self) -> Vec<Stock> {
        let mut rng = Rng::fork(self.params.seed, 3);
        let mut out = Vec::with_capacity(STORES.len() * self.products.len());
        for (si, s) in STORES.iter().enumerate() {
            for (pi, p) in self.products.iter().enumerate() {
                let typical = (6.0 + 60.0 * s.weight * p.popularity).round() as i32;
                let stock_level = if rng.chance(0.05) {
                    rng.below(4) as i32
                } else {
                    (typical as f64 * (0.4 + 1.6 * rng.unit())).round() as i32
                };
                out.push(Stock { store: si, product: pi, stock_level, reorder_point: (typical / 3).max(2) });
            }
        }
        out
    }
}

/// (weight used to spread orders over days, the same weight) — physical and
/// online stores share the calendar shape; special days scale per store kind.
fn day_weight(day: i32) -> (f64, f64) {
    let (_, m, _) = civil_from_day(day);
    let w = MONTH_TRAFFIC[m as usize - 1] * WEEKDAY_TRAFFIC[weekday(day) as usize] * growth(day);
    (w, w)
}

fn cumulative(weights: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

fn make_customers(params: &Params) -> Vec<Customer> {
    let mut rng = Rng::fork(params.seed, 1);
    let n = params.customer_count();
    let store_pick = cumulative(&STORES.map(|s| s.weight));
    let span = (params.end_day - START_DAY + 1) as f64;
    let mut out: Vec<Customer> = (0..n)
        .map(|i| {
            let store = rng.pick_cumulative(&store_pick);
            // A quarter were customers before 2020; the rest join over time.
            let join_day = if rng.chance(0.25) {
                START_DAY - 1 - rng.below(730) as i32
            } else {
                START_DAY + (span * rng.unit().powf(0.9)) as i32
            }
            .min(params.end_day);
            let first_name = FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize];
            let last_name = LAST_NAMES[rng.below(LAST_NAMES.len() as u64) as usize];
            let created_wall = wall_seconds(join_day, 8 * 3600 + rng.below(13 * 3600) as u32);
            Customer {
                id: rng.uuid(),
                first_name,
                last_name,
                email: format!("{}.{}.{}@example.com", first_name.to_lowercase(), last_name.to_lowercase(), i + 1),
                phone: format!("({}) 555-{:04}", AREA_CODES[store], rng.below(10_000)),
                store,
                join_day,
                created_wall,
            }
        })
        .collect();
    // Stable sort: ties keep generation order, so the result is deterministic.
    out.sort_by_key(|c| c.join_day);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(scale: f64, seed: u64) -> Params {
        Params { scale, seed, end_day: day_from_civil(2025, 6, 30) }
    }

    fn all_orders(g: &mut Generator) -> Vec<Order> {
        let mut v = Vec::new();
        while let Some(mut batch) = g.next_orders(31) {
            v.append(&mut batch);
        }
        v
    }

    #[test]
    fn rejects_bad_parameters() {
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_SCALE * 2.0] {
            assert!(matches!(params(s, 1).validate(), Err(ParamError::Scale(_))));
        }
        let early = Params { scale: 1.0, seed: 1, end_day: START_DAY + 5 };
        assert!(matches!(early.validate(), Err(ParamError::EndDay(_))));
        assert!(early.validate().unwrap_err().to_string().contains("2020-01-31"));
    }

    #[test]
    fn deterministic_for_seed_and_end_day() {
        let a = all_orders(&mut Generator::new(params(0.02, 7)).unwrap());
        let b = all_orders(&mut Generator::new(params(0.02, 7)).unwrap());
        let c = all_orders(&mut Generator::new(params(0.02, 8)).unwrap());
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.id == y.id && x.ordered_wall == y.ordered_wall && x.lines.len() == y.lines.len())
        );
        assert!(a.iter().zip(&c).any(|(x, y)| x.id != y.id), "another seed gives other data");
    }

    #[test]
    fn volumes_match_scale_and_orders_reference_joined_customers() {
        let p = params(0.05, 42);
        let mut g = Generator::new(p).unwrap();
        let join: std::collections::HashMap<_, _> = g.customers().iter().map(|c| (c.id, c.join_day)).collect();
        assert_eq!(g.customers().len(), 2_500);
        let orders = all_orders(&mut g);
        let n = orders.len() as f64;
        assert!((n / p.target_orders() - 1.0).abs() < 0.05, "{n} orders for a target of {}", p.target_orders());
        for o in &orders {
            let day = (o.ordered_wall / 86_400) as i32;
            assert!(join[&o.customer] <= day, "customer ordered before joining");
            assert!((1..=5).contains(&o.lines.len()));
            for l in &o.lines {
                assert!(l.quantity > 0 && l.total_cents >= 0);
                assert_eq!(l.total_cents, l.unit_cents * l.quantity as i64 - l.discount_cents);
            }
            if o.status == Status::Pending {
                assert!(day + 1 >= p.end_day, "only the last two days have pending orders");
            }
        }
    }

    #[test]
    fn seasonality_shows_in_garden_sales() {
        let mut g = Generator::new(params(0.1, 1)).unwrap();
        let products = g.products().to_vec();
        let garden = catalog::CATEGORIES.iter().position(|c| c.name == "Garden & Outdoor").unwrap();
        let (mut may, mut jan) = (0i64, 0i64);
        for o in all_orders(&mut g) {
            let (_, m, _) = civil_from_day((o.ordered_wall / 86_400) as i32);
            for l in o.lines.iter().filter(|l| products[l.product].category == garden) {
                if m == 5 {
                    may += l.total_cents
                } else if m == 1 {
                    jan += l.total_cents
                }
            }
        }
        assert!(may > 3 * jan, "garden revenue in May ({may}) should dwarf January ({jan})");
    }

    #[test]
    fn stores_close_on_thanksgiving_and_black_friday_is_busy() {
        let mut g = Generator::new(params(0.1, 3)).unwrap();
        let thanksgiving = day_from_civil(2023, 11, 23);
        let mut by_day = std::collections::HashMap::<(i32, bool), usize>::new();
        for o in all_orders(&mut g) {
            *by_day.entry(((o.ordered_wall / 86_400) as i32, STORES[o.store].is_online)).or_default() += 1;
        }
        assert_eq!(by_day.get(&(thanksgiving, false)), None, "physical stores are closed");
        let friday = by_day[&(thanksgiving + 1, false)];
        let week_before = by_day[&(thanksgiving - 6, false)];
        assert!(friday > 2 * week_before, "Black Friday {friday} vs {week_before}");
    }

    #[test]
    fn inventory_covers_every_store_and_product() {
        let g = Generator::new(params(0.01, 5)).unwrap();
        let inv = g.inventory();
        assert_eq!(inv.len(), STORES.len() * g.products().len());
        assert!(inv.iter().all(|s| s.stock_level >= 0 && s.reorder_point >= 2));
        assert!(inv.iter().any(|s| s.stock_level < s.reorder_point), "some items run low");
    }
}
