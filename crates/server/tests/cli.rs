//! The `qblog` binary as an operator runs it, from a directory of their choosing.

use std::process::{Command, Output};

/// Runs `qblog args…` in an empty directory with `variables` (and no `APP__…`
/// variables from the test's own environment).
fn qblog(args: &[&str], variables: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_qblog"));
    command.args(args).current_dir(dir.path());
    for (name, _) in std::env::vars() {
        if name.starts_with("APP__") || name == "APP_ENV" || name == "QBLOG_CONFIG_DIR" {
            command.env_remove(name);
        }
    }
    command.envs(variables.iter().copied());
    command.output().expect("qblog ran")
}

#[test]
fn config_check_runs_anywhere_and_prints_the_settings_without_secrets() {
    let output = qblog(
        &["config", "check"],
        &[
            ("APP_ENV", "production"),
            (
                "APP__AUTH__JWT_SECRET",
                "a-signing-key-of-at-least-32-bytes!!",
            ),
            (
                "APP__DATABASE__URL",
                "postgres://qblog:hunter2@db.internal/qblog",
            ),
            ("APP__AUTH__ALLOWED_ORIGINS", r#"["https://blog.example"]"#),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("APP_ENV=production"), "{stdout}");
    // The production overlay is compiled in too.
    assert!(stdout.contains("cookie_secure = true"), "{stdout}");
    assert!(stdout.contains(r#""https://blog.example""#), "{stdout}");
    assert!(
        stdout.contains("postgres://qblog:[REDACTED]@db.internal/qblog"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(!stdout.contains("a-signing-key"), "{stdout}");
}

#[test]
fn config_check_refuses_unusable_settings_with_exit_code_2() {
    let output = qblog(
        &["config", "check"],
        &[("APP__SERVER__PUBLIC_BASE_URL", "nope")],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.public_base_url"), "{stderr}");
}

#[test]
fn a_config_directory_that_does_not_exist_is_named() {
    let output = qblog(
        &["--config-dir", "/no/such/qblog/config", "config", "check"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/no/such/qblog/config"), "{stderr}");
}
