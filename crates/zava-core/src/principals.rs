//! The demo principals: fixed, documented ids (README lists them), so a demo
//! install, a test and an MCP client configuration all name the same people.

use crate::rng::uuid_const;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    HeadOffice,
    RegionalManager,
    StoreManager,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::HeadOffice => "head_office",
            Kind::RegionalManager => "regional_manager",
            Kind::StoreManager => "store_manager",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::HeadOffice, Kind::RegionalManager, Kind::StoreManager].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DemoPrincipal {
    pub id: [u8; 16],
    pub kind: Kind,
    pub name: &'static str,
    /// The login role the demo maps to this principal.
    pub role: &'static str,
    /// Indices into `catalog::STORES` (empty for head office: it sees every store).
    pub stores: &'static [usize],
}

const fn pid(n: u8) -> [u8; 16] {
    let mut id = uuid_const("7a0a0000-0000-4000-8000-000000000000");
    id[15] = n;
    id
}

pub const DEMO_PRINCIPALS: [DemoPrincipal; 10] = [
    DemoPrincipal { id: pid(0x01), kind: Kind::HeadOffice, name: "Head Office", role: "head_office", stores: &[] },
    DemoPrincipal {
        id: pid(0x02),
        kind: Kind::RegionalManager,
        name: "Eastside Regional Manager",
        role: "eastside_manager",
        stores: &[1, 5, 6],
    },
    DemoPrincipal {
        id: pid(0x11),
        kind: Kind::StoreManager,
        name: "Seattle Store Manager",
        role: "seattle_manager",
        stores: &[0],
    },
    DemoPrincipal {
        id: pid(0x12),
        kind: Kind::StoreManager,
        name: "Bellevue Store Manager",
        role: "bellevue_manager",
        stores: &[1],
    },
    DemoPrincipal {
        id: pid(0x13),
        kind: Kind::StoreManager,
        name: "Tacoma Store Manager",
        role: "tacoma_manager",
        stores: &[2],
    },
    DemoPrincipal {
        id: pid(0x14),
        kind: Kind::StoreManager,
        name: "Spokane Store Manager",
        role: "spokane_manager",
        stores: &[3],
    },
    DemoPrincipal {
        id: pid(0x15),
        kind: Kind::StoreManager,
        name: "Everett Store Manager",
        role: "everett_manager",
        stores: &[4],
    },
    DemoPrincipal {
        id: pid(0x16),
        kind: Kind::StoreManager,
        name: "Redmond Store Manager",
        role: "redmond_manager",
        stores: &[5],
    },
    DemoPrincipal {
        id: pid(0x17),
        kind: Kind::StoreManager,
        name: "Kirkland Store Manager",
        role: "kirkland_manager",
        stores: &[6],
    },
    DemoPrincipal {
        id: pid(0x18),
        kind: Kind::StoreManager,
        name: "Online Store Manager",
        role: "online_manager",
        stores: &[7],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::STORES;
    use crate::rng::uuid_text;

    #[test]
    fn demo_principals_are_consistent() {
        assert_eq!(uuid_text(&DEMO_PRINCIPALS[0].id), "7a0a0000-0000-4000-8000-000000000001");
        assert_eq!(uuid_text(&DEMO_PRINCIPALS[2].id), "7a0a0000-0000-4000-8000-000000000011");
        for p in DEMO_PRINCIPALS {
            match p.kind {
                Kind::HeadOffice => assert!(p.stores.is_empty()),
                Kind::StoreManager => {
                    assert_eq!(p.stores.len(), 1);
                    let city = STORES[p.stores[0]].city.to_lowercase();
                    assert_eq!(p.role, format!("{city}_manager"));
                }
                Kind::RegionalManager => assert!(p.stores.len() > 1),
            }
            assert_eq!(Kind::parse(p.kind.as_str()), Some(p.kind));
        }
        assert_eq!(Kind::parse("root"), None);
    }
}
