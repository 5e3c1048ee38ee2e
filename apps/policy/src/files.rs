//! `policies/`: the model, the role templates and the grant conditions.

use std::{collections::BTreeMap, path::Path};

use crate::{Action, ObjectKind};

/// The policy as reviewed in git.
#[derive(Clone, Debug)]
pub struct PolicyFiles {
    pub model: String,
    /// `p` lines of the role templates: role, domain, object, action,
    /// condition (a name the matcher in model.conf spells out), and for a
    /// line that takes away instead of giving, a sixth field `deny`.
    pub role_lines: Vec<Vec<String>>,
    /// `g` lines: role, inherited role.
    pub inherits: Vec<(String, String)>,
    /// Grant kind → condition.
    pub grant_conditions: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyFilesError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{file}:{line}: {problem}")]
    Line { file: &'static str, line: usize, problem: String },
}

impl PolicyFiles {
    pub fn load(dir: &Path) -> Result<Self, PolicyFilesError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map_err(|source| PolicyFilesError::Read { path: path.display().to_string(), source })
        };
        Self::parse(&read("model.conf")?, &read("roles.csv")?, &read("grants.csv")?)
    }

    pub fn parse(model: &str, roles: &str, grants: &str) -> Result<Self, PolicyFilesError> {
        let mut role_lines = Vec::new();
        let mut inherits = Vec::new();
        for (n, fields) in csv_lines(roles) {
            let bad = |problem: String| PolicyFilesError::Line { file: "roles.csv", line: n, problem };
            match fields.first().map(String::as_str) {
                Some("p") if fields.len() == 6 => {
                    if ObjectKind::parse(&fields[3]).is_none() {
                        return Err(bad(format!("unknown object {:?}", fields[3])));
                    }
                    if Action::parse(&fields[4]).is_none() {
                        return Err(bad(format!("unknown action {:?}", fields[4])));
                    }
                    if !names_condition(model, &fields[5]) {
                        return Err(bad(format!("condition {:?} is not written out in model.conf", fields[5])));
                    }
                    role_lines.push(fields[1..].to_vec());
                }
                Some("g") if fields.len() == 3 => inherits.push((fields[1].clone(), fields[2].clone())),
                _ => {
                    return Err(bad(
                        "expected `p, role, domain, object, action, condition` or `g, role, inherited role`".into(),
                    ));
                }
            }
        }
        let mut grant_conditions = BTreeMap::new();
        for (n, fields) in csv_lines(grants) {
            if fields.len() != 2 {
                return Err(PolicyFilesError::Line {
                    file: "grants.csv",
                    line: n,
                    problem: "expected `kind, condition`".into(),
                });
            }
            if !names_condition(model, &fields[1]) {
                return Err(PolicyFilesError::Line {
                    file: "grants.csv",
                    line: n,
                    problem: format!("condition {:?} is not written out in model.conf", fields[1]),
                });
            }
            grant_conditions.insert(fields[0].clone(), fields[1].clone());
        }
        Ok(Self { model: model.to_owned(), role_lines, inherits, grant_conditions })
    }

    /// Takes an action away from a role (and the roles that inherit it) in
    /// one tenant: how a tenant's setting narrows the role templates, as a
    /// line of the policy like any other.
    pub fn deny_in_tenant(&mut self, role: &str, tenant: &str, object: ObjectKind, action: Action) {
        self.role_lines.push(vec![
            role.to_owned(),
            tenant.to_owned(),
            object.as_str().to_owned(),
            action.as_str().to_owned(),
            "any".to_owned(),
            "deny".to_owned(),
        ]);
    }

    /// The role itself and every role it inherits from.
    pub fn roles_reached_from(&self, role: &str) -> Vec<String> {
        let mut reached = vec![role.to_owned()];
        let mut i = 0;
        while i < reached.len() {
            for (from, to) in &self.inherits {
                if *from == reached[i] && !reached.contains(to) {
                    reached.push(to.clone());
                }
            }
            i += 1;
        }
        reached
    }
}

/// Whether the matcher has a branch for this condition.
fn names_condition(model: &str, name: &str) -> bool {
    model.contains(&format!("p.cond == \"{name}\""))
}

/// Non-empty, non-comment lines split at commas outside double quotes, with
/// their line numbers.
fn csv_lines(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut field).trim().to_owned()),
                c => field.push(c),
            }
        }
        fields.push(field.trim().to_owned());
        Some((i + 1, fields))
    })
}
