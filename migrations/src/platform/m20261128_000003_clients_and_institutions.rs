use sea_orm_migration::{prelude::*, schema::*};

use super::m20261128_000001_identity::index;

/// API clients and their keys (only hashes are kept), and training
/// institutions' applications with the provincial admin's decision.
/// (SME subscriptions are grants of kind `enterprise`: no table of their own.)
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
    AccountId,
    TenantSlug,
    Name,
    Scopes,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    ClientId,
    TokenHash,
    Prefix,
    CreatedAt,
    RetireAt,
}

#[derive(DeriveIden)]
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiClients::Table)
                    .col(pk_auto(ApiClients::Id))
                    .col(integer(ApiClients::AccountId))
                    .col(string_len(ApiClients::TenantSlug, 16))
                    .col(string_len(ApiClients::Name, 64))
                    .col(string_len(ApiClients::Scopes, 256))
                    .col(timestamp_with_time_zone(ApiClients::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiClients::RevokedAt))
                    .col(timestamp_with_time_zone(ApiClients::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "api_clients_account", ApiClients::Table, &["account_id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_auto(ApiKeys::Id))
                    .col(integer(ApiKeys::ClientId))
                    .col(string_len(ApiKeys::TokenHash, 64))
                    .col(string_len(ApiKeys::Prefix, 16))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RetireAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "api_keys_token_hash", ApiKeys::Table, &["token_hash"], true).await?;
        index(manager, "api_keys_client", ApiKeys::Table, &["client_id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(Institutions::Table)
                    .col(pk_auto(Institutions::Id))
                    .col(string_len(Institutions::TenantSlug, 16))
                    .col(string_len(Institutions::Uscc, 18))
                    .col(string_len(Institutions::Name, 128))
                    .col(string_len(Institutions::LicenceNo, 64))
                    .col(text(Institutions::TrainingScope))
                    .col(integer(Institutions::AccountId))
                    .col(string_len(Institutions::Status, 16))
                    .col(integer_null(Institutions::DecidedBy))
                    .col(timestamp_with_time_zone_null(Institutions::DecidedAt))
                    .col(text_null(Institutions::DecisionReason))
                    .col(timestamp_with_time_zone(Institutions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "institutions_uscc", Institutions::Table, &["uscc"], true).await?;
        index(manager, "institutions_tenant_status", Institutions::Table, &["tenant_slug", "status"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Institutions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ApiKeys::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ApiClients::Table).to_owned()).await
    }
}
