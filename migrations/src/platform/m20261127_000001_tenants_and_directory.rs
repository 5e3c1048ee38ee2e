use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Slug,
    Code,
    NameZh,
    NameEn,
    NameUg,
    DefaultLocale,
    SyncedAt,
}

#[derive(DeriveIden)]
enum CertDirectory {
    Table,
    CertNo,
    TenantSlug,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .if_not_exists()
                    .col(string_len(Tenants::Slug, 16).primary_key())
                    .col(string_len(Tenants::Code, 6))
                    .col(string(Tenants::NameZh))
                    .col(string(Tenants::NameEn))
                    .col(string(Tenants::NameUg))
                    .col(string_len(Tenants::DefaultLocale, 8))
                    .col(timestamp_with_time_zone(Tenants::SyncedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CertDirectory::Table)
                    .if_not_exists()
                    .col(string_len(CertDirectory::CertNo, 32).primary_key())
                    .col(string_len(CertDirectory::TenantSlug, 16))
                    .col(timestamp_with_time_zone(CertDirectory::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CertDirectory::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Tenants::Table).to_owned()).await
    }
}
