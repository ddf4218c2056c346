//! `cargo xtask`: project chores that are not part of the qblog binary.
//!
//! ```text
//! cargo xtask new-module <name> [--belongs-to <feature>] [--field <name>:<kind>]… [--dry-run]
//! ```
//!
//! `new-module` writes a CRUD feature through every layer, in the house style, and
//! registers it (docs/modules.md says what it writes and what to change next). Kinds:
//! `text` (1 to 1,000 characters of plain text), `rich_text` (sanitised HTML),
//! `int`, `bool`, `timestamp`.

mod fields;
mod generate;
mod names;
mod registry;
mod template;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::fields::Field;
use crate::generate::Spec;
use crate::names::Names;

const USAGE: &str = "usage: cargo xtask new-module <name> [--belongs-to <feature>] \
                     [--field <name>:<text|rich_text|int|bool|timestamp>]... [--dry-run]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("new-module") => new_module(args.collect()),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n{USAGE}"),
    }
}

fn new_module(args: Vec<String>) -> anyhow::Result<()> {
    let mut name = None;
    let mut parent = None;
    let mut fields = Vec::new();
    let mut dry_run = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--belongs-to" => {
                let value = args.next().context("--belongs-to needs a feature name")?;
                parent = Some(Names::new(&value).context("--belongs-to")?);
            }
            "--field" => {
                fields.push(Field::parse(
                    &args.next().context("--field needs name:kind")?,
                )?);
            }
            "--dry-run" => dry_run = true,
            flag if flag.starts_with('-') => bail!("unknown option {flag:?}\n{USAGE}"),
            _ if name.is_none() => name = Some(Names::new(&arg)?),
            _ => bail!("one module at a time ({arg:?} is extra)\n{USAGE}"),
        }
    }
    let spec = Spec {
        name: name.with_context(|| format!("name the module\n{USAGE}"))?,
        parent,
        fields,
    };
    let root = workspace_root()?;
    let plan = generate::plan(&root, &spec, chrono::Utc::now())?;
    for (path, text) in &plan.files {
        println!(
            "{} {path} ({} lines)",
            if dry_run { "would write" } else { "writes" },
            text.lines().count()
        );
    }
    for edit in &plan.edits {
        for line in &edit.added {
            println!(
                "{} {}: {}",
                if dry_run { "would add to" } else { "adds to" },
                edit.path,
                line.trim()
            );
        }
    }
    if dry_run {
        return Ok(());
    }
    generate::apply(&root, &plan)?;
    println!(
        "\n{} is ready: run the tests (README.md), then see docs/modules.md for what to change next.\n\
         Its routes are new to the API: list them in docs/api-contract.md and, once reviewed,\n\
         refresh tests/api/snapshots/openapi.json (QBLOG_UPDATE_SNAPSHOTS=1, see docs/modules.md).",
        spec.name.snake
    );
    Ok(())
}

/// The workspace `cargo xtask` was run in: the nearest directory from here up whose
/// `Cargo.toml` declares a workspace with the xtask in it. (Not the directory this
/// binary was built from: a copy of the workspace sharing a target directory would
/// reuse the binary and write into the original.)
fn workspace_root() -> anyhow::Result<PathBuf> {
    let here = std::env::current_dir().context("reading the current directory")?;
    here.ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|toml| toml.contains("[workspace]") && toml.contains("\"xtask\""))
        })
        .map(Path::to_path_buf)
        .with_context(|| format!("{} is not inside the qblog workspace", here.display()))
}
