//! Access changes: grants made at run time, regulators' requests for
//! another region and their decisions, and the audit log of all of them.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ConnectionTrait, DeriveIden, FromQueryResult, TransactionTrait,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{
    Databases, InsertError, StorageError,
    accounts::{insert_returning_id, now},
    db::Scoped,
};

#[derive(DeriveIden, Clone, Copy)]
enum Grants {
    Table,
    Id,
    AccountId,
    TenantSlug,
    Object,
    Action,
    Kind,
    Target,
    Effect,
    Until,
    GrantedBy,
    Reason,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RegionAccessRequests {
    Table,
    Id,
    TenantSlug,
    RequesterId,
    Region,
    Reason,
    Days,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    TenantSlug,
    Action,
    Subject,
    Detail,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct GrantRow {
    pub id: i32,
    pub account_id: i32,
    pub tenant_slug: String,
    pub object: String,
    pub action: String,
    pub kind: String,
    pub target: String,
    pub effect: String,
    pub until: Option<DateTime<FixedOffset>>,
}

/// What a new grant is.
#[derive(Clone, Debug)]
pub struct NewGrant<'a> {
    pub account_id: i32,
    pub tenant: &'a str,
    pub object: &'a str,
    pub action: &'a str,
    pub kind: &'a str,
    pub target: &'a str,
    pub effect: &'a str,
    pub until: Option<DateTime<Utc>>,
    pub granted_by: i32,
    pub reason: &'a str,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct RegionRequestRow {
    pub id: i32,
    pub tenant_slug: String,
    pub requester_id: i32,
    pub region: String,
    pub reason: String,
    pub days: i32,
    pub status: String,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct AuditRow {
    pub id: i32,
    pub at: DateTime<FixedOffset>,
    pub actor_id: Option<i32>,
    pub tenant_slug: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

const REQUEST_COLUMNS: [RegionAccessRequests; 11] = [
    RegionAccessRequests::Id,
    RegionAccessRequests::TenantSlug,
    RegionAccessRequests::RequesterId,
    RegionAccessRequests::Region,
    RegionAccessRequests::Reason,
    RegionAccessRequests::Days,
    RegionAccessRequests::Status,
    RegionAccessRequests::DecidedBy,
    RegionAccessRequests::DecidedAt,
    RegionAccessRequests::DecisionReason,
    RegionAccessRequests::CreatedAt,
];

pub(crate) async fn insert_grant_in<C: ConnectionTrait>(
    conn: &C,
    p: &Scoped,
    g: &NewGrant<'_>,
) -> Result<i32, InsertError> {
    let insert = Query::insert()
        .into_table(p.table(Grants::Table))
        .columns([
            Grants::AccountId,
            Grants::TenantSlug,
            Grants::Object,
            Grants::Action,
            Grants::Kind,
            Grants::Target,
            Grants::Effect,
            Grants::Until,
            Grants::GrantedBy,
            Grants::Reason,
            Grants::CreatedAt,
        ])
        .values_panic([
            g.account_id.into(),
            g.tenant.into(),
            g.object.into(),
            g.action.into(),
            g.kind.into(),
            g.target.into(),
            g.effect.into(),
            g.until.map(|u| u.fixed_offset()).into(),
            g.granted_by.into(),
            g.reason.into(),
            now().into(),
        ])
        .to_owned();
    insert_returning_id(conn, insert, Grants::Id).await
}

impl Databases {
    pub async fn insert_grant(&self, g: &NewGrant<'_>) -> Result<i32, InsertError> {
        let p = self.platform();
        insert_grant_in(&p.conn, &p, g).await
    }

    /// Several grants, all or none.
    pub async fn insert_grants(&self, grants: &[NewGrant<'_>]) -> Result<(), InsertError> {
        let p = self.platform();
        let txn = p.conn.begin().await.map_err(StorageError::from)?;
        for g in grants {
            insert_grant_in(&txn, &p, g).await?;
        }
        txn.commit().await.map_err(StorageError::from)?;
        Ok(())
    }

    /// Ends every grant in force of one kind and target held by an
    /// account; how many ended.
    pub async fn revoke_grants_of(&self, account_id: i32, kind: &str, target: &str) -> Result<u64, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Grants::Table))
            .value(Grants::RevokedAt, now())
            .and_where(Expr::col(Grants::AccountId).eq(account_id))
            .and_where(Expr::col(Grants::Kind).eq(kind))
            .and_where(Expr::col(Grants::Target).eq(target))
            .and_where(Expr::col(Grants::RevokedAt).is_null())
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected())
    }

    /// Grants in force of one kind, held by an account or naming a target.
    pub async fn grants_of_kind(
        &self,
        kind: &str,
        account_id: Option<i32>,
        target: Option<&str>,
    ) -> Result<Vec<GrantRow>, StorageError> {
        let p = self.platform();
        let mut stmt = Query::select()
            .columns(GRANT_COLUMNS)
            .from(p.table(Grants::Table))
            .and_where(Expr::col(Grants::Kind).eq(kind))
            .and_where(Expr::col(Grants::RevokedAt).is_null())
            .and_where(Expr::col(Grants::Until).is_null().or(Expr::col(Grants::Until).gt(now())))
            .order_by(Grants::Id, Order::Asc)
            .to_owned();
        if let Some(account_id) = account_id {
            stmt.and_where(Expr::col(Grants::AccountId).eq(account_id));
        }
        if let Some(target) = target {
            stmt.and_where(Expr::col(Grants::Target).eq(target));
        }
        Ok(GrantRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// Ends a grant now; false when there was no such grant in force.
    pub async fn revoke_grant(&self, id: i32) -> Result<bool, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Grants::Table))
            .value(Grants::RevokedAt, now())
            .and_where(Expr::col(Grants::Id).eq(id))
            .and_where(Expr::col(Grants::RevokedAt).is_null())
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected() == 1)
    }

    /// Grants in force: not revoked, not ended.
    pub async fn active_grants(&self) -> Result<Vec<GrantRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(GRANT_COLUMNS)
            .from(p.table(Grants::Table))
            .and_where(Expr::col(Grants::RevokedAt).is_null())
            .and_where(Expr::col(Grants::Until).is_null().or(Expr::col(Grants::Until).gt(now())))
            .order_by(Grants::Id, Order::Asc)
            .to_owned();
        Ok(GrantRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    pub async fn grant(&self, id: i32) -> Result<Option<GrantRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(GRANT_COLUMNS)
            .from(p.table(Grants::Table))
            .and_where(Expr::col(Grants::Id).eq(id))
            .and_where(Expr::col(Grants::RevokedAt).is_null())
            .to_owned();
        Ok(GrantRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    /// The newest change to grants (a new id or a revocation), for replicas
    /// to notice.
    pub async fn grants_version(&self) -> Result<(i32, i64), StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .expr_as(Expr::col(Grants::Id).max(), "last")
            .expr_as(Expr::col(Grants::RevokedAt).count(), "revoked")
            .from(p.table(Grants::Table))
            .to_owned();
        let row = p.conn.query_one(&stmt).await?;
        let Some(row) = row else { return Ok((0, 0)) };
        Ok((row.try_get::<Option<i32>>("", "last")?.unwrap_or(0), row.try_get::<i64>("", "revoked")?))
    }

    pub async fn insert_region_request(
        &self,
        tenant: &str,
        requester_id: i32,
        region: &str,
        reason: &str,
        days: i32,
    ) -> Result<i32, InsertError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(RegionAccessRequests::Table))
            .columns([
                RegionAccessRequests::TenantSlug,
                RegionAccessRequests::RequesterId,
                RegionAccessRequests::Region,
                RegionAccessRequests::Reason,
                RegionAccessRequests::Days,
                RegionAccessRequests::Status,
                RegionAccessRequests::CreatedAt,
            ])
            .values_panic([
                tenant.into(),
                requester_id.into(),
                region.into(),
                reason.into(),
                days.into(),
                "pending".into(),
                now().into(),
            ])
            .to_owned();
        insert_returning_id(&p.conn, insert, RegionAccessRequests::Id).await
    }

    pub async fn region_request(&self, id: i32) -> Result<Option<RegionRequestRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(REQUEST_COLUMNS)
            .from(p.table(RegionAccessRequests::Table))
            .and_where(Expr::col(RegionAccessRequests::Id).eq(id))
            .to_owned();
        Ok(RegionRequestRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    pub async fn region_requests(&self, tenant: &str) -> Result<Vec<RegionRequestRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(REQUEST_COLUMNS)
            .from(p.table(RegionAccessRequests::Table))
            .and_where(Expr::col(RegionAccessRequests::TenantSlug).eq(tenant))
            .order_by(RegionAccessRequests::Id, Order::Desc)
            .limit(500)
            .to_owned();
        Ok(RegionRequestRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// Records a decision on a pending request; false when it was no longer
    /// pending (decided by someone else first).
    pub async fn decide_region_request(
        &self,
        id: i32,
        status: &str,
        decided_by: i32,
        reason: &str,
    ) -> Result<bool, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(RegionAccessRequests::Table))
            .value(RegionAccessRequests::Status, status)
            .value(RegionAccessRequests::DecidedBy, decided_by)
            .value(RegionAccessRequests::DecidedAt, now())
            .value(RegionAccessRequests::DecisionReason, reason)
            .and_where(Expr::col(RegionAccessRequests::Id).eq(id))
            .and_where(Expr::col(RegionAccessRequests::Status).eq("pending"))
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected() == 1)
    }

    pub async fn audit(
        &self,
        actor_id: Option<i32>,
        tenant: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), StorageError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(AuditLog::Table))
            .columns([
                AuditLog::At,
                AuditLog::ActorId,
                AuditLog::TenantSlug,
                AuditLog::Action,
                AuditLog::Subject,
                AuditLog::Detail,
            ])
            .values_panic([now().into(), actor_id.into(), tenant.into(), action.into(), subject.into(), detail.into()])
            .to_owned();
        p.conn.execute(&insert).await?;
        Ok(())
    }

    /// The newest audit entries of a tenant.
    pub async fn audit_log(&self, tenant: &str, limit: u64) -> Result<Vec<AuditRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([
                AuditLog::Id,
                AuditLog::At,
                AuditLog::ActorId,
                AuditLog::TenantSlug,
                AuditLog::Action,
                AuditLog::Subject,
                AuditLog::Detail,
            ])
            .from(p.table(AuditLog::Table))
            .and_where(Expr::col(AuditLog::TenantSlug).eq(tenant))
            .order_by(AuditLog::Id, Order::Desc)
            .limit(limit)
            .to_owned();
        Ok(AuditRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }
}

const GRANT_COLUMNS: [Grants; 9] = [
    Grants::Id,
    Grants::AccountId,
    Grants::TenantSlug,
    Grants::Object,
    Grants::Action,
    Grants::Kind,
    Grants::Target,
    Grants::Effect,
    Grants::Until,
];
