use sea_orm_migration::{prelude::*, schema::*};

/// Regulators' requests to see another region, with their decisions, and
/// the audit log of every access change (grants, requests, decisions,
/// staff accounts).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
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

#[derive(DeriveIden)]
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegionAccessRequests::Table)
                    .col(pk_auto(RegionAccessRequests::Id))
                    .col(string_len(RegionAccessRequests::TenantSlug, 16))
                    .col(integer(RegionAccessRequests::RequesterId))
                    .col(string_len(RegionAccessRequests::Region, 6))
                    .col(text(RegionAccessRequests::Reason))
                    .col(integer(RegionAccessRequests::Days))
                    .col(string_len(RegionAccessRequests::Status, 16))
                    .col(integer_null(RegionAccessRequests::DecidedBy))
                    .col(timestamp_with_time_zone_null(RegionAccessRequests::DecidedAt))
                    .col(text_null(RegionAccessRequests::DecisionReason))
                    .col(timestamp_with_time_zone(RegionAccessRequests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::TenantSlug, 16))
                    .col(string_len(AuditLog::Action, 48))
                    .col(string_len(AuditLog::Subject, 64))
                    .col(json(AuditLog::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_tenant")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantSlug)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RegionAccessRequests::Table).to_owned()).await
    }
}
