use sea_orm_migration::prelude::*;

/// The day of the last review or extension, which the province's rules read
/// to compute the expiry, and the status the rules gave when the record was
/// last written or rescanned.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    ReviewedOn,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for mut column in [
            ColumnDef::new(Certificates::ReviewedOn).date().null().to_owned(),
            ColumnDef::new(Certificates::Status).string_len(16).null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Certificates::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Certificates::ReviewedOn, Certificates::Status] {
            manager.alter_table(Table::alter().table(Certificates::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
