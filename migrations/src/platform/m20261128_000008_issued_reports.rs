use sea_orm_migration::{prelude::*, schema::*};

use super::m20261128_000001_identity::index;

/// Every PDF the platform issues (a report of certificates, or a holder's
/// electronic certificate): its verification code and the digest of its
/// bytes, so that `/api/v1/verify-report` can tell an issued file from an
/// altered one.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IssuedReports {
    Table,
    Id,
    Code,
    Kind,
    TenantSlug,
    CertNos,
    AccountId,
    Digest,
    IssuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IssuedReports::Table)
                    .col(pk_auto(IssuedReports::Id))
                    .col(string_len(IssuedReports::Code, 20))
                    .col(string_len(IssuedReports::Kind, 16))
                    .col(string_len(IssuedReports::TenantSlug, 16))
                    .col(text(IssuedReports::CertNos))
                    .col(integer(IssuedReports::AccountId))
                    .col(string_len(IssuedReports::Digest, 64))
                    .col(timestamp_with_time_zone(IssuedReports::IssuedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "issued_reports_code", IssuedReports::Table, &["code"], true).await?;
        index(manager, "issued_reports_digest", IssuedReports::Table, &["digest"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IssuedReports::Table).to_owned()).await
    }
}
