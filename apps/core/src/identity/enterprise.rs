//! Enterprises register themselves; their admin builds the department tree
//! and the sub-accounts in it.

use safecert_domain::{IdNumber, Uscc};
use safecert_policy::{Action, ObjectKind, Resource, Role};
use safecert_storage::{DepartmentRow, EnterpriseRow, FirstManager, NewAccount};

use super::{
    Caller, Identity, IdentityError, Login, Password, Phone, SecondFactor,
    contact::parse_email,
    signin::{phone_context, totp_context},
    totp,
};

/// An organisation registering itself (an enterprise, a training
/// institution): its USCC, its name, and the province whose registration
/// authority issued the USCC, which is the tenant it belongs to.
pub(crate) struct Organisation {
    pub uscc: Uscc,
    pub name: String,
    pub tenant: String,
}

impl Organisation {
    pub fn parse(
        uscc: &str,
        name: &str,
        tenant_of_region: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, IdentityError> {
        let uscc = Uscc::parse(uscc.trim()).map_err(|e| IdentityError::Uscc(e.to_string()))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
            return Err(IdentityError::Invalid("the name is 1 to 128 characters, without control characters"));
        }
        let tenant = tenant_of_region(&uscc.as_str()[2..8]).ok_or(IdentityError::NoTenantForRegion)?;
        Ok(Self { uscc, name: name.to_owned(), tenant })
    }

    /// The registration authority's region (six digits).
    pub fn region(&self) -> &str {
        &self.uscc.as_str()[2..8]
    }
}

pub struct RegisterEnterprise {
    pub uscc: String,
    pub name: String,
    pub login: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub second_factor: String,
}

/// Shown once: the key for an authenticator app.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TotpEnrollment {
    /// Base32, for typing into the app.
    pub secret: String,
    /// `otpauth://…`, for a QR code.
    pub uri: String,
    /// Ten single-use codes that stand in for the app when it is lost.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub enterprise_id: i32,
    pub account_id: i32,
    pub tenant: String,
    pub totp: Option<TotpEnrollment>,
}

pub struct NewSubAccount {
    pub login: String,
    pub password: String,
    pub role: String,
    pub department_id: i32,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub second_factor: String,
    /// Binds the account to its holder's own certificates.
    pub id_number: Option<String>,
}

/// A new account's credentials, checked and sealed.
pub(super) struct Credentials {
    login: Login,
    password_hash: String,
    email: Option<String>,
    phone_cipher: Option<Vec<u8>>,
    phone_masked: Option<String>,
    factor: SecondFactor,
    totp_secret: Option<[u8; 20]>,
    totp_cipher: Option<Vec<u8>>,
}

impl Identity {
    pub(super) async fn credentials(
        &self,
        login: &str,
        password: &str,
        email: Option<&str>,
        phone: Option<&str>,
        factor: &str,
    ) -> Result<Credentials, IdentityError> {
        let login = Login::parse(login)?;
        let password = Password::parse(password, login.as_str())?;
        let email = email.filter(|e| !e.trim().is_empty()).map(parse_email).transpose()?;
        let phone = phone.filter(|p| !p.trim().is_empty()).map(Phone::parse).transpose()?;
        let factor =
            SecondFactor::parse(factor).ok_or(IdentityError::Invalid("second_factor is sms, email or totp"))?;
        match factor {
            SecondFactor::Sms if phone.is_none() || self.sms.is_none() => {
                return Err(IdentityError::FactorUnavailable("SMS and a phone number"));
            }
            SecondFactor::Email if email.is_none() || self.mailer.is_none() => {
                return Err(IdentityError::FactorUnavailable("email and an email address"));
            }
            _ => {}
        }
        let seal = |context: String, plain: &str| {
            self.cipher.encrypt(&context, plain).map_err(safecert_storage::StorageError::from)
        };
        let phone_cipher = phone.as_ref().map(|p| seal(phone_context(login.as_str()), p.expose())).transpose()?;
        let (totp_secret, totp_cipher) = if factor == SecondFactor::Totp {
            let mut secret = [0u8; 20];
            getrandom::fill(&mut secret).map_err(|_| IdentityError::Invalid("no randomness"))?;
            let sealed = seal(totp_context(login.as_str()), &hex::encode(secret))?;
            (Some(secret), Some(sealed))
        } else {
            (None, None)
        };
        let password_hash =
            self.hashing.hash(password.expose()).await.ok_or(IdentityError::Invalid("hashing failed"))?;
        Ok(Credentials {
            phone_masked: phone.as_ref().map(Phone::masked),
            login,
            password_hash,
            email,
            phone_cipher,
            factor,
            totp_secret,
            totp_cipher,
        })
    }

    /// The authenticator key and fresh recovery codes of a new account
    /// (only their keyed hashes are kept).
    pub(super) async fn enroll(
        &self,
        account_id: i32,
        creds: &Credentials,
    ) -> Result<Option<TotpEnrollment>, IdentityError> {
        let Some(secret) = creds.totp_secret else { return Ok(None) };
        let mut codes = Vec::with_capacity(10);
        for _ in 0..10 {
            let mut bytes = [0u8; 7];
            getrandom::fill(&mut bytes).map_err(|_| IdentityError::Invalid("no randomness"))?;
            let text = totp::base32(&bytes);
            codes.push(format!("{}-{}", &text[..5], &text[5..10]));
        }
        let hashes: Vec<String> = codes.iter().map(|c| self.recovery_hash(account_id, c)).collect();
        self.dbs.insert_recovery_codes(account_id, &hashes).await?;
        Ok(Some(TotpEnrollment {
            secret: totp::base32(&secret),
            uri: totp::provisioning_uri(&secret, creds.login.as_str()),
            recovery_codes: codes,
        }))
    }

    /// Registers an enterprise and its admin account. The tenant is the
    /// province of the registration authority in the USCC.
    pub async fn register_enterprise(
        &self,
        req: RegisterEnterprise,
        tenant_of_region: impl Fn(&str) -> Option<String>,
    ) -> Result<Registered, IdentityError> {
        let org = Organisation::parse(&req.uscc, &req.name, tenant_of_region)?;
        let creds = self
            .credentials(&req.login, &req.password, req.email.as_deref(), req.phone.as_deref(), &req.second_factor)
            .await?;
        let admin = self.new_account(&creds, Role::EnterpriseAdmin, &org.tenant, None, None, None);
        let (enterprise_id, account_id) = self
            .dbs
            .insert_enterprise(org.uscc.as_str(), &org.name, &org.tenant, org.region(), FirstManager::Admin(&admin))
            .await?;
        let account_id = account_id.ok_or(IdentityError::Invalid("the admin account was not created"))?;
        let totp = self.enroll(account_id, &creds).await?;
        Ok(Registered { enterprise_id, account_id, tenant: org.tenant, totp })
    }

    pub(super) fn new_account(
        &self,
        c: &Credentials,
        role: Role,
        tenant: &str,
        department_id: Option<i32>,
        holder_index: Option<String>,
        created_by: Option<i32>,
    ) -> NewAccount {
        NewAccount {
            login: c.login.as_str().to_owned(),
            role: role.as_str().to_owned(),
            tenant_slug: tenant.to_owned(),
            region_code: None,
            enterprise_id: None,
            department_id,
            holder_index,
            email: c.email.clone(),
            phone_cipher: c.phone_cipher.clone(),
            phone_masked: c.phone_masked.clone(),
            password_hash: c.password_hash.clone(),
            second_factor: c.factor.as_str().to_owned(),
            totp_cipher: c.totp_cipher.clone(),
            created_by,
        }
    }

    /// The enterprise a request acts on: the one named by its USCC (an SME
    /// subscriber manages several), or else the caller's own. It must be in
    /// `tenant`; whether the caller may act on it is the policy's decision.
    pub async fn acting_enterprise(
        &self,
        caller: &Caller,
        tenant: &str,
        uscc: Option<&str>,
    ) -> Result<EnterpriseRow, IdentityError> {
        let found = match uscc.map(str::trim).filter(|u| !u.is_empty()) {
            Some(uscc) => self.dbs.enterprise_by_uscc(uscc).await?,
            None => match caller.enterprise_id {
                Some(id) => self.dbs.enterprise(id).await?,
                None => None,
            },
        };
        found.filter(|e| e.tenant_slug == tenant).ok_or(IdentityError::Forbidden)
    }

    /// The resource "this enterprise", for decisions about it.
    fn enterprise_resource(enterprise: &EnterpriseRow, kind: ObjectKind) -> Resource {
        Resource::new(kind, &enterprise.tenant_slug).enterprise(&enterprise.uscc)
    }

    pub async fn create_department(
        &self,
        caller: &Caller,
        enterprise: &EnterpriseRow,
        name: &str,
        parent_id: Option<i32>,
    ) -> Result<DepartmentRow, IdentityError> {
        if !self.authorize(caller, Action::Manage, &Self::enterprise_resource(enterprise, ObjectKind::Department)) {
            return Err(IdentityError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(IdentityError::Invalid("a department name is 1 to 64 characters"));
        }
        let departments = self.dbs.departments(enterprise.id).await?;
        let parent = match parent_id {
            None => None,
            Some(id) => Some(departments.iter().find(|d| d.id == id).ok_or(IdentityError::UnknownDepartment)?),
        };
        if departments.iter().any(|d| d.parent_id == parent.map(|p| p.id) && d.name == name) {
            return Err(IdentityError::Duplicate);
        }
        Ok(self.dbs.insert_department(enterprise.id, parent, name).await?)
    }

    pub async fn departments(
        &self,
        caller: &Caller,
        enterprise: &EnterpriseRow,
    ) -> Result<Vec<DepartmentRow>, IdentityError> {
        if !self.authorize(caller, Action::Read, &Self::enterprise_resource(enterprise, ObjectKind::Department)) {
            return Err(IdentityError::Forbidden);
        }
        Ok(self.dbs.departments(enterprise.id).await?)
    }

    /// A sub-account in one of the enterprise's departments.
    pub async fn create_sub_account(
        &self,
        caller: &Caller,
        enterprise: &EnterpriseRow,
        req: NewSubAccount,
        holder_index_of: impl Fn(&IdNumber) -> String,
    ) -> Result<(i32, Option<TotpEnrollment>), IdentityError> {
        let enterprise_id = enterprise.id;
        if !self.authorize(caller, Action::Manage, &Self::enterprise_resource(enterprise, ObjectKind::Account)) {
            return Err(IdentityError::Forbidden);
        }
        let role = match req.role.as_str() {
            "employee" => Role::Employee,
            "department_admin" => Role::DepartmentAdmin,
            _ => return Err(IdentityError::Invalid("a sub-account's role is employee or department_admin")),
        };
        if self.dbs.department(enterprise_id, req.department_id).await?.is_none() {
            return Err(IdentityError::UnknownDepartment);
        }
        let holder = req
            .id_number
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| IdNumber::parse(n.trim()).map_err(|e| IdentityError::IdNumber(e.to_string())))
            .transpose()?
            .map(|id| holder_index_of(&id));
        let creds = self
            .credentials(&req.login, &req.password, req.email.as_deref(), req.phone.as_deref(), &req.second_factor)
            .await?;
        let tenant = &enterprise.tenant_slug;
        let mut account =
            self.new_account(&creds, role, tenant, Some(req.department_id), holder, Some(caller.account_id));
        account.enterprise_id = Some(enterprise_id);
        let id = self.dbs.insert_account(&account).await?;
        let detail = serde_json::json!({ "account": id, "role": role.as_str(), "department": req.department_id });
        self.dbs.audit(Some(caller.account_id), tenant, "account.create", &format!("account:{id}"), detail).await?;
        Ok((id, self.enroll(id, &creds).await?))
    }
}

/// A staff account of the platform or a province: platform and
/// provincial administrators, regulators.
pub struct NewStaff<'a> {
    pub role: Role,
    pub tenant: &'a str,
    pub region: Option<safecert_domain::RegionCode>,
    pub login: &'a str,
    pub password: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub second_factor: &'a str,
}

impl Identity {
    /// Creates a staff account. With a creator, the policy decides
    /// (`account`/`manage` in the tenant); without one, this is the
    /// operator's own bootstrap from the command line.
    pub async fn create_staff(
        &self,
        staff: NewStaff<'_>,
        creator: Option<&Caller>,
    ) -> Result<(i32, Option<TotpEnrollment>), IdentityError> {
        if !matches!(staff.role, Role::PlatformAdmin | Role::ProvincialAdmin | Role::Regulator) {
            return Err(IdentityError::Invalid("staff roles are platform_admin, provincial_admin and regulator"));
        }
        if let Some(creator) = creator {
            let kind = match staff.role {
                Role::Regulator => ObjectKind::RegulatorAccount,
                Role::ProvincialAdmin => ObjectKind::ProvinceAdminAccount,
                // Platform administrators come only from the command line.
                _ => return Err(IdentityError::Forbidden),
            };
            let resource = Resource::new(kind, staff.tenant).region(staff.region.as_ref().map_or("", |r| r.as_str()));
            if !self.authorize(creator, Action::Manage, &resource) {
                return Err(IdentityError::Forbidden);
            }
        }
        if staff.role == Role::Regulator && staff.region.is_none() {
            return Err(IdentityError::Invalid("a regulator needs a region_code"));
        }
        let creds =
            self.credentials(staff.login, staff.password, staff.email, staff.phone, staff.second_factor).await?;
        let mut account = self.new_account(&creds, staff.role, staff.tenant, None, None, creator.map(|c| c.account_id));
        account.region_code = staff.region.map(|r| r.as_str().to_owned());
        let id = self.dbs.insert_account(&account).await?;
        let detail = serde_json::json!({ "account": id, "role": staff.role.as_str(), "region": account.region_code });
        self.dbs
            .audit(creator.map(|c| c.account_id), staff.tenant, "account.create", &format!("account:{id}"), detail)
            .await?;
        Ok((id, self.enroll(id, &creds).await?))
    }
}

/// A person binding their own certificates: a certificate number, the
/// name on it and their ID number must all match the same certificate.
pub struct BindIndividual {
    pub cert_no: String,
    pub name: String,
    pub id_number: String,
    pub login: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub second_factor: String,
}

impl Identity {
    /// Creates the individual account once the certificate matched:
    /// `tenant` holds it and `holder` is the blind index of the ID number.
    pub async fn create_individual(
        &self,
        req: &BindIndividual,
        tenant: &str,
        holder: String,
    ) -> Result<(i32, Option<TotpEnrollment>), IdentityError> {
        let creds = self
            .credentials(&req.login, &req.password, req.email.as_deref(), req.phone.as_deref(), &req.second_factor)
            .await?;
        let account = self.new_account(&creds, Role::Individual, tenant, None, Some(holder), None);
        let id = self.dbs.insert_account(&account).await?;
        self.dbs
            .audit(None, tenant, "account.bind", &format!("account:{id}"), serde_json::json!({ "account": id }))
            .await?;
        Ok((id, self.enroll(id, &creds).await?))
    }
}
