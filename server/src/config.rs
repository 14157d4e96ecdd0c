//! Typed configuration, parsed once at start. Every flag is also an environment variable
//! `LIAISON_*`; a missing or malformed value names itself in the error.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

#[derive(Debug, Parser)]
#[command(name = "liaison", version, about = "Liaison: secure external sharing")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Folder for the SQLite file, blobs and the generated master key.
    #[arg(
        long,
        env = "LIAISON_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// sqlite://PATH or postgres://…; defaults to sqlite://<data dir>/liaison.db.
    #[arg(
        long,
        env = "LIAISON_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<SecretString>,
    /// 32 bytes, base64: seals signing keys at rest. Required in production and for several
    /// nodes (all must share it); otherwise generated once into <data dir>/master.key.
    #[arg(
        long,
        env = "LIAISON_MASTER_KEY",
        hide_env_values = true,
        global = true
    )]
    pub master_key: Option<SecretString>,
    /// Where documents, attachments, logos and the page cache live: `s3://bucket/prefix`
    /// (endpoint, region and credentials from `AWS_*`; every node of a PostgreSQL
    /// deployment names the same one) or `file:///folder`; defaults to <data dir>/blobs.
    #[arg(long, env = "LIAISON_BLOB_URL", global = true)]
    pub blob_url: Option<String>,
    /// How long a request to a remote blob store is retried before the caller is told
    /// the store is unavailable.
    #[arg(
        long,
        env = "LIAISON_BLOB_RETRY_SECONDS",
        default_value_t = 10,
        global = true
    )]
    pub blob_retry_seconds: u64,
    #[arg(long, env = "LIAISON_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, then serve the console, portal and APIs.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Create an organisation and its first admin; prints a one-time password and an API key.
    Bootstrap(BootstrapArgs),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure the figures of docs/PERFORMANCE.md on this machine.
    Bench(BenchArgs),
    /// Portal session signing keys (the JWKS).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Admin API keys, acting as an administrator of this installation.
    #[command(subcommand, name = "api-keys")]
    ApiKeys(ApiKeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Publish a new signing key now; it signs from `--publish-lead-seconds` on (420 at
    /// least), and the key it replaces is retired once every token it signed has expired.
    Rotate {
        #[arg(long, default_value_t = backend::services::signing_keys::DEFAULT_LEAD_SECS)]
        publish_lead_seconds: u32,
    },
    /// The keys with their state: pending, signing, verifying or retired.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key acting as the administrator `--admin-email`; prints the secret once.
    Create {
        #[arg(long)]
        admin_email: String,
        #[arg(long)]
        name: String,
        /// `read` (changes nothing) or `admin` (everything the owner's role may do).
        #[arg(long, default_value = "read", value_parser = ["read", "admin"])]
        scope: String,
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// The administrator's organisation's keys.
    List {
        #[arg(long)]
        admin_email: String,
    },
    /// Revoke a key by id: its next request is refused.
    Revoke {
        #[arg(long)]
        admin_email: String,
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Only these benchmarks: pbkdf2, portal, audit, shares, analytics, reviews, ws, viewer
    /// (default: all).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Idle sockets in the live channel's memory benchmark.
    #[arg(long, default_value_t = 10_000)]
    pub sockets: usize,
    /// Sockets following one document in the live channel's fan-out and revocation
    /// benchmarks.
    #[arg(long, default_value_t = 1_000)]
    pub followers: usize,
    /// Shares in the active-shares benchmark.
    #[arg(long, default_value_t = 1_000_000)]
    pub shares: usize,
    /// Events in the audit benchmark.
    #[arg(long, default_value_t = 100_000)]
    pub audit_events: usize,
    /// Audit events behind the analytics pages in the analytics benchmark.
    #[arg(long, default_value_t = 10_000_000)]
    pub analytics_events: usize,
    /// Seconds per throughput measurement.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// A PostgreSQL server where temporary benchmark databases are created and dropped.
    #[arg(
        long,
        env = "LIAISON_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recomputes every organisation's hash chain and names each edited, deleted or
    /// reordered event. Exits 1 if any chain is broken.
    Verify {
        /// Only this organisation (id).
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "LIAISON_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// The URL people use to reach this server (portal JWT issuer and audience, links).
    /// Defaults to http://<bind>.
    #[arg(long, env = "LIAISON_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// The built front end (pkg/ with wasm, js, css).
    #[arg(long, env = "LIAISON_SITE_DIR", default_value = "target/site")]
    pub site_dir: PathBuf,
    #[arg(long, env = "LIAISON_MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Concurrent PBKDF2 computations (default: cores − 1, at least 1).
    #[arg(long, env = "LIAISON_HASH_WORKERS")]
    pub hash_workers: Option<usize>,
    /// Page renderer processes at once for the protected viewer (default: cores − 1, at
    /// least 1). The renderer is `liaison-render` beside this binary, or LIAISON_RENDER_BIN.
    #[arg(long, env = "LIAISON_RENDER_WORKERS")]
    pub render_workers: Option<usize>,
    /// The most the viewer's page cache holds, in MiB (least recently used pages go first).
    #[arg(long, env = "LIAISON_PAGE_CACHE_MB", default_value_t = 512,
          value_parser = clap::value_parser!(u64).range(16..))]
    pub page_cache_mb: u64,
    /// Portal session lifetime in seconds (at most 900).
    #[arg(long, env = "LIAISON_PORTAL_SESSION_SECONDS", default_value_t = 900,
          value_parser = clap::value_parser!(u32).range(30..=900))]
    pub portal_session_seconds: u32,
    /// Proxies (CIDR, comma-separated) whose X-Forwarded-For is believed; nobody else's is.
    #[arg(long, env = "LIAISON_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The DNS server (ip:port) custom portal domains are verified against (default: the
    /// system's resolver).
    #[arg(long, env = "LIAISON_DNS_RESOLVER")]
    pub dns_resolver: Option<std::net::SocketAddr>,
    /// A key (at least 32 characters) that lets a TLS proxy on another host use the
    /// on-demand TLS ask (`…/internal/tls/ask?key=…`). Without it only a local proxy may.
    #[arg(long, env = "LIAISON_TLS_ASK_KEY", hide_env_values = true, value_parser = parse_ask_key)]
    pub tls_ask_key: Option<secrecy::SecretString>,
    /// The port guests reach portals' custom domains on, over https through the TLS proxy
    /// (links are made with it, and a Host with another port is no portal's).
    #[arg(long, env = "LIAISON_CUSTOM_DOMAIN_PORT", default_value_t = 443,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub custom_domain_port: u16,
    /// Let identity-provider fetches (SAML metadata URLs, OIDC discovery, keys, tokens)
    /// reach private and loopback addresses and plain http: for on-premises IdPs and tests.
    #[arg(
        long,
        env = "LIAISON_FEDERATION_ALLOW_PRIVATE_NETWORKS",
        default_value_t = false
    )]
    pub federation_allow_private_networks: bool,
    /// A GeoIP2/GeoLite2-Country .mmdb file, needed by the "allowed countries" share rule.
    #[arg(long, env = "LIAISON_GEOIP_DB")]
    pub geoip_db: Option<PathBuf>,
    /// SMTP server for outgoing mail. Without it, mail stays in the console's local outbox.
    #[arg(long, env = "LIAISON_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "LIAISON_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// none (a relay on this host or network only), starttls (required) or tls (SMTPS).
    #[arg(long, env = "LIAISON_SMTP_TLS", value_enum, default_value_t = SmtpTlsArg::Starttls)]
    pub smtp_tls: SmtpTlsArg,
    #[arg(long, env = "LIAISON_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "LIAISON_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<SecretString>,
    /// The From address of every mail.
    #[arg(
        long,
        env = "LIAISON_MAIL_FROM",
        default_value = "Liaison <no-reply@liaison.invalid>"
    )]
    pub mail_from: String,
    /// Requests per minute one client address may make to share links and guest opens
    /// (per node; a burst of half of it is allowed).
    #[arg(long, env = "LIAISON_GUEST_REQUESTS_PER_MINUTE", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub guest_requests_per_minute: u32,
    /// Requests per minute one client address may make to sign-in endpoints (console
    /// password, staff and partner single sign-on, SAML ACS, OIDC callback).
    #[arg(long, env = "LIAISON_SIGN_IN_REQUESTS_PER_MINUTE", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_in_requests_per_minute: u32,
    /// Requests per minute one client address may make to the protected viewer: page
    /// images, document views, downloads and leak traces (per node; a burst of half).
    #[arg(long, env = "LIAISON_VIEWER_REQUESTS_PER_MINUTE", default_value_t = 600,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub viewer_requests_per_minute: u32,
    /// Production mode: refuses plain-http public URLs and generated master keys.
    #[arg(long, env = "LIAISON_PRODUCTION", default_value_t = false)]
    pub production: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SmtpTlsArg {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[arg(long, env = "LIAISON_BOOTSTRAP_ORG")]
    pub org: String,
    #[arg(long, env = "LIAISON_BOOTSTRAP_ADMIN_EMAIL")]
    pub admin_email: String,
}

fn parse_ask_key(text: &str) -> Result<secrecy::SecretString, String> {
    if text.trim().chars().count() < 32 {
        return Err(
            "the TLS ask key must be at least 32 characters (say, `openssl rand -hex 32`)".into(),
        );
    }
    Ok(text.trim().into())
}

fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    backend::domain::controls::parse_network(text)
        .ok_or_else(|| format!("{text:?} is not an IP address or CIDR range"))
}

impl ServeArgs {
    /// The mail transport these settings describe.
    pub fn mailer(&self) -> Result<backend::mail::Mailer, String> {
        use backend::mail::{Mailer, SmtpSettings, SmtpTls};
        let Some(host) = &self.smtp_host else {
            return Ok(Mailer::Local);
        };
        Mailer::smtp(&SmtpSettings {
            host: host.clone(),
            port: self.smtp_port,
            tls: match self.smtp_tls {
                SmtpTlsArg::None => SmtpTls::None,
                SmtpTlsArg::Starttls => SmtpTls::StartTls,
                SmtpTlsArg::Tls => SmtpTls::Tls,
            },
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from: self.mail_from.clone(),
        })
    }

    pub fn rate_limits(&self) -> crate::rate_limit::Limits {
        crate::rate_limit::Limits {
            guest_per_minute: self.guest_requests_per_minute,
            sign_in_per_minute: self.sign_in_requests_per_minute,
            viewer_per_minute: self.viewer_requests_per_minute,
        }
    }

    pub fn public_url(&self) -> url::Url {
        self.public_url.clone().unwrap_or_else(|| {
            url::Url::parse(&format!("http://{}", self.bind))
                .expect("a socket address makes a valid URL")
        })
    }
}
