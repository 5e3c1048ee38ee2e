//! Training institutions' applications: who applied, with what
//! qualification, and the provincial admin's decision. The institution's
//! account changes role when it is approved, in the same transaction.

use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ConnectionTrait, DeriveIden, FromQueryResult, TransactionTrait,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{
    Databases, InsertError, NewAccount, StorageError,
    accounts::{insert_account_in, insert_returning_id, now, set_role_in},
};

#[derive(DeriveIden, Clone, Copy)]
enum Institutions {
    Table,
    Id,
    TenantSlug,
    Uscc,
    Name,
    LicenceNo,
    TrainingScope,
    AccountId,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    CreatedAt,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct InstitutionRow {
    pub id: i32,
    pub tenant_slug: String,
    pub uscc: String,
    pub name: String,
    /// The training licence or filing number it applied with.
    pub licence_no: String,
    /// What it trains for, in its own words.
    pub training_scope: String,
    pub account_id: i32,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// What an application is made of.
pub struct NewInstitution<'a> {
    pub tenant: &'a str,
    pub uscc: &'a str,
    pub name: &'a str,
    pub licence_no: &'a str,
    pub training_scope: &'a str,
}

const COLUMNS: [Institutions; 12] = [
    Institutions::Id,
    Institutions::TenantSlug,
    Institutions::Uscc,
    Institutions::Name,
    Institutions::LicenceNo,
    Institutions::TrainingScope,
    Institutions::AccountId,
    Institutions::Status,
    Institutions::DecidedBy,
    Institutions::DecidedAt,
    Institutions::DecisionReason,
    Institutions::CreatedAt,
];

impl Databases {
    /// An application and the applicant's account, together or not at all.
    pub async fn insert_institution(
        &self,
        i: &NewInstitution<'_>,
        account: &NewAccount,
    ) -> Result<(i32, i32), InsertError> {
        let p = self.platform();
        let txn = p.conn.begin().await.map_err(StorageError::from)?;
        let account_id = insert_account_in(&txn, &p, account).await?;
        let insert = Query::insert()
            .into_table(p.table(Institutions::Table))
            .columns([
                Institutions::TenantSlug,
                Institutions::Uscc,
                Institutions::Name,
                Institutions::LicenceNo,
                Institutions::TrainingScope,
                Institutions::AccountId,
                Institutions::Status,
                Institutions::CreatedAt,
            ])
            .values_panic([
                i.tenant.into(),
                i.uscc.into(),
                i.name.into(),
                i.licence_no.into(),
                i.training_scope.into(),
                account_id.into(),
                "pending".into(),
                now().into(),
            ])
            .to_owned();
        let id = insert_returning_id(&txn, insert, Institutions::Id).await?;
        txn.commit().await.map_err(StorageError::from)?;
        Ok((id, account_id))
    }

    pub async fn institution(&self, id: i32) -> Result<Option<InstitutionRow>, StorageError> {
        self.institution_where(Expr::col(Institutions::Id).eq(id)).await
    }

    pub async fn institution_of_account(&self, account_id: i32) -> Result<Option<InstitutionRow>, StorageError> {
        self.institution_where(Expr::col(Institutions::AccountId).eq(account_id)).await
    }

    async fn institution_where(
        &self,
        cond: sea_orm::sea_query::SimpleExpr,
    ) -> Result<Option<InstitutionRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select().columns(COLUMNS).from(p.table(Institutions::Table)).and_where(cond).to_owned();
        Ok(InstitutionRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    /// A province's applications, optionally in one state, oldest first.
    pub async fn institutions(&self, tenant: &str, status: Option<&str>) -> Result<Vec<InstitutionRow>, StorageError> {
        let p = self.platform();
        let mut stmt = Query::select()
            .columns(COLUMNS)
            .from(p.table(Institutions::Table))
            .and_where(Expr::col(Institutions::TenantSlug).eq(tenant))
            .order_by(Institutions::Id, Order::Asc)
            .limit(500)
            .to_owned();
        if let Some(status) = status {
            stmt.and_where(Expr::col(Institutions::Status).eq(status));
        }
        Ok(InstitutionRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// Records the decision on a pending application and gives its account
    /// `role`; false when it was no longer pending.
    pub async fn decide_institution(
        &self,
        id: i32,
        status: &str,
        decided_by: i32,
        reason: &str,
        account_id: i32,
        role: &str,
    ) -> Result<bool, StorageError> {
        let p = self.platform();
        let txn = p.conn.begin().await?;
        let update = Query::update()
            .table(p.table(Institutions::Table))
            .values([
                (Institutions::Status, status.into()),
                (Institutions::DecidedBy, decided_by.into()),
                (Institutions::DecidedAt, now().into()),
                (Institutions::DecisionReason, reason.into()),
            ])
            .and_where(Expr::col(Institutions::Id).eq(id))
            .and_where(Expr::col(Institutions::Status).eq("pending"))
            .to_owned();
        if txn.execute(&update).await?.rows_affected() != 1 {
            return Ok(false);
        }
        set_role_in(&txn, &p, account_id, role).await?;
        txn.commit().await?;
        Ok(true)
    }
}
