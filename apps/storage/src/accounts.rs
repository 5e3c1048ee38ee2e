//! Accounts and how they sign in, in the platform database: enterprises
//! and their department trees, accounts, sessions, second-factor
//! challenges, the login log, known devices, and run-time grants.
//! Secrets are stored only as hashes (tokens, codes) or sealed
//! (phone numbers, TOTP keys) by the caller.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ConnectionTrait, DeriveIden, FromQueryResult, TransactionTrait,
    sea_query::{Expr, ExprTrait, Order, Query, SimpleExpr},
};

use crate::{Databases, StorageError, db::Scoped};

#[derive(DeriveIden, Clone, Copy)]
enum Enterprises {
    Table,
    Id,
    Uscc,
    Name,
    TenantSlug,
    RegionCode,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Departments {
    Table,
    Id,
    EnterpriseId,
    ParentId,
    Name,
    Path,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
    Login,
    Role,
    TenantSlug,
    RegionCode,
    EnterpriseId,
    DepartmentId,
    HolderIndex,
    Email,
    PhoneCipher,
    PhoneMasked,
    PasswordHash,
    SecondFactor,
    TotpCipher,
    TotpLastStep,
    FailedSignins,
    LockedUntil,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    AccountId,
    CreatedAt,
    ExpiresAt,
    Ip,
    UserAgent,
    RevokedAt,
    PrivateUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum Challenges {
    Table,
    Id,
    TokenHash,
    AccountId,
    Purpose,
    Method,
    CodeHash,
    Attempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginLog {
    Table,
    AccountId,
    At,
    Ip,
    UserAgent,
    Result,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecoveryCodes {
    Table,
    AccountId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum KnownDevices {
    Table,
    AccountId,
    Fingerprint,
    FirstSeen,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct EnterpriseRow {
    pub id: i32,
    pub uscc: String,
    pub name: String,
    pub tenant_slug: String,
    pub region_code: String,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct DepartmentRow {
    pub id: i32,
    pub enterprise_id: i32,
    pub parent_id: Option<i32>,
    pub name: String,
    /// `/3/7/`: the ids from the root, so a subtree is a prefix.
    pub path: String,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct AccountRow {
    pub id: i32,
    pub login: String,
    pub role: String,
    pub tenant_slug: String,
    pub region_code: Option<String>,
    pub enterprise_id: Option<i32>,
    pub department_id: Option<i32>,
    pub holder_index: Option<String>,
    pub email: Option<String>,
    pub phone_cipher: Option<Vec<u8>>,
    pub phone_masked: Option<String>,
    pub password_hash: String,
    pub second_factor: String,
    pub totp_cipher: Option<Vec<u8>>,
    pub failed_signins: i32,
    pub locked_until: Option<DateTime<FixedOffset>>,
}

/// What a new account is made of.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub login: String,
    pub role: String,
    pub tenant_slug: String,
    pub region_code: Option<String>,
    pub enterprise_id: Option<i32>,
    pub department_id: Option<i32>,
    pub holder_index: Option<String>,
    pub email: Option<String>,
    pub phone_cipher: Option<Vec<u8>>,
    pub phone_masked: Option<String>,
    pub password_hash: String,
    pub second_factor: String,
    pub totp_cipher: Option<Vec<u8>>,
    pub created_by: Option<i32>,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct ChallengeRow {
    pub id: i32,
    pub account_id: i32,
    /// `sign_in` or `reset`: a code opens only what it was sent for.
    pub purpose: String,
    pub method: String,
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: DateTime<FixedOffset>,
    pub used_at: Option<DateTime<FixedOffset>>,
}

/// One sign-in attempt.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct LoginRow {
    pub at: DateTime<FixedOffset>,
    pub ip: String,
    pub user_agent: String,
    /// `ok`, `password_ok`, `bad_password`, `bad_password_locked`,
    /// `locked`, `bad_code`, `stale_code`, `unknown_login`, `reset_…`.
    pub result: String,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct SessionRow {
    pub id: i32,
    pub account_id: i32,
    pub expires_at: DateTime<FixedOffset>,
    pub revoked_at: Option<DateTime<FixedOffset>>,
    /// Until when its certificate queries are not logged.
    pub private_until: Option<DateTime<FixedOffset>>,
}

/// Who manages a new enterprise: its own admin account, or the grants
/// that let an existing account (a subscriber) manage it.
pub enum FirstManager<'a> {
    Admin(&'a NewAccount),
    Grants(&'a [crate::NewGrant<'a>]),
}

/// A row that could not be written because it already exists.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    #[error("already exists")]
    Duplicate,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// For inserts where no key the caller chose can clash: a duplicate there
/// is a fault like any other.
impl From<InsertError> for StorageError {
    fn from(e: InsertError) -> Self {
        match e {
            InsertError::Storage(e) => e,
            InsertError::Duplicate => StorageError::Corrupt("an insert met an unexpected duplicate".into()),
        }
    }
}

impl From<sea_orm::DbErr> for InsertError {
    fn from(e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => InsertError::Duplicate,
            _ => InsertError::Storage(e.into()),
        }
    }
}

pub(crate) fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

/// The columns an account is written with and read back by (reads add its
/// id and lock; writes its creator and time).
const ACCOUNT_COLUMNS: [Accounts; 14] = [
    Accounts::Login,
    Accounts::Role,
    Accounts::TenantSlug,
    Accounts::RegionCode,
    Accounts::EnterpriseId,
    Accounts::DepartmentId,
    Accounts::HolderIndex,
    Accounts::Email,
    Accounts::PhoneCipher,
    Accounts::PhoneMasked,
    Accounts::PasswordHash,
    Accounts::SecondFactor,
    Accounts::TotpCipher,
    Accounts::FailedSignins,
];

pub(crate) async fn insert_returning_id<C: ConnectionTrait>(
    conn: &C,
    mut insert: sea_orm::sea_query::InsertStatement,
    id: impl sea_orm::sea_query::IntoIden,
) -> Result<i32, InsertError> {
    insert.returning_col(id);
    let backend = conn.get_database_backend();
    let row = conn.query_one_raw(backend.build(&insert)).await?;
    row.ok_or_else(|| InsertError::Storage(StorageError::Corrupt("insert returned no id".into())))?
        .try_get_by_index::<i32>(0)
        .map_err(|e| InsertError::Storage(e.into()))
}

const DEPARTMENT_COLUMNS: [Departments; 5] =
    [Departments::Id, Departments::EnterpriseId, Departments::ParentId, Departments::Name, Departments::Path];

const ENTERPRISE_COLUMNS: [Enterprises; 5] =
    [Enterprises::Id, Enterprises::Uscc, Enterprises::Name, Enterprises::TenantSlug, Enterprises::RegionCode];

impl Databases {
    /// An enterprise and who manages it, together or not at all.
    pub async fn insert_enterprise(
        &self,
        uscc: &str,
        name: &str,
        tenant: &str,
        region: &str,
        manager: FirstManager<'_>,
    ) -> Result<(i32, Option<i32>), InsertError> {
        let p = self.platform();
        let txn = p.conn.begin().await.map_err(StorageError::from)?;
        let insert = Query::insert()
            .into_table(p.table(Enterprises::Table))
            .columns([
                Enterprises::Uscc,
                Enterprises::Name,
                Enterprises::TenantSlug,
                Enterprises::RegionCode,
                Enterprises::CreatedAt,
            ])
            .values_panic([uscc.into(), name.into(), tenant.into(), region.into(), now().into()])
            .to_owned();
        let enterprise_id = insert_returning_id(&txn, insert, Enterprises::Id).await?;
        let account_id = match manager {
            FirstManager::Admin(admin) => {
                let admin = NewAccount { enterprise_id: Some(enterprise_id), ..admin.clone() };
                Some(insert_account_in(&txn, &p, &admin).await?)
            }
            FirstManager::Grants(grants) => {
                for g in grants {
                    crate::access::insert_grant_in(&txn, &p, g).await?;
                }
                None
            }
        };
        txn.commit().await.map_err(StorageError::from)?;
        Ok((enterprise_id, account_id))
    }

    pub async fn enterprise(&self, id: i32) -> Result<Option<EnterpriseRow>, StorageError> {
        self.enterprise_where(Expr::col(Enterprises::Id).eq(id)).await
    }

    pub async fn enterprise_by_uscc(&self, uscc: &str) -> Result<Option<EnterpriseRow>, StorageError> {
        self.enterprise_where(Expr::col(Enterprises::Uscc).eq(uscc)).await
    }

    /// Enterprises by their USCCs.
    pub async fn enterprises_by_uscc(&self, usccs: &[String]) -> Result<Vec<EnterpriseRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(ENTERPRISE_COLUMNS)
            .from(p.table(Enterprises::Table))
            .and_where(Expr::col(Enterprises::Uscc).is_in(usccs.iter().map(String::as_str)))
            .order_by(Enterprises::Id, Order::Asc)
            .to_owned();
        Ok(EnterpriseRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    async fn enterprise_where(&self, cond: SimpleExpr) -> Result<Option<EnterpriseRow>, StorageError> {
        let p = self.platform();
        let stmt =
            Query::select().columns(ENTERPRISE_COLUMNS).from(p.table(Enterprises::Table)).and_where(cond).to_owned();
        Ok(EnterpriseRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    /// A department under `parent` (or at the root); its path is the
    /// parent's path plus its own id.
    pub async fn insert_department(
        &self,
        enterprise_id: i32,
        parent: Option<&DepartmentRow>,
        name: &str,
    ) -> Result<DepartmentRow, InsertError> {
        let p = self.platform();
        let txn = p.conn.begin().await.map_err(StorageError::from)?;
        let provisional = format!("{}?{}", parent.map_or("/", |d| d.path.as_str()), random_token_suffix());
        let insert = Query::insert()
            .into_table(p.table(Departments::Table))
            .columns([
                Departments::EnterpriseId,
                Departments::ParentId,
                Departments::Name,
                Departments::Path,
                Departments::CreatedAt,
            ])
            .values_panic([
                enterprise_id.into(),
                parent.map(|d| d.id).into(),
                name.into(),
                provisional.into(),
                now().into(),
            ])
            .to_owned();
        let id = insert_returning_id(&txn, insert, Departments::Id).await?;
        let path = format!("{}{id}/", parent.map_or("/", |d| d.path.as_str()));
        let update = Query::update()
            .table(p.table(Departments::Table))
            .value(Departments::Path, path.clone())
            .and_where(Expr::col(Departments::Id).eq(id))
            .to_owned();
        txn.execute(&update).await.map_err(StorageError::from)?;
        txn.commit().await.map_err(StorageError::from)?;
        Ok(DepartmentRow { id, enterprise_id, parent_id: parent.map(|d| d.id), name: name.to_owned(), path })
    }

    /// The path of an enterprise's department by its name, as certificates
    /// name it.
    pub async fn department_path(&self, uscc: &str, name: &str) -> Result<Option<String>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .column((Departments::Table, Departments::Path))
            .from(p.table(Departments::Table))
            .inner_join(
                p.table(Enterprises::Table),
                Expr::col((Enterprises::Table, Enterprises::Id))
                    .equals((Departments::Table, Departments::EnterpriseId)),
            )
            .and_where(Expr::col((Enterprises::Table, Enterprises::Uscc)).eq(uscc))
            .and_where(Expr::col((Departments::Table, Departments::Name)).eq(name))
            .order_by((Departments::Table, Departments::Path), Order::Asc)
            .limit(1)
            .to_owned();
        let row = p.conn.query_one(&stmt).await?;
        Ok(row.map(|r| r.try_get::<String>("", "path")).transpose()?)
    }

    pub async fn departments(&self, enterprise_id: i32) -> Result<Vec<DepartmentRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(DEPARTMENT_COLUMNS)
            .from(p.table(Departments::Table))
            .and_where(Expr::col(Departments::EnterpriseId).eq(enterprise_id))
            .order_by(Departments::Path, Order::Asc)
            .to_owned();
        Ok(DepartmentRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// One department of an enterprise.
    pub async fn department(&self, enterprise_id: i32, id: i32) -> Result<Option<DepartmentRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(DEPARTMENT_COLUMNS)
            .from(p.table(Departments::Table))
            .and_where(Expr::col(Departments::EnterpriseId).eq(enterprise_id))
            .and_where(Expr::col(Departments::Id).eq(id))
            .to_owned();
        Ok(DepartmentRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    pub async fn insert_account(&self, account: &NewAccount) -> Result<i32, InsertError> {
        let p = self.platform();
        insert_account_in(&p.conn, &p, account).await
    }

    /// The roles of these accounts.
    pub async fn roles_of(&self, ids: &[i32]) -> Result<std::collections::HashMap<i32, String>, StorageError> {
        let p = self.platform();
        let mut roles = std::collections::HashMap::new();
        for chunk in ids.chunks(1000) {
            let stmt = Query::select()
                .columns([Accounts::Id, Accounts::Role])
                .from(p.table(Accounts::Table))
                .and_where(Expr::col(Accounts::Id).is_in(chunk.iter().copied()))
                .to_owned();
            for row in p.conn.query_all(&stmt).await? {
                roles.insert(row.try_get::<i32>("", "id")?, row.try_get::<String>("", "role")?);
            }
        }
        Ok(roles)
    }

    pub async fn account_by_login(&self, login: &str) -> Result<Option<AccountRow>, StorageError> {
        self.account_where(Expr::col(Accounts::Login).eq(login)).await
    }

    pub async fn account(&self, id: i32) -> Result<Option<AccountRow>, StorageError> {
        self.account_where(Expr::col(Accounts::Id).eq(id)).await
    }

    async fn account_where(&self, cond: SimpleExpr) -> Result<Option<AccountRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .column(Accounts::Id)
            .columns(ACCOUNT_COLUMNS)
            .column(Accounts::LockedUntil)
            .from(p.table(Accounts::Table))
            .and_where(cond)
            .to_owned();
        Ok(p.reads.one_as::<AccountRow>(&stmt).await?)
    }

    /// Counts a failed sign-in; `lock_until` locks the account.
    pub async fn record_failed_signin(
        &self,
        account_id: i32,
        lock_until: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        let p = self.platform();
        let mut update = Query::update();
        update.table(p.table(Accounts::Table));
        match lock_until {
            Some(until) => {
                update.value(Accounts::FailedSignins, 0).value(Accounts::LockedUntil, until.fixed_offset());
            }
            None => {
                update.value(Accounts::FailedSignins, Expr::col(Accounts::FailedSignins).add(1));
            }
        }
        update.and_where(Expr::col(Accounts::Id).eq(account_id));
        p.conn.execute(&update).await?;
        Ok(())
    }

    pub async fn clear_failed_signins(&self, account_id: i32) -> Result<(), StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Accounts::Table))
            .value(Accounts::FailedSignins, 0)
            .value(Accounts::LockedUntil, Option::<DateTime<FixedOffset>>::None)
            .and_where(Expr::col(Accounts::Id).eq(account_id))
            .to_owned();
        p.conn.execute(&update).await?;
        Ok(())
    }

    /// A new password hash; the lock and the failure count go, and every
    /// session of the account ends.
    pub async fn set_password(&self, account_id: i32, hash: &str) -> Result<(), StorageError> {
        let p = self.platform();
        let txn = p.conn.begin().await?;
        let update = Query::update()
            .table(p.table(Accounts::Table))
            .value(Accounts::PasswordHash, hash)
            .value(Accounts::FailedSignins, 0)
            .value(Accounts::LockedUntil, Option::<DateTime<FixedOffset>>::None)
            .and_where(Expr::col(Accounts::Id).eq(account_id))
            .to_owned();
        txn.execute(&update).await?;
        let end = Query::update()
            .table(p.table(Sessions::Table))
            .value(Sessions::RevokedAt, now())
            .and_where(Expr::col(Sessions::AccountId).eq(account_id))
            .and_where(Expr::col(Sessions::RevokedAt).is_null())
            .to_owned();
        txn.execute(&end).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Spends an authenticator step: false when this or a later step was
    /// already used (a replayed code).
    pub async fn spend_totp_step(&self, account_id: i32, step: i64) -> Result<bool, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Accounts::Table))
            .value(Accounts::TotpLastStep, step)
            .and_where(Expr::col(Accounts::Id).eq(account_id))
            .and_where(Expr::col(Accounts::TotpLastStep).is_null().or(Expr::col(Accounts::TotpLastStep).lt(step)))
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected() == 1)
    }

    pub async fn set_totp(&self, account_id: i32, sealed: &[u8]) -> Result<(), StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Accounts::Table))
            .value(Accounts::TotpCipher, sealed.to_vec())
            .value(Accounts::SecondFactor, "totp")
            .and_where(Expr::col(Accounts::Id).eq(account_id))
            .to_owned();
        p.conn.execute(&update).await?;
        Ok(())
    }

    pub async fn insert_challenge(
        &self,
        token_hash: &str,
        account_id: i32,
        purpose: &str,
        method: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(Challenges::Table))
            .columns([
                Challenges::TokenHash,
                Challenges::AccountId,
                Challenges::Purpose,
                Challenges::Method,
                Challenges::CodeHash,
                Challenges::Attempts,
                Challenges::CreatedAt,
                Challenges::ExpiresAt,
            ])
            .values_panic([
                token_hash.into(),
                account_id.into(),
                purpose.into(),
                method.into(),
                code_hash.into(),
                0.into(),
                now().into(),
                expires_at.fixed_offset().into(),
            ])
            .to_owned();
        p.conn.execute(&insert).await?;
        Ok(())
    }

    /// How many challenges the account was sent since `since`.
    pub async fn challenges_since(&self, account_id: i32, since: DateTime<Utc>) -> Result<i64, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .expr_as(Expr::col(Challenges::Id).count(), "n")
            .from(p.table(Challenges::Table))
            .and_where(Expr::col(Challenges::AccountId).eq(account_id))
            .and_where(Expr::col(Challenges::CreatedAt).gte(since.fixed_offset()))
            .to_owned();
        let row = p.conn.query_one(&stmt).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
    }

    pub async fn challenge(&self, token_hash: &str) -> Result<Option<ChallengeRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([
                Challenges::Id,
                Challenges::AccountId,
                Challenges::Purpose,
                Challenges::Method,
                Challenges::CodeHash,
                Challenges::Attempts,
                Challenges::ExpiresAt,
                Challenges::UsedAt,
            ])
            .from(p.table(Challenges::Table))
            .and_where(Expr::col(Challenges::TokenHash).eq(token_hash))
            .to_owned();
        Ok(ChallengeRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    pub async fn count_challenge_attempt(&self, id: i32) -> Result<(), StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Challenges::Table))
            .value(Challenges::Attempts, Expr::col(Challenges::Attempts).add(1))
            .and_where(Expr::col(Challenges::Id).eq(id))
            .to_owned();
        p.conn.execute(&update).await?;
        Ok(())
    }

    /// Marks a challenge used; false when it already was (a replay, or a
    /// race between two requests with the same code).
    pub async fn use_challenge(&self, id: i32) -> Result<bool, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Challenges::Table))
            .value(Challenges::UsedAt, now())
            .and_where(Expr::col(Challenges::Id).eq(id))
            .and_where(Expr::col(Challenges::UsedAt).is_null())
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected() == 1)
    }

    pub async fn insert_session(
        &self,
        token_hash: &str,
        account_id: i32,
        expires_at: DateTime<Utc>,
        ip: &str,
        user_agent: &str,
    ) -> Result<(), StorageError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(Sessions::Table))
            .columns([
                Sessions::TokenHash,
                Sessions::AccountId,
                Sessions::CreatedAt,
                Sessions::ExpiresAt,
                Sessions::Ip,
                Sessions::UserAgent,
            ])
            .values_panic([
                token_hash.into(),
                account_id.into(),
                now().into(),
                expires_at.fixed_offset().into(),
                ip.into(),
                user_agent.into(),
            ])
            .to_owned();
        p.conn.execute(&insert).await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([
                Sessions::Id,
                Sessions::AccountId,
                Sessions::ExpiresAt,
                Sessions::RevokedAt,
                Sessions::PrivateUntil,
            ])
            .from(p.table(Sessions::Table))
            .and_where(Expr::col(Sessions::TokenHash).eq(token_hash))
            .to_owned();
        // A signed-in caller is read again every few seconds: a point read,
        // on the connections kept for them (one exchange with PostgreSQL,
        // and no wait behind the pool's other users).
        Ok(p.reads.one_as::<SessionRow>(&stmt).await?)
    }

    /// Starts or ends a session's privacy mode.
    pub async fn set_private_until(&self, token_hash: &str, until: Option<DateTime<Utc>>) -> Result<(), StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Sessions::Table))
            .value(Sessions::PrivateUntil, until.map(|u| u.fixed_offset()))
            .and_where(Expr::col(Sessions::TokenHash).eq(token_hash))
            .to_owned();
        p.conn.execute(&update).await?;
        Ok(())
    }

    pub async fn revoke_session(&self, token_hash: &str) -> Result<(), StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(Sessions::Table))
            .value(Sessions::RevokedAt, now())
            .and_where(Expr::col(Sessions::TokenHash).eq(token_hash))
            .and_where(Expr::col(Sessions::RevokedAt).is_null())
            .to_owned();
        p.conn.execute(&update).await?;
        Ok(())
    }

    pub async fn log_login(
        &self,
        account_id: Option<i32>,
        ip: &str,
        user_agent: &str,
        result: &str,
    ) -> Result<(), StorageError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(LoginLog::Table))
            .columns([LoginLog::AccountId, LoginLog::At, LoginLog::Ip, LoginLog::UserAgent, LoginLog::Result])
            .values_panic([account_id.into(), now().into(), ip.into(), user_agent.into(), result.into()])
            .to_owned();
        p.conn.execute(&insert).await?;
        Ok(())
    }

    /// The account's recent sign-in attempts, newest first.
    pub async fn login_log(&self, account_id: i32, limit: u64) -> Result<Vec<LoginRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([LoginLog::At, LoginLog::Ip, LoginLog::UserAgent, LoginLog::Result])
            .from(p.table(LoginLog::Table))
            .and_where(Expr::col(LoginLog::AccountId).eq(account_id))
            .order_by(LoginLog::At, Order::Desc)
            .limit(limit)
            .to_owned();
        Ok(LoginRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// Stores the hashes of an account's recovery codes.
    pub async fn insert_recovery_codes(&self, account_id: i32, hashes: &[String]) -> Result<(), StorageError> {
        let p = self.platform();
        let mut insert = Query::insert();
        insert.into_table(p.table(RecoveryCodes::Table)).columns([RecoveryCodes::AccountId, RecoveryCodes::CodeHash]);
        for hash in hashes {
            insert.values_panic([account_id.into(), hash.as_str().into()]);
        }
        p.conn.execute(&insert).await?;
        Ok(())
    }

    /// Spends a recovery code; false when it is unknown or was used.
    pub async fn spend_recovery_code(&self, account_id: i32, hash: &str) -> Result<bool, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(RecoveryCodes::Table))
            .value(RecoveryCodes::UsedAt, now())
            .and_where(Expr::col(RecoveryCodes::AccountId).eq(account_id))
            .and_where(Expr::col(RecoveryCodes::CodeHash).eq(hash))
            .and_where(Expr::col(RecoveryCodes::UsedAt).is_null())
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected() == 1)
    }

    /// How many devices the account has signed in from.
    pub async fn known_devices(&self, account_id: i32) -> Result<i64, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .expr_as(Expr::col(KnownDevices::AccountId).count(), "n")
            .from(p.table(KnownDevices::Table))
            .and_where(Expr::col(KnownDevices::AccountId).eq(account_id))
            .to_owned();
        let row = p.conn.query_one(&stmt).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
    }

    /// Remembers a device; true when it is new for the account.
    pub async fn remember_device(&self, account_id: i32, fingerprint: &str) -> Result<bool, StorageError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(KnownDevices::Table))
            .columns([KnownDevices::AccountId, KnownDevices::Fingerprint, KnownDevices::FirstSeen])
            .values_panic([account_id.into(), fingerprint.into(), now().into()])
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([KnownDevices::AccountId, KnownDevices::Fingerprint])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        Ok(p.conn.execute(&insert).await?.rows_affected() == 1)
    }
}

pub(crate) async fn insert_account_in<C: ConnectionTrait>(
    conn: &C,
    p: &Scoped,
    a: &NewAccount,
) -> Result<i32, InsertError> {
    let insert = Query::insert()
        .into_table(p.table(Accounts::Table))
        .columns(ACCOUNT_COLUMNS.into_iter().chain([Accounts::CreatedBy, Accounts::CreatedAt]))
        .values_panic([
            a.login.clone().into(),
            a.role.clone().into(),
            a.tenant_slug.clone().into(),
            a.region_code.clone().into(),
            a.enterprise_id.into(),
            a.department_id.into(),
            a.holder_index.clone().into(),
            a.email.clone().into(),
            a.phone_cipher.clone().into(),
            a.phone_masked.clone().into(),
            a.password_hash.clone().into(),
            a.second_factor.clone().into(),
            a.totp_cipher.clone().into(),
            0.into(),
            a.created_by.into(),
            now().into(),
        ])
        .to_owned();
    insert_returning_id(conn, insert, Accounts::Id).await
}

/// Gives an account another role (an institution once approved).
pub(crate) async fn set_role_in<C: ConnectionTrait>(
    conn: &C,
    p: &Scoped,
    account_id: i32,
    role: &str,
) -> Result<(), StorageError> {
    let update = Query::update()
        .table(p.table(Accounts::Table))
        .value(Accounts::Role, role)
        .and_where(Expr::col(Accounts::Id).eq(account_id))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

fn random_token_suffix() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}
