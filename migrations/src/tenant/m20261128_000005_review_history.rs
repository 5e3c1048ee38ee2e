use sea_orm_migration::prelude::*;

/// Every review (复审) of a certificate, oldest first, beside the day of
/// the last one that the rules read. Empty on certificates written before.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Reviews,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new(Certificates::Reviews).json().null().to_owned();
        manager.alter_table(Table::alter().table(Certificates::Table).add_column(&mut column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Certificates::Table).drop_column(Certificates::Reviews).to_owned())
            .await
    }
}
