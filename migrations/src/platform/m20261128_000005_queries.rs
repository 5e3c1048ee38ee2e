use sea_orm_migration::{prelude::*, schema::*};

use super::m20261128_000001_identity::index;

/// Every certificate query (who, what, when, from where; the same query
/// repeated within a moment is one row with its count), the queries an
/// account saved under a name, and the certificates it marked.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(super) enum QueryLog {
    Table,
    Id,
    At,
    AccountId,
    ApiClientId,
    TenantSlug,
    Kind,
    Query,
    Ip,
    Count,
}

#[derive(DeriveIden)]
enum SavedQueries {
    Table,
    Id,
    AccountId,
    TenantSlug,
    Name,
    Query,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Favorites {
    Table,
    Id,
    AccountId,
    TenantSlug,
    CertNo,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QueryLog::Table)
                    .col(big_pk_auto(QueryLog::Id))
                    .col(timestamp_with_time_zone(QueryLog::At))
                    .col(integer(QueryLog::AccountId))
                    .col(integer_null(QueryLog::ApiClientId))
                    .col(string_len(QueryLog::TenantSlug, 16))
                    .col(string_len(QueryLog::Kind, 16))
                    .col(string_len(QueryLog::Query, 600))
                    .col(string_len(QueryLog::Ip, 64))
                    .col(integer(QueryLog::Count))
                    .to_owned(),
            )
            .await?;
        index(manager, "query_log_account", QueryLog::Table, &["account_id", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(SavedQueries::Table)
                    .col(pk_auto(SavedQueries::Id))
                    .col(integer(SavedQueries::AccountId))
                    .col(string_len(SavedQueries::TenantSlug, 16))
                    .col(string_len(SavedQueries::Name, 64))
                    .col(string_len(SavedQueries::Query, 600))
                    .col(timestamp_with_time_zone(SavedQueries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "saved_queries_account_name", SavedQueries::Table, &["account_id", "name"], true).await?;
        manager
            .create_table(
                Table::create()
                    .table(Favorites::Table)
                    .col(pk_auto(Favorites::Id))
                    .col(integer(Favorites::AccountId))
                    .col(string_len(Favorites::TenantSlug, 16))
                    .col(string_len(Favorites::CertNo, 32))
                    .col(timestamp_with_time_zone(Favorites::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "favorites_account_cert", Favorites::Table, &["account_id", "tenant_slug", "cert_no"], true)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Favorites::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SavedQueries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(QueryLog::Table).to_owned()).await
    }
}
