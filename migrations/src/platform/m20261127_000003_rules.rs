use sea_orm_migration::{prelude::*, schema::*};

/// Province rules changed at run time: every uploaded version, and every
/// activation or rollback (who, when, from which version to which, why).
/// The active version of a tenant is the target of its latest activation;
/// without one, the baseline files in tenants/ apply. The directory also
/// keeps the review date the rules read.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RuleVersions {
    Table,
    Id,
    TenantSlug,
    Version,
    Script,
    Data,
    Note,
    UploadedBy,
    UploadedAt,
    Report,
}

#[derive(DeriveIden)]
enum RuleActivations {
    Table,
    Id,
    TenantSlug,
    FromVersion,
    ToVersion,
    Actor,
    Reason,
    At,
}

#[derive(DeriveIden)]
enum CertDirectory {
    Table,
    ReviewedOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RuleVersions::Table)
                    .col(pk_auto(RuleVersions::Id))
                    .col(string_len(RuleVersions::TenantSlug, 16))
                    .col(string_len(RuleVersions::Version, 32))
                    .col(text(RuleVersions::Script))
                    .col(text(RuleVersions::Data))
                    .col(text(RuleVersions::Note))
                    .col(string_len(RuleVersions::UploadedBy, 64))
                    .col(timestamp_with_time_zone(RuleVersions::UploadedAt))
                    .col(json(RuleVersions::Report))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rule_versions_tenant_version")
                    .table(RuleVersions::Table)
                    .col(RuleVersions::TenantSlug)
                    .col(RuleVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RuleActivations::Table)
                    .col(pk_auto(RuleActivations::Id))
                    .col(string_len(RuleActivations::TenantSlug, 16))
                    .col(string_len(RuleActivations::FromVersion, 32))
                    .col(string_len(RuleActivations::ToVersion, 32))
                    .col(string_len(RuleActivations::Actor, 64))
                    .col(text(RuleActivations::Reason))
                    .col(timestamp_with_time_zone(RuleActivations::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rule_activations_tenant")
                    .table(RuleActivations::Table)
                    .col(RuleActivations::TenantSlug)
                    .col(RuleActivations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CertDirectory::Table)
                    .add_column(ColumnDef::new(CertDirectory::ReviewedOn).date().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(CertDirectory::Table).drop_column(CertDirectory::ReviewedOn).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(RuleActivations::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RuleVersions::Table).to_owned()).await
    }
}
