//! The `qblog` command line: `serve` (the default), `migrate up|down|status`,
//! `blog restore <id>`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use qblog_application::blog::BlogService;
use qblog_domain::blog::{BlogError, BlogId};
use qblog_infrastructure::database::{self, MigrationStep};
use qblog_interface::lifecycle::Lifecycle;

use crate::features::{self, BlogModuleInterface, Wiring};
use crate::settings::{Environment, Settings};
use crate::startup::{self, Application};
use crate::telemetry;
use qblog_logs as logs;

/// qblog: a blog service with QR-code login.
#[derive(Debug, Parser)]
#[command(name = "qblog", version, about)]
pub struct Cli {
    /// Directory whose default.toml and <APP_ENV>.toml override the shipped ones,
    /// which are compiled in. Without it, ./config is read when it is there.
    #[arg(long, global = true, env = "QBLOG_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP until SIGTERM or SIGINT.
    Serve,
    /// Manage the database schema.
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Operator actions on blogs.
    Blog {
        /// The blog action.
        #[command(subcommand)]
        action: BlogAction,
    },
    /// The configuration.
    Config {
        /// The config action.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Access-log tools.
    Logs {
        /// The logs action.
        #[command(subcommand)]
        action: LogsAction,
    },
}

/// `qblog config …`
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ConfigAction {
    /// Load and check the configuration as `serve` would, print the effective
    /// settings as TOML (passwords and keys redacted), and exit: 0 when they are
    /// usable, 2 when not.
    Check,
}

/// `qblog logs …`
#[derive(Debug, Clone, Subcommand)]
pub enum LogsAction {
    /// Report browser share, status classes, top routes, latency percentiles and
    /// requests per hour from access-log files (rotated and `.gz` ones too).
    Analyze {
        /// The access-log files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// How many routes to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
}

/// `qblog blog …`
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum BlogAction {
    /// Make a deleted blog live again.
    Restore {
        /// The blog's id.
        id: i64,
    },
}

/// `qblog migrate …`
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

/// `qblog config check`: the settings as loaded, with where they came from.
fn print_settings(settings: &Settings, config_dir: &std::path::Path) -> ExitCode {
    match toml::to_string_pretty(settings) {
        Ok(text) => {
            println!(
                "# qblog {}: the effective settings (APP_ENV={}); shipped defaults, then \
                 {}/default.toml and {}/{}.toml where present, then APP__ variables.\n\
                 # Passwords and keys are redacted.\n",
                env!("CARGO_PKG_VERSION"),
                settings.environment.as_str(),
                config_dir.display(),
                config_dir.display(),
                settings.environment.as_str(),
            );
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("qblog: the settings could not be printed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the parsed command line; the exit code is 0 on success, 1 on a runtime
/// failure and 2 on unusable configuration.
pub async fn run(cli: Cli) -> ExitCode {
    // Analysing logs needs no configuration: it may run anywhere the files are.
    if let Some(Command::Logs { action }) = &cli.command {
        return analyze_logs(action);
    }
    let config_dir = match &cli.config_dir {
        Some(dir) if !dir.is_dir() => {
            eprintln!(
                "qblog: the configuration directory {} does not exist (--config-dir or \
                 QBLOG_CONFIG_DIR)",
                dir.display()
            );
            return ExitCode::from(2);
        }
        Some(dir) => dir.clone(),
        None => PathBuf::from("config"),
    };
    let settings = match Environment::from_env()
        .and_then(|environment| Settings::load(&config_dir, environment))
    {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("qblog: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Config {
        action: ConfigAction::Check,
    }) = &cli.command
    {
        return print_settings(&settings, &config_dir);
    }
    telemetry::init(&settings.log);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Blog { action } => blog(&settings, action).await,
        Command::Logs { .. } | Command::Config { .. } => Ok(()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "qblog stopped with an error");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let base = &settings.server.public_base_url;
    tracing::info!(
        environment = settings.environment.as_str(),
        store = if settings.uses_embedded_store() {
            "embedded"
        } else {
            "redis"
        },
        "qblog listening on http://{}",
        app.address()
    );
    tracing::info!("API docs:  {base}/docs  (OpenAPI: {base}/openapi.json)");
    tracing::info!("pages:     {base}/  ·  {base}/qrcode-login");
    tracing::info!("health:    {base}/health/ready");
    app.run_until(startup::shutdown_signal()).await?;
    tracing::info!("qblog stopped");
    Ok(())
}

fn analyze_logs(action: &LogsAction) -> ExitCode {
    let LogsAction::Analyze { files, json, top } = action;
    let analysis = match logs::analyze_files(files, *top) {
        Ok(analysis) => analysis,
        Err(err) => {
            eprintln!("qblog: cannot read the logs: {err}");
            return ExitCode::FAILURE;
        }
    };
    let rendered = if *json {
        logs::render_json(&analysis).unwrap_or_default()
    } else {
        logs::render_table(&analysis)
    };
    let mut stdout = std::io::stdout().lock();
    if std::io::Write::write_all(&mut stdout, rendered.as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn blog(settings: &Settings, action: BlogAction) -> anyhow::Result<()> {
    match action {
        BlogAction::Restore { id } => restore_blog(settings, id).await,
    }
}

/// `qblog blog restore <id>`: makes a deleted blog live again through the same
/// `BlogService` the HTTP API uses.
///
/// # Errors
/// When no deleted blog has the id, or the database cannot be reached.
pub async fn restore_blog(settings: &Settings, id: i64) -> anyhow::Result<()> {
    let id = BlogId::parse("id", &id.to_string())?;
    let db = startup::connect_database(settings).await?;
    let (core, _listeners) = startup::build_core(settings, db)?;
    let (_lifecycle_control, lifecycle) = Lifecycle::new();
    let mut wiring = Wiring::new(settings, core, lifecycle);
    features::wire_all(&mut wiring)?;
    let blogs: Arc<dyn BlogService> = wiring.module::<dyn BlogModuleInterface>()?.resolve();
    match blogs.restore(id).await {
        Ok(()) => {
            tracing::info!(blog_id = %id, "blog restored");
            Ok(())
        }
        Err(BlogError::NotFound) => anyhow::bail!("no deleted blog has id {id}"),
        Err(err) => Err(err.into()),
    }
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = startup::connect_database(settings).await?;
    match action {
        MigrateAction::Up => {
            database::run_migrations(&db, MigrationStep::Up).await?;
            tracing::info!("all migrations applied");
        }
        MigrateAction::Down => {
            database::run_migrations(&db, MigrationStep::DownOne).await?;
            tracing::info!("rolled back the newest migration");
        }
        MigrateAction::Status => {
            for (name, applied) in database::migration_status(&db).await? {
                let state = if applied { "applied" } else { "pending" };
                tracing::info!(migration = name, state, "migration");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_command_line_parses_as_documented() {
        let cli = Cli::try_parse_from(["qblog", "blog", "restore", "42"]).expect("parses");
        assert!(matches!(
            cli.command,
            Some(Command::Blog {
                action: BlogAction::Restore { id: 42 }
            })
        ));
        let cli = Cli::try_parse_from(["qblog", "--config-dir", "/etc/qblog", "migrate", "status"])
            .expect("parses");
        assert_eq!(cli.config_dir, Some(PathBuf::from("/etc/qblog")));
        assert!(
            Cli::try_parse_from(["qblog"])
                .expect("parses")
                .command
                .is_none()
        );
        assert!(Cli::try_parse_from(["qblog", "blog", "restore", "x"]).is_err());
    }
}
