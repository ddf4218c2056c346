//! `new-module`: what it writes and registers, checked before anything is written.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use chrono::{DateTime, Utc};

use crate::fields::{Blocks, Field, Kind};
use crate::names::{Names, capitalised};
use crate::registry::{self, Edit};
use crate::template::{Context, render};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The module's name.
    pub name: Names,
    /// The feature its records belong to (`--belongs-to`).
    pub parent: Option<Names>,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// Everything `new-module` will do.
#[derive(Debug)]
pub struct Plan {
    /// New files, relative to the root, with their text.
    pub files: Vec<(String, String)>,
    /// Registrations in existing files.
    pub edits: Vec<Edit>,
}

/// The templates, by the file each becomes (`{n}` is the module's name, `{m}` the
/// migration's).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "crates/domain/src/{n}/mod.rs",
        include_str!("../templates/domain_mod.rs.tmpl"),
    ),
    (
        "crates/domain/src/{n}/model.rs",
        include_str!("../templates/domain_model.rs.tmpl"),
    ),
    (
        "crates/domain/src/{n}/error.rs",
        include_str!("../templates/domain_error.rs.tmpl"),
    ),
    (
        "crates/domain/src/{n}/ports.rs",
        include_str!("../templates/domain_ports.rs.tmpl"),
    ),
    (
        "crates/infrastructure/src/{n}/mod.rs",
        include_str!("../templates/infra_mod.rs.tmpl"),
    ),
    (
        "crates/infrastructure/src/{n}/entity.rs",
        include_str!("../templates/infra_entity.rs.tmpl"),
    ),
    (
        "crates/infrastructure/src/{n}/repository.rs",
        include_str!("../templates/infra_repository.rs.tmpl"),
    ),
    (
        "migrations/src/{m}.rs",
        include_str!("../templates/migration.rs.tmpl"),
    ),
    (
        "crates/application/src/{n}/mod.rs",
        include_str!("../templates/app_mod.rs.tmpl"),
    ),
    (
        "crates/application/src/{n}/service.rs",
        include_str!("../templates/app_service.rs.tmpl"),
    ),
    (
        "crates/application/src/{n}/service_tests.rs",
        include_str!("../templates/app_service_tests.rs.tmpl"),
    ),
    (
        "crates/interface/src/{n}/mod.rs",
        include_str!("../templates/iface_mod.rs.tmpl"),
    ),
    (
        "crates/interface/src/{n}/dto.rs",
        include_str!("../templates/iface_dto.rs.tmpl"),
    ),
    (
        "crates/interface/src/{n}/controller.rs",
        include_str!("../templates/iface_controller.rs.tmpl"),
    ),
    (
        "crates/interface/src/{n}/errors.rs",
        include_str!("../templates/iface_errors.rs.tmpl"),
    ),
    (
        "crates/server/src/features/{n}.rs",
        include_str!("../templates/feature.rs.tmpl"),
    ),
    (
        "tests/api/{n}.rs",
        include_str!("../templates/api_test.rs.tmpl"),
    ),
];

/// Plans the module `spec` in the workspace at `root`, as of `now` (which dates the
/// migration).
///
/// # Errors
/// When the module exists already, the parent is not a feature others can belong to,
/// or a file to edit is not shaped as expected.
pub fn plan(root: &Path, spec: &Spec, now: DateTime<Utc>) -> anyhow::Result<Plan> {
    let n = &spec.name.snake;
    ensure!(
        !spec.fields.is_empty(),
        "give at least one --field name:kind"
    );
    for (i, field) in spec.fields.iter().enumerate() {
        ensure!(
            !spec.fields[..i].iter().any(|f| f.name == field.name),
            "the field {} is given twice",
            field.name
        );
    }
    for crate_dir in ["domain", "application", "infrastructure", "interface"] {
        let taken = root.join(format!("crates/{crate_dir}/src/{n}"));
        let file = root.join(format!("crates/{crate_dir}/src/{n}.rs"));
        ensure!(
            !taken.exists() && !file.exists(),
            "crates/{crate_dir}/src already has a module named {n}"
        );
    }
    if let Some(parent) = &spec.parent {
        check_parent(root, &spec.name, parent)?;
    }
    let migration = migration_name(root, &spec.name, now)?;
    let context = context(spec, &migration);
    let mut files = Vec::new();
    for (path, template) in TEMPLATES {
        let path = path.replace("{n}", n).replace("{m}", &migration);
        ensure!(!root.join(&path).exists(), "{path} exists already");
        let text = render(template, &context).with_context(|| format!("rendering {path}"))?;
        files.push((path, text));
    }
    Ok(Plan {
        files,
        edits: registrations(root, n, &migration)?,
    })
}

/// Checks that `parent` is a feature whose records others may belong to: its domain
/// has a repository with `exists`, the server wires it behind an interface trait, and
/// its API tests can make one.
fn check_parent(root: &Path, module: &Names, parent: &Names) -> anyhow::Result<()> {
    ensure!(parent != module, "a module cannot belong to itself");
    let p = &parent.snake;
    let needs = [
        (
            format!("crates/domain/src/{p}/ports.rs"),
            format!("async fn exists(&self, id: {}Id)", parent.pascal),
        ),
        (
            format!("crates/server/src/features/{p}.rs"),
            format!("pub trait {}ModuleInterface", parent.pascal),
        ),
        (
            "crates/server/src/features/mod.rs".to_owned(),
            format!("pub mod {p};"),
        ),
        (
            format!("tests/api/{p}.rs"),
            format!("pub(crate) async fn new_{p}("),
        ),
    ];
    for (path, wanted) in needs {
        let text = std::fs::read_to_string(root.join(&path)).with_context(|| {
            format!("--belongs-to {p}: no {path}; is {p} a feature of this workspace?")
        })?;
        if !text.contains(&wanted) {
            bail!(
                "--belongs-to {p}: {path} lacks `{wanted}`, which a feature others belong \
                 to provides (see docs/modules.md, \"Belonging to another feature\")"
            );
        }
    }
    Ok(())
}

/// `m<date>_<sequence>_create_<plural>`: dated today or on the last migration's date,
/// whichever is later, numbered after it, so it sorts — and runs — last.
fn migration_name(root: &Path, module: &Names, now: DateTime<Utc>) -> anyhow::Result<String> {
    let lib = std::fs::read_to_string(root.join("migrations/src/lib.rs"))
        .context("reading migrations/src/lib.rs")?;
    let last = lib
        .lines()
        .filter_map(|line| line.strip_prefix("mod m")?.strip_suffix(';'))
        .filter_map(|name| {
            let (date, rest) = name.split_once('_')?;
            let (sequence, _) = rest.split_once('_')?;
            Some((date.to_owned(), sequence.parse::<u32>().ok()?))
        })
        .max()
        .context("migrations/src/lib.rs lists no migration like `mod m20261120_000001_…;`")?;
    let today = now.format("%Y%m%d").to_string();
    let date = today.max(last.0);
    Ok(format!(
        "m{date}_{:06}_create_{}",
        last.1 + 1,
        module.plural
    ))
}

fn context(spec: &Spec, migration: &str) -> Context {
    let mut c = Context::default();
    let n = &spec.name;
    c.set("name", &n.snake);
    c.set("Name", &n.pascal);
    c.set("names", &n.plural);
    c.set("Names", &n.plural_pascal);
    c.set("words", &n.words);
    c.set("Words", capitalised(&n.words));
    c.set("words_plural", &n.words_plural);
    c.set("Words_plural", capitalised(&n.words_plural));
    c.set("migration", migration);
    let parent = spec.parent.clone();
    c.flag("parent", parent.is_some());
    let p = parent.unwrap_or_else(|| n.clone());
    c.set("parent", &p.snake);
    c.set("Parent", &p.pascal);
    c.set("parents", &p.plural);
    c.set("Parents", &p.plural_pascal);
    c.set("parent_words", &p.words);
    c.set("parent_words_plural", &p.words_plural);
    let kinds: Vec<Kind> = spec.fields.iter().map(|f| f.kind).collect();
    c.flag("texts", kinds.iter().any(|k| k.is_text()));
    c.flag("timestamps", kinds.contains(&Kind::Timestamp));
    c.flag("long_text", kinds.contains(&Kind::RichText));
    for (key, block) in Blocks::new(n, &spec.fields).all() {
        c.set(key, block);
    }
    c
}

fn registrations(root: &Path, n: &str, migration: &str) -> anyhow::Result<Vec<Edit>> {
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).with_context(|| format!("reading {path}"))
    };
    let mut edits = Vec::new();
    for path in [
        "crates/domain/src/lib.rs",
        "crates/application/src/lib.rs",
        "crates/infrastructure/src/lib.rs",
        "crates/interface/src/lib.rs",
    ] {
        edits.push(registry::add_mod_line(
            path,
            &read(path)?,
            &format!("pub mod {n};"),
        )?);
    }
    let features = "crates/server/src/features/mod.rs";
    let with_mod = registry::add_mod_line(features, &read(features)?, &format!("pub mod {n};"))?;
    let wired = registry::add_line_before(
        features,
        &with_mod.text,
        "pub fn wire_all",
        "    ))",
        &format!("        {n}::wire(w)?,"),
    )?;
    edits.push(Edit {
        added: [with_mod.added, wired.added].concat(),
        ..wired
    });
    let migrations = "migrations/src/lib.rs";
    let with_mod =
        registry::add_mod_line(migrations, &read(migrations)?, &format!("mod {migration};"))?;
    let listed = registry::add_line_after_last(
        migrations,
        &with_mod.text,
        "Box::new(m",
        &format!("            Box::new({migration}::Migration),"),
    )?;
    edits.push(Edit {
        added: [with_mod.added, listed.added].concat(),
        ..listed
    });
    let api_tests = "tests/api/main.rs";
    edits.push(registry::add_mod_line(
        api_tests,
        &read(api_tests)?,
        &format!("mod {n};"),
    )?);
    Ok(edits)
}

/// Writes the plan: the new files, then the edits, then formats the new files.
///
/// # Errors
/// When a file cannot be written, or rustfmt fails.
pub fn apply(root: &Path, plan: &Plan) -> anyhow::Result<()> {
    let mut written: Vec<PathBuf> = Vec::new();
    for (path, text) in &plan.files {
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&full, text).with_context(|| format!("writing {path}"))?;
        written.push(full);
    }
    for edit in &plan.edits {
        std::fs::write(root.join(&edit.path), &edit.text)
            .with_context(|| format!("writing {}", edit.path))?;
    }
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&written)
        .status()
        .context("running rustfmt (install it with `rustup component add rustfmt`)")?;
    ensure!(status.success(), "rustfmt failed on the generated files");
    Ok(())
}
