//! Which of a resource's attributes a role's lines can read. A line's
//! condition (model.conf's matcher) decides it: `any` reads none of them,
//! `region` only the region, and so on. A remembered answer is kept by
//! what the lines read and nothing more, so a role whose lines read no
//! resource attribute (a platform administrator's `any`) keeps one answer
//! per operation instead of one per certificate.

use crate::Resource;

/// The resource attributes the lines of one role and operation read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reads {
    pub region: bool,
    pub enterprise: bool,
    pub dept: bool,
    pub holder: bool,
}

impl Reads {
    pub(crate) const NONE: Reads = Reads { region: false, enterprise: false, dept: false, holder: false };
    pub(crate) const ALL: Reads = Reads { region: true, enterprise: true, dept: true, holder: true };

    /// What a line with `condition` reads of the resource, as the matcher
    /// in policies/model.conf writes it out. A condition not named here
    /// reads everything, so a new one is never kept by too little.
    pub fn of_condition(condition: &str) -> Self {
        match condition {
            "any" => Self::NONE,
            "own" => Reads { holder: true, ..Self::NONE },
            "enterprise" | "granted_enterprise" => Reads { enterprise: true, ..Self::NONE },
            "department" | "granted_department" => Reads { enterprise: true, dept: true, ..Self::NONE },
            "region" | "region_below" | "granted_region" => Reads { region: true, ..Self::NONE },
            _ => Self::ALL,
        }
    }

    /// What any of `lines` (full policy lines, condition fifth) reads.
    pub fn of_lines(lines: &[Vec<String>]) -> Self {
        lines.iter().fold(Self::NONE, |all, line| {
            let one = line.get(4).map_or(Self::ALL, |c| Self::of_condition(c));
            Reads {
                region: all.region || one.region,
                enterprise: all.enterprise || one.enterprise,
                dept: all.dept || one.dept,
                holder: all.holder || one.holder,
            }
        })
    }

    /// The attributes of `resource` these lines read, in a fixed order;
    /// an attribute not read is left out.
    pub fn of<'r>(&self, resource: &'r Resource) -> impl Iterator<Item = &'r str> {
        [
            (self.region, resource.region.as_str()),
            (self.enterprise, resource.enterprise.as_str()),
            (self.dept, resource.dept.as_str()),
            (self.holder, resource.holder.as_str()),
        ]
        .into_iter()
        .filter_map(|(read, value)| read.then_some(value))
    }
}
