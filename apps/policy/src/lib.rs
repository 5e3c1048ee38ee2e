//! Access control: the one place that decides who may do what.
//!
//! The Casbin model and the role templates live in `policies/` (reviewed in
//! git); grants made at run time come from the database. [`Authorizer`]
//! holds both, split into small enforcers so a decision evaluates only the
//! lines that could apply: the caller's role, and the caller's own grants.

mod action;
mod attributes;
mod authorizer;
mod files;
mod grant;
mod lines;
mod partition;
mod reads;
mod remembered;
mod role;
mod scope;

pub use action::{Action, ObjectKind};
pub use attributes::{Resource, Subject};
pub use authorizer::{Authorizer, Decision, now};
pub use files::{PolicyFiles, PolicyFilesError};
pub use grant::{Grant, GrantEffect, GrantKind, GrantTarget};
pub use role::Role;
pub use scope::{Scope, ScopeProbe};

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Files(#[from] PolicyFilesError),
    #[error("the access model could not be built: {0}")]
    Casbin(String),
}

impl From<casbin::Error> for PolicyError {
    fn from(e: casbin::Error) -> Self {
        PolicyError::Casbin(e.to_string())
    }
}

#[cfg(test)]
mod tests;
