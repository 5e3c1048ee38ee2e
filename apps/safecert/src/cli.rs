use std::{io::Write, path::PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use safecert_core::{Config, Platform, seed};

#[derive(Parser)]
#[command(name = "safecert", version, about = "National verification of work-safety training certificates")]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP on SAFECERT_LISTEN (the default command).
    Serve,
    /// Create or upgrade the platform schema and every tenant's schema.
    Migrate,
    /// Tenants found in SAFECERT_TENANTS_DIR.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Province rules (tenants/<slug>/rules.rhai).
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Accounts made by the operator.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Generate deterministic synthetic certificates.
    Seed {
        /// Certificates to create in each tenant.
        #[arg(long, default_value_t = 100)]
        certs_per_tenant: u64,
        /// The same seed (and --as-of) gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The day statuses are spread around (default: today in China).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Write what was made, with plain numbers, to this CSV file.
        #[arg(long)]
        export: Option<PathBuf>,
        /// Only this tenant (repeatable); all tenants when absent.
        #[arg(long = "tenant")]
        tenants: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Compile a tenant's rules, run their test cases, check their labels
    /// and show what they would change (a dry run over the tenant's
    /// certificates). Exits non-zero on any failure.
    Check {
        /// A tenant slug, or `all`.
        tenant: String,
        /// A rules.rhai to check instead of the tenant's own.
        script: Option<PathBuf>,
        /// Its rules.toml (default: the one beside the script).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Skip the dry run (no database needed).
        #[arg(long)]
        no_dry_run: bool,
    },
    /// Store the expiry and status the rules in force give today for
    /// every certificate (what the nightly scan does).
    Scan {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Create a platform administrator (the first account of a new
    /// installation). The password is read from the first line of stdin.
    /// With `--second-factor totp` the authenticator key is printed once.
    CreateAdmin {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "totp")]
        second_factor: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// The tenant the account is filed under (any tenant slug).
        #[arg(long, default_value = "bj")]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// List the tenants and how many certificates each holds.
    List,
    /// Create or upgrade the storage of every tenant folder.
    Sync,
}

async fn open() -> anyhow::Result<Platform> {
    open_with(|_| {}).await
}

/// The platform for a command that runs its statements one after another:
/// one database connection, none opened ahead for a server's worker
/// threads (a new connection waits about 0.1 s over TCP with TLS).
async fn open_for_one_task() -> anyhow::Result<Platform> {
    open_with(|config| {
        config.workers = 1;
        config.db_max_connections = 1;
    })
    .await
}

/// The platform on the environment's configuration, as `adjust` leaves it.
async fn open_with(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Platform> {
    let mut config = Config::from_env().context("reading the configuration")?;
    adjust(&mut config);
    Platform::start(config).await.context("starting the platform")
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command.unwrap_or(Command::Serve) {
        Command::Serve => crate::serve::run().await,
        Command::Migrate | Command::Tenants { command: TenantsCommand::Sync } => {
            // Starting the platform syncs every tenant (or fails): doing it
            // again here would only migrate each schema a second time.
            let platform = open_for_one_task().await?;
            for tenant in platform.tenants.all() {
                println!("{}: up to date", tenant.slug);
            }
            platform.shutdown().await;
            Ok(())
        }
        Command::Tenants { command: TenantsCommand::List } => {
            let platform = open_for_one_task().await?;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) simply ends the listing.
            let _ = writeln!(out, "{:<6} {:<8} {:>12}  name", "slug", "code", "certificates");
            for t in platform.tenants.all() {
                let n = platform.store.count(&t.slug).await?;
                let names = format!("{} / {} / {}", t.names.zh_cn, t.names.en, t.names.ug);
                if writeln!(out, "{:<6} {:<8} {:>12}  {names}", t.slug.as_str(), t.code.as_str(), n).is_err() {
                    break;
                }
            }
            platform.shutdown().await;
            Ok(())
        }
        Command::Rules { command: RulesCommand::Check { tenant, script, data, no_dry_run } } => {
            crate::rules_cmd::check(crate::rules_cmd::CheckArgs { tenant, script, data, dry_run: !no_dry_run }).await
        }
        Command::Rules { command: RulesCommand::Scan { tenant } } => crate::rules_cmd::scan(tenant).await,
        Command::Accounts { command: AccountsCommand::CreateAdmin { login, second_factor, email, phone, tenant } } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("reading the password from stdin")?;
            let platform = open_for_one_task().await?;
            let tenant = platform.tenants.find(&tenant).context("unknown tenant")?.slug.to_string();
            let staff = safecert_core::identity::NewStaff {
                role: safecert_policy::Role::PlatformAdmin,
                tenant: &tenant,
                region: None,
                login: &login,
                password: password.trim_end_matches(['\r', '\n']),
                email: email.as_deref(),
                phone: phone.as_deref(),
                second_factor: &second_factor,
            };
            let (id, totp) = platform.identity.create_staff(staff, None).await?;
            println!("created platform administrator {login} (account {id})");
            if let Some(totp) = totp {
                println!("authenticator key (shown once): {}", totp.secret);
                println!("{}", totp.uri);
                println!("recovery codes (each works once, instead of the app):");
                for code in &totp.recovery_codes {
                    println!("  {code}");
                }
            }
            platform.shutdown().await;
            Ok(())
        }
        Command::Seed { certs_per_tenant, seed, as_of, export, tenants } => {
            let platform = std::sync::Arc::new(open().await?);
            let opts = seed::SeedOptions {
                certs_per_tenant,
                seed,
                as_of: as_of.unwrap_or_else(|| platform.today()),
                export,
                progress: true,
                only: tenants,
            };
            let started = std::time::Instant::now();
            let report = seed::run(&platform, &opts).await?;
            println!(
                "seeded {} new certificates ({} generated) in {:.1}s",
                report.inserted,
                report.generated,
                started.elapsed().as_secs_f64()
            );
            platform.shutdown().await;
            Ok(())
        }
    }
}
