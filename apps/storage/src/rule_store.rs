//! Rule versions and their activations, in the platform database. The
//! active version of a tenant is the target of its latest activation.

use chrono::{DateTime, FixedOffset, Utc};
use safecert_domain::TenantSlug;
use sea_orm::{
    ConnectionTrait, FromQueryResult, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, Order, Query},
};

use crate::{
    Backend, Databases, StorageError,
    schema::{RuleActivations, RuleVersions},
};

/// A version's columns, in the order rows are written and read.
const VERSION_COLUMNS: [RuleVersions; 8] = [
    RuleVersions::TenantSlug,
    RuleVersions::Version,
    RuleVersions::Script,
    RuleVersions::Data,
    RuleVersions::Note,
    RuleVersions::UploadedBy,
    RuleVersions::UploadedAt,
    RuleVersions::Report,
];

/// An activation's columns besides its id.
const ACTIVATION_COLUMNS: [RuleActivations; 6] = [
    RuleActivations::TenantSlug,
    RuleActivations::FromVersion,
    RuleActivations::ToVersion,
    RuleActivations::Actor,
    RuleActivations::Reason,
    RuleActivations::At,
];

/// An uploaded version as stored.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct RuleVersionRow {
    pub tenant_slug: String,
    pub version: String,
    pub script: String,
    pub data: String,
    pub note: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<FixedOffset>,
    /// The check it passed: test results and dry run.
    pub report: serde_json::Value,
}

/// One activation or rollback.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct ActivationRow {
    pub id: i32,
    pub tenant_slug: String,
    pub from_version: String,
    pub to_version: String,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<FixedOffset>,
}

/// An activation that lost a race: the tenant's version changed since the
/// caller looked.
#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    #[error("the active version is {current}, not {expected}; reload and try again")]
    Conflict { expected: String, current: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sea_orm::DbErr> for ActivateError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Storage(e.into())
    }
}

/// Serializes rule changes of one tenant across replicas (PostgreSQL).
/// A slug is lower-case letters only, so it can stand in the statement.
async fn lock_tenant_rules(txn: &sea_orm::DatabaseTransaction, tenant: &TenantSlug) -> Result<(), StorageError> {
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock(hashtext('rules:{tenant}'))")).await?;
    Ok(())
}

impl Databases {
    /// Stores a checked version under the next free name (`v1`, `v2`, …)
    /// and returns that name.
    pub async fn save_rule_version(
        &self,
        tenant: &TenantSlug,
        script: &str,
        data: &str,
        note: &str,
        uploaded_by: &str,
        report: serde_json::Value,
    ) -> Result<String, StorageError> {
        let platform = self.platform();
        let txn = platform.conn.begin().await?;
        if self.backend() == Backend::Postgres {
            lock_tenant_rules(&txn, tenant).await?;
        }
        let count = Query::select()
            .expr_as(Func::count(Expr::col(RuleVersions::Id)), "n")
            .from(platform.table(RuleVersions::Table))
            .and_where(Expr::col(RuleVersions::TenantSlug).eq(tenant.as_str()))
            .to_owned();
        let n: i64 = match txn.query_one(&count).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        let version = format!("v{}", n + 1);
        let insert = Query::insert()
            .into_table(platform.table(RuleVersions::Table))
            .columns(VERSION_COLUMNS)
            .values([
                tenant.as_str().into(),
                version.clone().into(),
                script.into(),
                data.into(),
                note.into(),
                uploaded_by.into(),
                Utc::now().fixed_offset().into(),
                report.into(),
            ])
            .map_err(|e| StorageError::Corrupt(e.to_string()))?
            .to_owned();
        txn.execute(&insert).await?;
        txn.commit().await?;
        Ok(version)
    }

    pub async fn rule_version(&self, tenant: &str, version: &str) -> Result<Option<RuleVersionRow>, StorageError> {
        let platform = self.platform();
        let stmt = Query::select()
            .columns(VERSION_COLUMNS)
            .from(platform.table(RuleVersions::Table))
            .and_where(Expr::col(RuleVersions::TenantSlug).eq(tenant))
            .and_where(Expr::col(RuleVersions::Version).eq(version))
            .to_owned();
        let backend = platform.conn.get_database_backend();
        Ok(RuleVersionRow::find_by_statement(backend.build(&stmt)).one(&platform.conn).await?)
    }

    /// The versions of a tenant, oldest first, without their texts.
    pub async fn rule_versions(&self, tenant: &str) -> Result<Vec<RuleVersionRow>, StorageError> {
        let platform = self.platform();
        let stmt = Query::select()
            .columns([
                RuleVersions::TenantSlug,
                RuleVersions::Version,
                RuleVersions::Note,
                RuleVersions::UploadedBy,
                RuleVersions::UploadedAt,
                RuleVersions::Report,
            ])
            .expr_as(Expr::val(""), "script")
            .expr_as(Expr::val(""), "data")
            .from(platform.table(RuleVersions::Table))
            .and_where(Expr::col(RuleVersions::TenantSlug).eq(tenant))
            .order_by(RuleVersions::Id, Order::Asc)
            .to_owned();
        let backend = platform.conn.get_database_backend();
        Ok(RuleVersionRow::find_by_statement(backend.build(&stmt)).all(&platform.conn).await?)
    }

    /// Activations, newest first: of one tenant, or of all with ids above
    /// `after` (what other replicas have not applied yet).
    pub async fn rule_activations(&self, tenant: Option<&str>, after: i32) -> Result<Vec<ActivationRow>, StorageError> {
        let platform = self.platform();
        let mut stmt = Query::select()
            .column(RuleActivations::Id)
            .columns(ACTIVATION_COLUMNS)
            .from(platform.table(RuleActivations::Table))
            .and_where(Expr::col(RuleActivations::Id).gt(after))
            .order_by(RuleActivations::Id, Order::Desc)
            .to_owned();
        if let Some(tenant) = tenant {
            stmt.and_where(Expr::col(RuleActivations::TenantSlug).eq(tenant));
        }
        let backend = platform.conn.get_database_backend();
        Ok(ActivationRow::find_by_statement(backend.build(&stmt)).all(&platform.conn).await?)
    }

    /// The newest activation id, 0 when there is none.
    pub async fn last_rule_activation(&self) -> Result<i32, StorageError> {
        let platform = self.platform();
        let stmt = Query::select()
            .expr_as(Func::max(Expr::col(RuleActivations::Id)), "n")
            .from(platform.table(RuleActivations::Table))
            .to_owned();
        Ok(match platform.conn.query_one(&stmt).await? {
            Some(row) => row.try_get::<Option<i32>>("", "n")?.unwrap_or(0),
            None => 0,
        })
    }

    /// Records that `tenant` now runs `to`, provided it runs `expected`
    /// (`baseline` when never activated). One row, one transaction: the
    /// activation happened or it didn't.
    pub async fn activate_rule_version(
        &self,
        tenant: &TenantSlug,
        expected: &str,
        to: &str,
        actor: &str,
        reason: &str,
    ) -> Result<ActivationRow, ActivateError> {
        let platform = self.platform();
        let txn = platform.conn.begin().await?;
        if self.backend() == Backend::Postgres {
            lock_tenant_rules(&txn, tenant).await?;
        }
        let latest = Query::select()
            .column(RuleActivations::ToVersion)
            .from(platform.table(RuleActivations::Table))
            .and_where(Expr::col(RuleActivations::TenantSlug).eq(tenant.as_str()))
            .order_by(RuleActivations::Id, Order::Desc)
            .limit(1)
            .to_owned();
        let current: String = match txn.query_one(&latest).await? {
            Some(row) => row.try_get("", "to_version")?,
            None => "baseline".to_owned(),
        };
        if current != expected {
            return Err(ActivateError::Conflict { expected: expected.to_owned(), current });
        }
        let now = Utc::now().fixed_offset();
        let insert = Query::insert()
            .into_table(platform.table(RuleActivations::Table))
            .columns(ACTIVATION_COLUMNS)
            .values([
                tenant.as_str().into(),
                current.clone().into(),
                to.into(),
                actor.into(),
                reason.into(),
                now.into(),
            ])
            .map_err(|e| StorageError::Corrupt(e.to_string()))?
            .returning_col(RuleActivations::Id)
            .to_owned();
        let id: i32 = match txn.query_one(&insert).await? {
            Some(row) => row.try_get("", "id")?,
            None => return Err(StorageError::Corrupt("activation insert returned no id".into()).into()),
        };
        txn.commit().await?;
        Ok(ActivationRow {
            id,
            tenant_slug: tenant.to_string(),
            from_version: current,
            to_version: to.to_owned(),
            actor: actor.to_owned(),
            reason: reason.to_owned(),
            at: now,
        })
    }
}
