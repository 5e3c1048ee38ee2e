use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    CertNo,
    HolderName,
    IdCipher,
    IdIndex,
    IdMasked,
    EmployerUscc,
    EmployerName,
    Department,
    RegionCode,
    Position,
    Industry,
    CertType,
    IssuingAuthority,
    IssueDate,
    ExpiryDate,
    RevocationKind,
    RevocationOn,
    RevocationReason,
    Training,
    CustomFields,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Certificates::Id))
                    .col(string_len_uniq(Certificates::CertNo, 32))
                    .col(string_len(Certificates::HolderName, 64))
                    .col(blob(Certificates::IdCipher))
                    .col(string_len(Certificates::IdIndex, 64))
                    .col(string_len(Certificates::IdMasked, 18))
                    .col(string_len(Certificates::EmployerUscc, 18))
                    .col(string(Certificates::EmployerName))
                    .col(string(Certificates::Department))
                    .col(string_len(Certificates::RegionCode, 6))
                    .col(string(Certificates::Position))
                    .col(string(Certificates::Industry))
                    .col(string(Certificates::CertType))
                    .col(string(Certificates::IssuingAuthority))
                    .col(date(Certificates::IssueDate))
                    .col(date(Certificates::ExpiryDate))
                    .col(string_len_null(Certificates::RevocationKind, 16))
                    .col(date_null(Certificates::RevocationOn))
                    .col(text_null(Certificates::RevocationReason))
                    .col(json(Certificates::Training))
                    .col(json(Certificates::CustomFields))
                    .col(timestamp_with_time_zone(Certificates::CreatedAt))
                    .col(timestamp_with_time_zone(Certificates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_certificates_id_index", Certificates::IdIndex),
            ("idx_certificates_employer", Certificates::EmployerUscc),
            ("idx_certificates_expiry", Certificates::ExpiryDate),
            ("idx_certificates_region", Certificates::RegionCode),
        ] {
            manager
                .create_index(
                    Index::create().name(name).table(Certificates::Table).col(column).if_not_exists().to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Certificates::Table).to_owned()).await
    }
}
