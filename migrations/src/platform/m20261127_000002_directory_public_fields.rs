use sea_orm_migration::prelude::*;

/// The national directory also keeps what public verification shows, so a
/// verification is one read of one table whatever the province.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CertDirectory {
    Table,
    HolderName,
    CertType,
    IssuingAuthority,
    IssueDate,
    ExpiryDate,
    RevocationKind,
    RevocationOn,
}

fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new(CertDirectory::HolderName).string_len(64).null().to_owned(),
        ColumnDef::new(CertDirectory::CertType).string().null().to_owned(),
        ColumnDef::new(CertDirectory::IssuingAuthority).string().null().to_owned(),
        ColumnDef::new(CertDirectory::IssueDate).date().null().to_owned(),
        ColumnDef::new(CertDirectory::ExpiryDate).date().null().to_owned(),
        ColumnDef::new(CertDirectory::RevocationKind).string_len(16).null().to_owned(),
        ColumnDef::new(CertDirectory::RevocationOn).date().null().to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for mut column in columns() {
            manager.alter_table(Table::alter().table(CertDirectory::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            CertDirectory::HolderName,
            CertDirectory::CertType,
            CertDirectory::IssuingAuthority,
            CertDirectory::IssueDate,
            CertDirectory::ExpiryDate,
            CertDirectory::RevocationKind,
            CertDirectory::RevocationOn,
        ] {
            manager.alter_table(Table::alter().table(CertDirectory::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
