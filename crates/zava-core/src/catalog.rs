//! The Zava DIY / home-improvement catalog: stores, categories, product types,
//! and products (item × variant), with prices, costs and descriptions.
//!
//! Everything here is fixed data: the same on every install, independent of the
//! demo seed. Products get stable UUIDs derived from their SKU.

use crate::rng::{uuid_const, uuid_from_name};

/// A store. `weight` scales its share of orders and customers.
#[derive(Debug, Clone, Copy)]
pub struct Store {
    pub id: [u8; 16],
    pub name: &'static str,
    pub city: &'static str,
    pub is_online: bool,
    pub square_feet: Option<i32>,
    pub opened: (i32, u32, u32),
    pub weight: f64,
}

const fn store(
    n: u8,
    name: &'static str,
    city: &'static str,
    square_feet: Option<i32>,
    opened: (i32, u32, u32),
    weight: f64,
) -> Store {
    let mut id = uuid_const("5a0a0000-0000-4000-8000-000000000000");
    id[15] = n;
    Store { id, name, city, is_online: square_feet.is_none(), square_feet, opened, weight }
}

/// The eight stores: seven in Washington and the online store.
pub const STORES: [Store; 8] = [
    store(1, "Zava Retail Seattle", "Seattle", Some(48_000), (2012, 4, 14), 1.6),
    store(2, "Zava Retail Bellevue", "Bellevue", Some(36_000), (2014, 9, 6), 1.2),
    store(3, "Zava Retail Tacoma", "Tacoma", Some(32_000), (2015, 5, 2), 1.0),
    store(4, "Zava Retail Spokane", "Spokane", Some(28_000), (2016, 3, 19), 0.8),
    store(5, "Zava Retail Everett", "Everett", Some(22_000), (2017, 8, 26), 0.7),
    store(6, "Zava Retail Redmond", "Redmond", Some(26_000), (2018, 10, 13), 0.9),
    store(7, "Zava Retail Kirkland", "Kirkland", Some(18_000), (2019, 6, 1), 0.6),
    store(8, "Zava Retail Online", "Online", None, (2019, 11, 29), 1.4),
];

/// The fixed UUID of category `n` (1-based).
pub const fn category_id(n: u8) -> [u8; 16] {
    let mut id = uuid_const("ca7e0000-0000-4000-8000-000000000000");
    id[15] = n;
    id
}

#[derive(Debug)]
pub struct Category {
    pub name: &'static str,
    pub code: &'static str,
    /// Relative demand by month (January first): seasonality of the category.
    pub season: [f64; 12],
    pub types: &'static [ProductType],
}

#[derive(Debug)]
pub struct ProductType {
    pub name: &'static str,
    /// Every item of the type comes in each of these variants.
    pub variants: &'static [Variant],
    pub items: &'static [Item],
}

#[derive(Debug)]
pub struct Variant {
    pub label: &'static str,
    pub price_factor: f64,
    /// A sentence appended to the item's description.
    pub blurb: &'static str,
}

#[derive(Debug)]
pub struct Item {
    pub name: &'static str,
    /// Base retail price in dollars, before the variant factor.
    pub price: f64,
    /// Gross margin as a fraction of the price.
    pub margin: f64,
    pub description: &'static str,
}

/// One sellable product (an item in one variant).
#[derive(Debug, Clone)]
pub struct Product {
    pub id: [u8; 16],
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: usize,
    pub type_id: [u8; 16],
    pub price_cents: i64,
    pub cost_cents: i64,
    /// Relative popularity within the catalog (deterministic, long-tailed).
    pub popularity: f64,
}

/// A product type row: (id, category index, name).
#[derive(Debug, Clone)]
pub struct TypeRow {
    pub id: [u8; 16],
    pub category: usize,
    pub name: &'static str,
}

const fn v(label: &'static str, price_factor: f64, blurb: &'static str) -> Variant {
    Variant { label, price_factor, blurb }
}
const fn it(name: &'static str, price: f64, margin: f64, description: &'static str) -> Item {
    Item { name, price, margin, description }
}

const TOOL_TIERS: &[Variant] = &[
    v("Essentials", 0.8, "The Essentials line covers occasional jobs around the house at an easy price."),
    v("Standard", 1.0, "The Standard model balances weight, durability and price for regular home projects."),
    v("Pro", 1.45, "The Pro model adds premium materials and a lifetime warranty for daily jobsite use."),
    v("Contractor Pack", 2.6, "The Contractor Pack bundles two units with a rugged storage case for crews."),
];

pub const CATEGORIES: &[Category] = &[
    Category {
        name: "Hand Tools",
        code: "HT",
        season: [0.8, 0.8, 1.0, 1.1, 1.15, 1.1, 1.05, 1.0, 0.95, 0.9, 1.05, 1.4],
        types: &[
            ProductType {
                name: "Hammers & Mallets",
                variants: TOOL_TIERS,
                items: &[
                    it(
                        "Claw Hammer",
                        22.0,
                        0.46,
                        "A 16 oz forged steel claw hammer with a smooth face for driving nails and a curved claw for pulling them.",
                    ),
                    it(
                        "Framing Hammer",
                        34.0,
                        0.44,
                        "A 22 oz framing hammer with a milled face and straight rip claw for fast, secure nailing of studs and joists.",
                    ),
                    it(
                        "Rubber Mallet",
                        14.0,
                        0.5,
                        "A two-pound rubber mallet that taps tile, flooring and furniture joints into place without marring surfaces.",
                    ),
                ],
            },
            ProductType {
                name: "Screwdrivers & Drivers",
                variants: TOOL_TIERS,
                items: &[
                    it(
                        "Screwdriver Set",
                        26.0,
                        0.48,
                        "A six-piece set of Phillips and slotted screwdrivers with hardened, magnetic tips and cushioned grips.",
                    ),
                    it(
                        "Precision Screwdriver Kit",
                        19.0,
                        0.5,
                        "A precision kit with interchangeable micro bits for electronics, eyeglasses, toys and small appliances.",
                    ),
                    it(
                        "Ratcheting Multi-Bit Driver",
                        24.0,
                        0.47,
                        "A ratcheting driver with twelve bits stored in the handle, for quick assembly work without changing tools.",
                    ),
                ],
            },
            ProductType {
                name: "Wrenches & Pliers",
                variants: TOOL_TIERS,
                items: &[
                    it(
                        "Adjustable Wrench",
                        18.0,
                        0.47,
                        "An 8-inch chrome vanadium adjustable wrench with a wide jaw capacity and laser-etched scale.",
                    ),
                    it(
                        "Combination Wrench Set",
                        42.0,
                        0.45,
                        "A set of combination wrenches in SAE and metric sizes, open end on one side and 12-point box end on the other.",
                    ),
                    it(
                        "Locking Pliers",
                        16.0,
                        0.49,
                        "Curved-jaw locking pliers that clamp onto round, square and stripped fasteners with a quick-release lever.",
                    ),
                ],
            },
            ProductType {
                name: "Measuring & Layout",
                variants: TOOL_TIERS,
                items: &[
                    it(
                        "Tape Measure",
                        15.0,
                        0.5,
                        "A 25-foot tape measure with a nylon-coated blade, true-zero hook and belt clip.",
                    ),
                    it(
                        "Torpedo Level",
                        12.0,
                        0.52,
                        "A 9-inch magnetic torpedo level with three vials for plumb, level and 45-degree readings.",
                    ),
                    it(
                        "Combination Square",
                        21.0,
                        0.46,
                        "A 12-inch combination square with a hardened steel rule for marking 90- and 45-degree cuts.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Power Tools",
        code: "PT",
        season: [0.75, 0.8, 1.0, 1.1, 1.1, 1.05, 1.0, 0.95, 0.95, 0.95, 1.2, 1.6],
        types: &[
            ProductType {
                name: "Drills & Drivers",
                variants: &[
                    v("Tool Only", 1.0, "Sold as the bare tool for owners of a compatible 20V battery."),
                    v("1-Battery Kit", 1.45, "The kit includes one 2.0 Ah battery, a charger and a contractor bag."),
                    v(
                        "2-Battery Kit",
                        1.8,
                        "The kit includes two 4.0 Ah batteries and a fast charger for all-day work.",
                    ),
                    v(
                        "Brushless Pro Kit",
                        2.3,
                        "This brushless version runs cooler and longer and ships with two 5.0 Ah batteries.",
                    ),
                ],
                items: &[
                    it(
                        "Cordless Drill/Driver",
                        89.0,
                        0.34,
                        "A 20V cordless drill/driver with a half-inch keyless chuck, two speeds and an LED work light.",
                    ),
                    it(
                        "Impact Driver",
                        99.0,
                        0.33,
                        "A 20V impact driver delivering high torque for long lag screws and deck fasteners.",
                    ),
                    it(
                        "Hammer Drill",
                        119.0,
                        0.32,
                        "A 20V hammer drill with a masonry mode for drilling into brick, block and concrete.",
                    ),
                ],
            },
            ProductType {
                name: "Saws",
                variants: &[
                    v("Tool Only", 1.0, "Sold as the bare tool; batteries or blades beyond the first are extra."),
                    v("Kit", 1.4, "The kit adds a battery, charger and a spare blade."),
                    v("Corded", 0.9, "This corded model runs on standard household power with no battery to charge."),
                    v("Pro Kit", 1.9, "The Pro Kit includes a brushless motor, two batteries and a hard case."),
                ],
                items: &[
                    it(
                        "Circular Saw",
                        129.0,
                        0.33,
                        "A 7-1/4 inch circular saw with bevel stops, an electric brake and a dust blower for clear cut lines.",
                    ),
                    it(
                        "Reciprocating Saw",
                        109.0,
                        0.34,
                        "A reciprocating saw with tool-free blade changes for demolition, pruning and cutting pipe.",
                    ),
                    it(
                        "Jigsaw",
                        79.0,
                        0.36,
                        "A variable-speed jigsaw with orbital action for curves and scrolls in wood, metal and laminate.",
                    ),
                ],
            },
            ProductType {
                name: "Sanders & Grinders",
                variants: &[
                    v("Tool Only", 1.0, "Sold as the bare tool."),
                    v("Kit", 1.4, "The kit includes a battery, charger and an assortment of abrasives."),
                    v("Corded", 0.85, "This corded model gives unlimited runtime on household power."),
                    v(
                        "Dust-Free Kit",
                        1.7,
                        "The Dust-Free Kit adds a vacuum hose adapter and a sealed collection bag.",
                    ),
                ],
                items: &[
                    it(
                        "Random Orbit Sander",
                        69.0,
                        0.37,
                        "A 5-inch random orbit sander with hook-and-loop pads for a swirl-free finish on furniture and trim.",
                    ),
                    it(
                        "Angle Grinder",
                        89.0,
                        0.35,
                        "A 4-1/2 inch angle grinder with a side handle and guard for cutting, grinding and rust removal.",
                    ),
                    it(
                        "Detail Sander",
                        49.0,
                        0.4,
                        "A compact detail sander with a pointed pad that reaches into corners and along window frames.",
                    ),
                ],
            },
            ProductType {
                name: "Batteries & Chargers",
                variants: &[
                    v("2.0 Ah", 1.0, "The 2.0 Ah pack keeps tools light for overhead work."),
                    v("4.0 Ah", 1.5, "The 4.0 Ah pack doubles runtime for saws and grinders."),
                    v("6.0 Ah", 2.0, "The 6.0 Ah pack powers high-draw tools through a full day."),
                    v("Twin Pack", 1.8, "The twin pack ships two batteries for swapping without downtime."),
                ],
                items: &[
                    it(
                        "20V Lithium-Ion Battery",
                        59.0,
                        0.38,
                        "A 20V lithium-ion battery with a fuel gauge, compatible with every Zava 20V tool.",
                    ),
                    it(
                        "Battery and Rapid Charger Set",
                        89.0,
                        0.36,
                        "A 20V battery and rapid charger set that refills a pack in under an hour.",
                    ),
                    it(
                        "Dual-Port Charger Bundle",
                        109.0,
                        0.35,
                        "A dual-port charger bundle that charges two 20V batteries in sequence overnight.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Paint & Finishes",
        code: "PF",
        season: [0.6, 0.7, 1.0, 1.35, 1.5, 1.45, 1.4, 1.3, 1.1, 0.8, 0.6, 0.5],
        types: &[
            ProductType {
                name: "Interior Paint",
                variants: &[
                    v(
                        "Flat, 1 Gallon",
                        1.0,
                        "The flat sheen hides wall imperfections and suits ceilings and low-traffic rooms.",
                    ),
                    v(
                        "Eggshell, 1 Gallon",
                        1.05,
                        "The eggshell sheen adds a soft glow and wipes clean in living areas.",
                    ),
                    v(
                        "Semi-Gloss, 1 Gallon",
                        1.1,
                        "The semi-gloss sheen resists moisture in kitchens, baths and on trim.",
                    ),
                    v(
                        "Eggshell, 5 Gallon",
                        4.4,
                        "The 5-gallon pail covers whole-house repaints at a lower cost per gallon.",
                    ),
                ],
                items: &[
                    it(
                        "Interior Latex Paint",
                        34.0,
                        0.45,
                        "A low-odor, low-VOC interior latex paint with excellent hide and a scrubbable finish.",
                    ),
                    it(
                        "Paint and Primer in One",
                        44.0,
                        0.44,
                        "A premium interior paint and primer in one that covers dark colors in two coats.",
                    ),
                    it(
                        "Ceiling and Trim Enamel",
                        38.0,
                        0.45,
                        "A spatter-resistant acrylic enamel made for ceilings, doors and interior trim.",
                    ),
                ],
            },
            ProductType {
                name: "Exterior Paint & Stain",
                variants: &[
                    v("1 Gallon", 1.0, "The gallon size covers roughly 350 square feet per coat."),
                    v("5 Gallon", 4.4, "The 5-gallon pail is sized for siding and full decks."),
                    v("Quart Sample", 0.35, "The quart is sized for touch-ups and testing colors."),
                    v("Cedar Tone, 1 Gallon", 1.05, "The cedar tone adds warm color that complements natural wood."),
                ],
                items: &[
                    it(
                        "Exterior Acrylic House Paint",
                        46.0,
                        0.43,
                        "A 100% acrylic exterior paint that resists peeling, fading and mildew in the Pacific Northwest rain.",
                    ),
                    it(
                        "Semi-Transparent Deck Stain",
                        39.0,
                        0.44,
                        "A semi-transparent deck and fence stain that shows the wood grain and repels water.",
                    ),
                    it(
                        "Solid Color Fence Stain",
                        36.0,
                        0.45,
                        "An opaque fence stain that evens out weathered boards with a long-lasting, uniform color.",
                    ),
                ],
            },
            ProductType {
                name: "Primers & Sealers",
                variants: &[
                    v("1 Quart", 0.4, "The quart suits spot priming and small repairs."),
                    v("1 Gallon", 1.0, "The gallon covers a full room or a small exterior wall."),
                    v("5 Gallon", 4.3, "The 5-gallon pail is sized for new drywall and large projects."),
                    v("Aerosol, 12 oz", 0.3, "The aerosol can sprays an even coat on hardware and odd shapes."),
                ],
                items: &[
                    it(
                        "Stain-Blocking Primer",
                        32.0,
                        0.46,
                        "A shellac-based primer that seals water stains, smoke damage and knots so they don't bleed through.",
                    ),
                    it(
                        "Drywall Primer",
                        22.0,
                        0.48,
                        "A PVA drywall primer that evens out porosity on new drywall and joint compound.",
                    ),
                    it(
                        "Concrete and Masonry Sealer",
                        36.0,
                        0.44,
                        "A penetrating sealer that protects concrete, brick and pavers from water and freeze-thaw damage.",
                    ),
                ],
            },
            ProductType {
                name: "Brushes, Rollers & Supplies",
                variants: &[
                    v("Single", 1.0, "Sold individually."),
                    v("3-Pack", 2.5, "The 3-pack keeps a spare on hand for every color."),
                    v(
                        "Pro Grade",
                        1.6,
                        "The pro grade version uses premium materials that hold more paint and shed less.",
                    ),
                    v("Starter Kit", 3.2, "The starter kit bundles a tray, liners and drop cloth for a complete room."),
                ],
                items: &[
                    it(
                        "Angled Sash Brush",
                        12.0,
                        0.55,
                        "A 2-1/2 inch angled sash brush with nylon-polyester bristles for cutting in clean lines.",
                    ),
                    it(
                        "Roller Cover",
                        9.0,
                        0.56,
                        "A 9-inch woven roller cover with a 3/8-inch nap for smooth to lightly textured walls.",
                    ),
                    it(
                        "Painter's Tape",
                        8.0,
                        0.55,
                        "A 1.88-inch blue painter's tape that removes cleanly for up to 14 days without residue.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Hardware",
        code: "HW",
        season: [0.9, 0.9, 1.0, 1.05, 1.1, 1.05, 1.05, 1.0, 1.0, 0.95, 0.95, 0.95],
        types: &[
            ProductType {
                name: "Fasteners",
                variants: &[
                    v("1 lb Box", 1.0, "The 1 lb box suits small repairs."),
                    v("5 lb Box", 3.8, "The 5 lb box is sized for decks, fences and framing."),
                    v("Assortment Case", 2.2, "The assortment case sorts common sizes in a clear, latching organizer."),
                    v(
                        "Stainless Steel, 1 lb",
                        2.0,
                        "The stainless steel version will not rust in coastal or treated-lumber projects.",
                    ),
                ],
                items: &[
                    it(
                        "Wood Screws",
                        9.0,
                        0.55,
                        "Zinc-plated star-drive wood screws with a sharp point that starts without a pilot hole.",
                    ),
                    it(
                        "Deck Screws",
                        12.0,
                        0.53,
                        "Coated exterior deck screws rated for pressure-treated lumber, with a self-countersinking head.",
                    ),
                    it(
                        "Drywall Screws",
                        8.0,
                        0.56,
                        "Fine-thread phosphate drywall screws with a bugle head that seats without tearing paper.",
                    ),
                ],
            },
            ProductType {
                name: "Door Hardware",
                variants: &[
                    v("Satin Nickel", 1.0, "Finished in satin nickel."),
                    v("Matte Black", 1.1, "Finished in matte black."),
                    v("Oil-Rubbed Bronze", 1.1, "Finished in oil-rubbed bronze."),
                    v("Polished Brass", 1.05, "Finished in polished brass."),
                ],
                items: &[
                    it(
                        "Keyed Entry Knob",
                        29.0,
                        0.47,
                        "A keyed entry knob with a Grade 2 lock, two keys and an adjustable latch for standard doors.",
                    ),
                    it(
                        "Passage Lever",
                        24.0,
                        0.48,
                        "A non-locking passage lever for hallways and closets, reversible for left- or right-hand doors.",
                    ),
                    it(
                        "Single Cylinder Deadbolt",
                        34.0,
                        0.46,
                        "A single cylinder deadbolt with a hardened steel bolt and anti-pick pins.",
                    ),
                ],
            },
            ProductType {
                name: "Hinges & Brackets",
                variants: &[
                    v("Single", 1.0, "Sold individually."),
                    v("2-Pack", 1.8, "Sold as a pair."),
                    v("4-Pack", 3.3, "Sold in a pack of four."),
                    v("Heavy-Duty", 1.5, "The heavy-duty version uses thicker steel for higher loads."),
                ],
                items: &[
                    it(
                        "Door Hinge",
                        6.0,
                        0.56,
                        "A 3-1/2 inch steel door hinge with removable pin and rounded corners.",
                    ),
                    it(
                        "Shelf Bracket",
                        5.0,
                        0.57,
                        "A powder-coated steel shelf bracket for wall-mounted wood and laminate shelves.",
                    ),
                    it(
                        "Corner Brace",
                        4.0,
                        0.58,
                        "A zinc-plated corner brace that reinforces joints in frames, tables and cabinets.",
                    ),
                ],
            },
            ProductType {
                name: "Anchors & Hooks",
                variants: &[
                    v("10-Pack", 1.0, "Sold in a pack of ten."),
                    v("25-Pack", 2.1, "Sold in a pack of twenty-five."),
                    v("Kit with Bit", 1.6, "The kit includes the matching masonry or drywall bit."),
                    v("Heavy-Duty 4-Pack", 1.3, "The heavy-duty 4-pack is rated for twice the standard load."),
                ],
                items: &[
                    it(
                        "Drywall Anchors",
                        7.0,
                        0.58,
                        "Self-drilling drywall anchors that hold shelves, mirrors and curtain rods in hollow walls.",
                    ),
                    it(
                        "Concrete Wedge Anchors",
                        11.0,
                        0.54,
                        "Zinc-plated wedge anchors for fastening ledgers, brackets and posts to solid concrete.",
                    ),
                    it(
                        "Utility Hooks",
                        8.0,
                        0.56,
                        "Vinyl-coated utility hooks for hanging ladders, bikes, hoses and garden tools in the garage.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Lumber & Building Materials",
        code: "LB",
        season: [0.7, 0.75, 0.95, 1.15, 1.3, 1.35, 1.3, 1.2, 1.05, 0.9, 0.75, 0.6],
        types: &[
            ProductType {
                name: "Dimensional Lumber",
                variants: &[
                    v("8 ft", 1.0, "Cut to an 8-foot length."),
                    v("10 ft", 1.28, "Cut to a 10-foot length."),
                    v("12 ft", 1.55, "Cut to a 12-foot length."),
                    v("16 ft", 2.1, "Cut to a 16-foot length for long spans."),
                ],
                items: &[
                    it(
                        "2x4 Kiln-Dried Stud",
                        5.0,
                        0.28,
                        "A kiln-dried Douglas fir 2x4 graded for wall framing, straight and ready to nail.",
                    ),
                    it(
                        "2x6 Pressure-Treated Board",
                        9.0,
                        0.27,
                        "A pressure-treated 2x6 rated for ground contact, for decks, raised beds and fence rails.",
                    ),
                    it(
                        "1x6 Cedar Fence Board",
                        7.0,
                        0.3,
                        "A rough-sawn western red cedar fence board that resists rot and insects naturally.",
                    ),
                ],
            },
            ProductType {
                name: "Sheet Goods",
                variants: &[
                    v("1/4 in", 0.7, "In a 1/4-inch thickness."),
                    v("1/2 in", 1.0, "In a 1/2-inch thickness."),
                    v("3/4 in", 1.4, "In a 3/4-inch thickness."),
                    v("3/4 in, Cut to Size", 1.6, "In a 3/4-inch thickness, cut to your dimensions in store."),
                ],
                items: &[
                    it(
                        "Sanded Plywood, 4x8",
                        42.0,
                        0.28,
                        "A 4x8 sheet of sanded pine plywood with a smooth face for shelving and cabinets.",
                    ),
                    it(
                        "OSB Sheathing, 4x8",
                        24.0,
                        0.26,
                        "A 4x8 oriented strand board panel for wall and roof sheathing and subfloors.",
                    ),
                    it(
                        "MDF Panel, 4x8",
                        38.0,
                        0.29,
                        "A 4x8 medium-density fiberboard panel that machines cleanly and takes paint well.",
                    ),
                ],
            },
            ProductType {
                name: "Drywall & Insulation",
                variants: &[
                    v("Single", 1.0, "Sold individually."),
                    v("5-Pack", 4.6, "Sold in a pack of five."),
                    v("Moisture-Resistant", 1.3, "The moisture-resistant version suits bathrooms and basements."),
                    v("Contractor Bundle", 9.0, "The contractor bundle of ten ships on a pallet."),
                ],
                items: &[
                    it(
                        "Drywall Sheet, 1/2 in 4x8",
                        15.0,
                        0.27,
                        "A 1/2-inch 4x8 gypsum drywall sheet with tapered edges for smooth joints.",
                    ),
                    it(
                        "Fiberglass Batt Insulation, R-13",
                        48.0,
                        0.3,
                        "R-13 kraft-faced fiberglass batts sized for 2x4 walls at 16 inches on center.",
                    ),
                    it(
                        "Rigid Foam Board, 2 in",
                        34.0,
                        0.31,
                        "A 2-inch rigid polyiso foam board with foil facing for basement walls and roofs.",
                    ),
                ],
            },
            ProductType {
                name: "Concrete & Masonry",
                variants: &[
                    v("50 lb Bag", 1.0, "In a 50 lb bag."),
                    v("80 lb Bag", 1.45, "In an 80 lb bag."),
                    v("Pallet of 40", 34.0, "A pallet of forty bags, delivered."),
                    v("Rapid-Set, 50 lb", 1.6, "The rapid-set formula can take foot traffic in about an hour."),
                ],
                items: &[
                    it(
                        "Concrete Mix",
                        7.0,
                        0.3,
                        "A high-strength concrete mix for footings, slabs, steps and setting posts.",
                    ),
                    it("Mortar Mix", 9.0, 0.31, "A Type N mortar mix for laying brick, block and stone above grade."),
                    it(
                        "Fast-Setting Post Concrete",
                        9.0,
                        0.32,
                        "A fast-setting concrete that sets fence and mailbox posts without mixing.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Electrical",
        code: "EL",
        season: [1.1, 1.0, 0.95, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95, 1.1, 1.35, 1.5],
        types: &[
            ProductType {
                name: "Wire & Cable",
                variants: &[
                    v("25 ft", 0.4, "Cut to 25 feet."),
                    v("50 ft", 0.7, "Cut to 50 feet."),
                    v("100 ft", 1.0, "On a 100-foot coil."),
                    v("250 ft", 2.2, "On a 250-foot contractor coil."),
                ],
                items: &[
                    it(
                        "14/2 NM-B Cable",
                        68.0,
                        0.3,
                        "Non-metallic sheathed 14/2 copper cable with ground for 15-amp residential circuits.",
                    ),
                    it(
                        "12/2 NM-B Cable",
                        92.0,
                        0.3,
                        "Non-metallic sheathed 12/2 copper cable with ground for 20-amp kitchen and bath circuits.",
                    ),
                    it(
                        "Outdoor Extension Cord",
                        39.0,
                        0.42,
                        "A 12-gauge outdoor extension cord with a lighted end and weather-resistant jacket.",
                    ),
                ],
            },
            ProductType {
                name: "Switches & Outlets",
                variants: &[
                    v("White", 1.0, "In white."),
                    v("Light Almond", 1.0, "In light almond."),
                    v("Black", 1.1, "In black."),
                    v("White, 10-Pack", 8.0, "In white, sold as a contractor 10-pack."),
                ],
                items: &[
                    it(
                        "GFCI Outlet",
                        22.0,
                        0.44,
                        "A 20-amp self-testing GFCI outlet required near water in kitchens, baths and outdoors.",
                    ),
                    it(
                        "Smart Dimmer Switch",
                        39.0,
                        0.4,
                        "A Wi-Fi smart dimmer that works with voice assistants and schedules, no hub required.",
                    ),
                    it(
                        "USB-C Charging Outlet",
                        29.0,
                        0.42,
                        "A tamper-resistant duplex outlet with built-in USB-A and USB-C fast charging ports.",
                    ),
                ],
            },
            ProductType {
                name: "Lighting",
                variants: &[
                    v("Soft White", 1.0, "In a 2700K soft white color."),
                    v("Daylight", 1.0, "In a 5000K daylight color."),
                    v("Color-Changing Smart", 1.9, "The smart version changes color and dims from a phone app."),
                    v("4-Pack", 3.2, "Sold in a pack of four."),
                ],
                items: &[
                    it(
                        "LED A19 Bulb",
                        6.0,
                        0.5,
                        "A 60-watt-equivalent LED A19 bulb that uses 9 watts and lasts about 15,000 hours.",
                    ),
                    it(
                        "LED Shop Light",
                        34.0,
                        0.42,
                        "A 4-foot linkable LED shop light for garages, basements and workbenches.",
                    ),
                    it(
                        "LED Recessed Retrofit",
                        14.0,
                        0.46,
                        "A 6-inch LED retrofit trim that upgrades old recessed cans in minutes.",
                    ),
                ],
            },
            ProductType {
                name: "Boxes & Breakers",
                variants: &[
                    v("Single", 1.0, "Sold individually."),
                    v("5-Pack", 4.4, "Sold in a pack of five."),
                    v("Weatherproof", 1.6, "The weatherproof version has a gasketed cover for outdoor use."),
                    v("Old-Work", 1.1, "The old-work version mounts in existing walls without a stud."),
                ],
                items: &[
                    it(
                        "Single-Gang Electrical Box",
                        3.0,
                        0.55,
                        "A single-gang PVC electrical box with captive nails for new construction.",
                    ),
                    it(
                        "20-Amp Circuit Breaker",
                        12.0,
                        0.42,
                        "A 20-amp single-pole plug-on circuit breaker for standard residential panels.",
                    ),
                    it(
                        "Outdoor Timer Switch",
                        24.0,
                        0.45,
                        "A weatherproof plug-in timer with dusk-to-dawn sensing for holiday lights and landscape lighting.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Plumbing",
        code: "PL",
        season: [1.25, 1.15, 1.0, 0.95, 0.95, 0.9, 0.9, 0.9, 0.95, 1.0, 1.1, 1.2],
        types: &[
            ProductType {
                name: "Pipe & Fittings",
                variants: &[
                    v("1/2 in", 1.0, "In the 1/2-inch size."),
                    v("3/4 in", 1.35, "In the 3/4-inch size."),
                    v("1 in", 1.8, "In the 1-inch size."),
                    v("1/2 in, 10-Pack", 8.0, "In the 1/2-inch size, sold as a 10-pack."),
                ],
                items: &[
                    it(
                        "PEX Tubing, 100 ft",
                        39.0,
                        0.34,
                        "Flexible PEX-B tubing for hot and cold supply lines that bends around corners without fittings.",
                    ),
                    it(
                        "Copper Pipe, 10 ft",
                        28.0,
                        0.28,
                        "Type M copper pipe for residential water supply, ready to sweat or push-fit.",
                    ),
                    it(
                        "Push-Fit Coupling",
                        9.0,
                        0.5,
                        "A brass push-to-connect coupling that joins copper, PEX and CPVC without solder or tools.",
                    ),
                ],
            },
            ProductType {
                name: "Faucets",
                variants: &[
                    v("Chrome", 1.0, "Finished in polished chrome."),
                    v("Brushed Nickel", 1.15, "Finished in brushed nickel."),
                    v("Matte Black", 1.2, "Finished in matte black."),
                    v("Stainless", 1.1, "Finished in spot-resistant stainless."),
                ],
                items: &[
                    it(
                        "Pull-Down Kitchen Faucet",
                        149.0,
                        0.38,
                        "A single-handle pull-down kitchen faucet with a magnetic docking spray head and ceramic cartridge.",
                    ),
                    it(
                        "Widespread Bathroom Faucet",
                        119.0,
                        0.39,
                        "A two-handle widespread bathroom faucet with a pop-up drain and drip-free valves.",
                    ),
                    it(
                        "Single-Handle Shower Trim Kit",
                        99.0,
                        0.4,
                        "A pressure-balanced shower trim kit with a rain showerhead that prevents scalding.",
                    ),
                ],
            },
            ProductType {
                name: "Water Heaters & Pumps",
                variants: &[
                    v("Standard", 1.0, "The standard model."),
                    v("High-Efficiency", 1.35, "The high-efficiency model lowers running costs."),
                    v("Pro", 1.6, "The Pro model has a longer warranty and commercial-grade parts."),
                    v("With Install Kit", 1.15, "Sold with a connection and install kit."),
                ],
                items: &[
                    it(
                        "Tankless Water Heater",
                        549.0,
                        0.3,
                        "A whole-home electric tankless water heater that delivers endless hot water on demand.",
                    ),
                    it(
                        "Sump Pump",
                        159.0,
                        0.33,
                        "A 1/3 HP submersible sump pump with a vertical float switch to keep basements dry.",
                    ),
                    it(
                        "Water Heater Expansion Tank",
                        49.0,
                        0.38,
                        "A 2-gallon thermal expansion tank that protects water heaters and pipes from pressure spikes.",
                    ),
                ],
            },
            ProductType {
                name: "Toilets & Repair",
                variants: &[
                    v("Standard", 1.0, "The standard version."),
                    v("Universal", 1.1, "The universal version fits most two-piece toilets."),
                    v("Pro Pack", 1.8, "The Pro Pack includes spare seals and hardware."),
                    v("Water-Saving", 1.2, "The water-saving version reduces use per flush."),
                ],
                items: &[
                    it(
                        "Toilet Fill Valve",
                        14.0,
                        0.5,
                        "An adjustable toilet fill valve that refills quietly and stops running toilets.",
                    ),
                    it(
                        "Wax Ring Kit",
                        8.0,
                        0.55,
                        "A reinforced wax ring with closet bolts that seals a toilet to the floor flange.",
                    ),
                    it(
                        "Toilet Auger",
                        29.0,
                        0.45,
                        "A 3-foot toilet auger with a vinyl guard that clears clogs without scratching porcelain.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Garden & Outdoor",
        code: "GO",
        season: [0.35, 0.45, 0.9, 1.6, 1.9, 1.8, 1.55, 1.25, 0.95, 0.7, 0.45, 0.45],
        types: &[
            ProductType {
                name: "Lawn Care",
                variants: &[
                    v("Small", 0.6, "The small size covers up to 1,000 square feet."),
                    v("Standard", 1.0, "The standard size covers up to 5,000 square feet."),
                    v("Large", 1.7, "The large size covers up to 10,000 square feet."),
                    v("Organic", 1.25, "The organic formula is safe around kids and pets."),
                ],
                items: &[
                    it(
                        "Lawn Fertilizer",
                        29.0,
                        0.4,
                        "A slow-release lawn fertilizer that greens grass for up to eight weeks.",
                    ),
                    it(
                        "Grass Seed, Northwest Blend",
                        39.0,
                        0.42,
                        "A Pacific Northwest blend of perennial ryegrass and fine fescue for sun and shade.",
                    ),
                    it(
                        "Moss Control Granules",
                        24.0,
                        0.43,
                        "Moss control granules that clear moss from lawns in damp, shady Northwest yards.",
                    ),
                ],
            },
            ProductType {
                name: "Garden Tools",
                variants: TOOL_TIERS,
                items: &[
                    it(
                        "Round-Point Shovel",
                        32.0,
                        0.44,
                        "A round-point digging shovel with a tempered steel blade and a fiberglass handle.",
                    ),
                    it(
                        "Bypass Pruning Shears",
                        22.0,
                        0.47,
                        "Bypass pruning shears with hardened steel blades for clean cuts on live stems up to 3/4 inch.",
                    ),
                    it(
                        "Garden Hose",
                        34.0,
                        0.45,
                        "A 50-foot kink-resistant rubber garden hose with crush-proof brass fittings.",
                    ),
                ],
            },
            ProductType {
                name: "Outdoor Power Equipment",
                variants: &[
                    v("Tool Only", 1.0, "Sold as the bare tool for owners of a 40V battery."),
                    v("Kit", 1.5, "The kit includes a 40V battery and charger."),
                    v("Gas", 1.2, "This gas-powered model suits large properties."),
                    v("Pro Kit", 2.0, "The Pro Kit adds a second battery and a brushless motor."),
                ],
                items: &[
                    it(
                        "Cordless Lawn Mower",
                        299.0,
                        0.3,
                        "A 21-inch self-propelled mower with mulching, bagging and side discharge.",
                    ),
                    it(
                        "String Trimmer",
                        129.0,
                        0.33,
                        "A string trimmer with automatic line feed and a pivoting head for edging.",
                    ),
                    it(
                        "Leaf Blower",
                        139.0,
                        0.33,
                        "A handheld leaf blower with variable speed and a turbo boost for wet leaves.",
                    ),
                ],
            },
            ProductType {
                name: "Patio & Grilling",
                variants: &[
                    v("Black", 1.0, "Finished in black."),
                    v("Stainless", 1.3, "Finished in stainless steel."),
                    v("Deluxe", 1.6, "The deluxe model adds a cover and accessory kit."),
                    v("Compact", 0.7, "The compact model fits balconies and small patios."),
                ],
                items: &[
                    it(
                        "Propane Gas Grill",
                        399.0,
                        0.31,
                        "A three-burner propane grill with porcelain-coated grates and a side burner.",
                    ),
                    it(
                        "Fire Pit",
                        149.0,
                        0.36,
                        "A steel wood-burning fire pit with a spark screen and poker for backyard evenings.",
                    ),
                    it(
                        "Solar Path Lights, 6-Pack",
                        39.0,
                        0.45,
                        "Solar path lights that charge by day and light walkways automatically at dusk.",
                    ),
                ],
            },
        ],
    },
    Category {
        name: "Storage & Organization",
        code: "SO",
        season: [1.35, 1.1, 1.05, 1.0, 0.95, 0.9, 0.9, 0.95, 1.05, 1.0, 0.95, 1.1],
        types: &[
            ProductType {
                name: "Garage Storage",
                variants: &[
                    v("Small", 0.6, "The small size fits narrow walls and closets."),
                    v("Medium", 1.0, "The medium size suits most garages."),
                    v("Large", 1.5, "The large size holds the most gear."),
                    v("Heavy-Duty", 1.8, "The heavy-duty version is rated for double the load."),
                ],
                items: &[
                    it(
                        "Steel Shelving Unit",
                        89.0,
                        0.36,
                        "A boltless five-shelf steel shelving unit that assembles in minutes with a rubber mallet.",
                    ),
                    it(
                        "Wall-Mounted Track System",
                        69.0,
                        0.4,
                        "A wall-mounted track system with hooks and baskets that adjusts as storage needs change.",
                    ),
                    it(
                        "Overhead Ceiling Rack",
                        149.0,
                        0.35,
                        "An adjustable overhead rack that stores bins and seasonal items above the garage door.",
                    ),
                ],
            },
            ProductType {
                name: "Tool Storage",
                variants: &[
                    v("Compact", 0.7, "The compact size fits a truck or small shop."),
                    v("Standard", 1.0, "The standard size."),
                    v("Pro", 1.6, "The Pro version has ball-bearing slides and a keyed lock."),
                    v("Combo", 2.3, "The combo pairs the unit with a matching top chest."),
                ],
                items: &[
                    it(
                        "Rolling Tool Chest",
                        299.0,
                        0.34,
                        "A rolling tool chest with soft-close drawers, locking casters and a power strip.",
                    ),
                    it(
                        "Portable Tool Box",
                        39.0,
                        0.43,
                        "A 22-inch portable tool box with a removable tray and weather-sealed lid.",
                    ),
                    it(
                        "Modular Stackable Organizer",
                        59.0,
                        0.42,
                        "Stackable organizers that click together with removable bins for screws and bits.",
                    ),
                ],
            },
            ProductType {
                name: "Bins & Totes",
                variants: &[
                    v("18 Gallon", 1.0, "In an 18-gallon size."),
                    v("27 Gallon", 1.4, "In a 27-gallon size."),
                    v("4-Pack", 3.4, "Sold in a pack of four."),
                    v("Clear", 1.1, "In clear plastic, so contents are visible."),
                ],
                items: &[
                    it(
                        "Heavy-Duty Storage Tote",
                        14.0,
                        0.48,
                        "A heavy-duty storage tote with a snap-tight lid that stacks securely when full.",
                    ),
                    it(
                        "Latching Storage Bin",
                        12.0,
                        0.5,
                        "A latching storage bin with built-in handles for closets, basements and attics.",
                    ),
                    it(
                        "Weathertight Tote",
                        19.0,
                        0.47,
                        "A gasketed weathertight tote that keeps dust and moisture out of stored gear.",
                    ),
                ],
            },
            ProductType {
                name: "Closet Organization",
                variants: &[
                    v("White", 1.0, "In white."),
                    v("Espresso", 1.1, "In an espresso finish."),
                    v("Gray Oak", 1.1, "In a gray oak finish."),
                    v("Deluxe Kit", 2.2, "The deluxe kit adds drawers and a shoe rack."),
                ],
                items: &[
                    it(
                        "Wire Closet Shelf Kit",
                        59.0,
                        0.4,
                        "An adjustable ventilated wire shelf kit that doubles hanging space in reach-in closets.",
                    ),
                    it(
                        "Closet Organizer Tower",
                        129.0,
                        0.37,
                        "A laminate closet tower with shelves and a hanging rod that fits 5- to 8-foot closets.",
                    ),
                    it(
                        "Over-the-Door Rack",
                        24.0,
                        0.46,
                        "An over-the-door rack with eight baskets for pantry items, shoes or cleaning supplies.",
                    ),
                ],
            },
        ],
    },
];

fn price_cents(dollars: f64) -> i64 {
    // Retail prices end in 9 cents: $22.00 × 1.45 = $31.90 → $31.89; never below $0.99.
    let cents = (dollars * 100.0).round() as i64;
    (cents - cents.rem_euclid(10) - 1).max(99)
}

/// All product types, in catalog order, with their category index.
pub fn product_types() -> Vec<TypeRow> {
    let mut out = Vec::new();
    for (ci, c) in CATEGORIES.iter().enumerate() {
        for t in c.types {
            out.push(TypeRow {
                id: uuid_from_name("zava-type", &format!("{}/{}", c.name, t.name)),
                category: ci,
                name: t.name,
            });
        }
    }
    out
}

/// All products, in catalog order.
pub fn products() -> Vec<Product> {
    let mut out = Vec::new();
    for (ci, c) in CATEGORIES.iter().enumerate() {
        for (ti, t) in c.types.iter().enumerate() {
            let type_id = uuid_from_name("zava-type", &format!("{}/{}", c.name, t.name));
            for (ii, item) in t.items.iter().enumerate() {
                for (vi, var) in t.variants.iter().enumerate() {
                    let sku = format!("{}-{}{}{:02}", c.code, ti + 1, ii + 1, vi + 1);
                    let price = price_cents(item.price * var.price_factor);
                    let cost = ((price as f64) * (1.0 - item.margin)).round() as i64;
                    // A long tail: the first item of a type and the standard variants sell most.
                    let popularity = 1.0 / (1.0 + ii as f64 * 0.6) * [1.0, 1.3, 0.7, 0.35][vi % 4];
                    out.push(Product {
                        id: uuid_from_name("zava-product", &sku),
                        name: format!("{}, {}", item.name, var.label),
                        description: format!("{} {}", item.description, var.blurb),
                        sku,
                        category: ci,
                        type_id,
                        price_cents: price,
                        cost_cents: cost,
                        popularity,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalog_shape() {
        assert_eq!(STORES.len(), 8);
        assert_eq!(STORES.iter().filter(|s| s.is_online).count(), 1);
        assert_eq!(CATEGORIES.len(), 9);
        let ps = products();
        assert!(ps.len() >= 400, "{} products", ps.len());
        let names: HashSet<_> = ps.iter().map(|p| p.name.as_str()).collect();
        let skus: HashSet<_> = ps.iter().map(|p| p.sku.as_str()).collect();
        let descs: HashSet<_> = ps.iter().map(|p| p.description.as_str()).collect();
        let ids: HashSet<_> = ps.iter().map(|p| p.id).collect();
        assert_eq!(names.len(), ps.len(), "product names are distinct");
        assert_eq!(skus.len(), ps.len(), "SKUs are distinct");
        assert_eq!(descs.len(), ps.len(), "descriptions are distinct");
        assert_eq!(ids.len(), ps.len(), "ids are distinct");
        let type_ids: HashSet<_> = product_types().iter().map(|t| t.id).collect();
        assert_eq!(type_ids.len(), 36);
    }

    #[test]
    fn prices_are_sane() {
        for p in products() {
            assert!(p.price_cents >= 99, "{} costs {}", p.name, p.price_cents);
            assert_eq!(p.price_cents % 10, 9, "{} ends in 9 cents", p.name);
            assert!(p.cost_cents > 0 && p.cost_cents < p.price_cents, "{} has a positive margin", p.name);
        }
        assert_eq!(price_cents(22.0 * 1.45), 3189);
        assert_eq!(price_cents(0.3), 99);
    }

    #[test]
    fn store_ids_are_the_documented_ones() {
        assert_eq!(crate::rng::uuid_text(&STORES[0].id), "5a0a0000-0000-4000-8000-000000000001");
        assert_eq!(crate::rng::uuid_text(&STORES[7].id), "5a0a0000-0000-4000-8000-000000000008");
        assert_eq!(crate::rng::uuid_text(&category_id(9)), "ca7e0000-0000-4000-8000-000000000009");
    }
}
