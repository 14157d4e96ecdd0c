//! `liaison`: the server and its admin commands.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use server::config::{AuditCommand, Cli, Command};
use server::{commands, key_commands, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.global.log_format);
    let result = match &cli.command {
        Command::Serve(args) => commands::serve(&cli.global, args).await,
        Command::Migrate => commands::migrate(&cli.global).await,
        Command::Bootstrap(args) => commands::bootstrap(&cli.global, args).await,
        Command::Bench(args) => server::bench::run(args).await,
        Command::Audit(AuditCommand::Verify { org }) => {
            commands::audit_verify(&cli.global, org.as_deref()).await
        }
        Command::Keys(command) => key_commands::keys(&cli.global, command).await,
        Command::ApiKeys(command) => key_commands::api_keys(&cli.global, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("liaison: {e:#}");
            ExitCode::FAILURE
        }
    }
}
