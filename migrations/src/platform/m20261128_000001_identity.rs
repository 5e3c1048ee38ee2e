use sea_orm_migration::{prelude::*, schema::*};

/// Who uses the service and how they sign in: enterprises and their
/// department trees, accounts (phone numbers encrypted), sessions,
/// second-factor challenges, the login log, the devices an account has
/// signed in from, authenticator recovery codes, and the grants made at
/// run time.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Enterprises {
    Table,
    Id,
    Uscc,
    Name,
    TenantSlug,
    RegionCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    EnterpriseId,
    ParentId,
    Name,
    Path,
    CreatedAt,
}

#[derive(DeriveIden)]
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

#[derive(DeriveIden)]
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
}

#[derive(DeriveIden)]
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

#[derive(DeriveIden)]
enum LoginLog {
    Table,
    Id,
    AccountId,
    At,
    Ip,
    UserAgent,
    Result,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    AccountId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum KnownDevices {
    Table,
    Id,
    AccountId,
    Fingerprint,
    FirstSeen,
}

#[derive(DeriveIden)]
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

pub(super) async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Enterprises::Table)
                    .col(pk_auto(Enterprises::Id))
                    .col(string_len_uniq(Enterprises::Uscc, 18))
                    .col(string_len(Enterprises::Name, 128))
                    .col(string_len(Enterprises::TenantSlug, 16))
                    .col(string_len(Enterprises::RegionCode, 6))
                    .col(timestamp_with_time_zone(Enterprises::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .col(pk_auto(Departments::Id))
                    .col(integer(Departments::EnterpriseId))
                    .col(integer_null(Departments::ParentId))
                    .col(string_len(Departments::Name, 64))
                    .col(string_len(Departments::Path, 255))
                    .col(timestamp_with_time_zone(Departments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "departments_enterprise_path", Departments::Table, &["enterprise_id", "path"], true).await?;
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_auto(Accounts::Id))
                    .col(string_len_uniq(Accounts::Login, 128))
                    .col(string_len(Accounts::Role, 32))
                    .col(string_len(Accounts::TenantSlug, 16))
                    .col(string_len_null(Accounts::RegionCode, 6))
                    .col(integer_null(Accounts::EnterpriseId))
                    .col(integer_null(Accounts::DepartmentId))
                    .col(string_len_null(Accounts::HolderIndex, 64))
                    .col(string_len_null(Accounts::Email, 254))
                    .col(blob_null(Accounts::PhoneCipher))
                    .col(string_len_null(Accounts::PhoneMasked, 16))
                    .col(string_len(Accounts::PasswordHash, 128))
                    .col(string_len(Accounts::SecondFactor, 8))
                    .col(blob_null(Accounts::TotpCipher))
                    .col(big_integer_null(Accounts::TotpLastStep))
                    .col(integer(Accounts::FailedSignins).default(0))
                    .col(timestamp_with_time_zone_null(Accounts::LockedUntil))
                    .col(integer_null(Accounts::CreatedBy))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "accounts_enterprise", Accounts::Table, &["enterprise_id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(pk_auto(Sessions::Id))
                    .col(string_len_uniq(Sessions::TokenHash, 64))
                    .col(integer(Sessions::AccountId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_len(Sessions::Ip, 64))
                    .col(string_len(Sessions::UserAgent, 256))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "sessions_account", Sessions::Table, &["account_id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(Challenges::Table)
                    .col(pk_auto(Challenges::Id))
                    .col(string_len_uniq(Challenges::TokenHash, 64))
                    .col(integer(Challenges::AccountId))
                    .col(string_len(Challenges::Purpose, 16))
                    .col(string_len(Challenges::Method, 8))
                    .col(string_len(Challenges::CodeHash, 64))
                    .col(integer(Challenges::Attempts).default(0))
                    .col(timestamp_with_time_zone(Challenges::CreatedAt))
                    .col(timestamp_with_time_zone(Challenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Challenges::UsedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "challenges_account", Challenges::Table, &["account_id", "created_at"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginLog::Table)
                    .col(pk_auto(LoginLog::Id))
                    .col(integer_null(LoginLog::AccountId))
                    .col(timestamp_with_time_zone(LoginLog::At))
                    .col(string_len(LoginLog::Ip, 64))
                    .col(string_len(LoginLog::UserAgent, 256))
                    .col(string_len(LoginLog::Result, 32))
                    .to_owned(),
            )
            .await?;
        index(manager, "login_log_account", LoginLog::Table, &["account_id", "at"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(KnownDevices::Table)
                    .col(pk_auto(KnownDevices::Id))
                    .col(integer(KnownDevices::AccountId))
                    .col(string_len(KnownDevices::Fingerprint, 64))
                    .col(timestamp_with_time_zone(KnownDevices::FirstSeen))
                    .to_owned(),
            )
            .await?;
        index(manager, "known_devices_account", KnownDevices::Table, &["account_id", "fingerprint"], true).await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(pk_auto(RecoveryCodes::Id))
                    .col(integer(RecoveryCodes::AccountId))
                    .col(string_len(RecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "recovery_codes_account", RecoveryCodes::Table, &["account_id", "code_hash"], true).await?;
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(pk_auto(Grants::Id))
                    .col(integer(Grants::AccountId))
                    .col(string_len(Grants::TenantSlug, 16))
                    .col(string_len(Grants::Object, 32))
                    .col(string_len(Grants::Action, 32))
                    .col(string_len(Grants::Kind, 16))
                    .col(string_len(Grants::Target, 255))
                    .col(string_len(Grants::Effect, 8))
                    .col(timestamp_with_time_zone_null(Grants::Until))
                    .col(integer(Grants::GrantedBy))
                    .col(text(Grants::Reason))
                    .col(timestamp_with_time_zone(Grants::CreatedAt))
                    .col(timestamp_with_time_zone_null(Grants::RevokedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "grants_account", Grants::Table, &["account_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "grants",
            "recovery_codes",
            "known_devices",
            "login_log",
            "challenges",
            "sessions",
            "accounts",
            "departments",
            "enterprises",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
