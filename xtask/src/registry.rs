//! The one-line registrations a new module needs in files that list modules: `mod`
//! lines, the feature list, the migration list. Each edit inserts lines and changes
//! nothing else; it refuses when the file is not shaped as expected.

use anyhow::{Context as _, bail};

/// One edit of an existing file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The file, relative to the workspace root.
    pub path: String,
    /// The lines it adds, for `--dry-run`.
    pub added: Vec<String>,
    /// The file's new text.
    pub text: String,
}

/// Adds `line` (`pub mod comment;`) to the last block of lines shaped like it (same
/// prefix up to the name), keeping the block sorted.
///
/// # Errors
/// When the file has no such block, or already has the line.
pub fn add_mod_line(path: &str, text: &str, line: &str) -> anyhow::Result<Edit> {
    let prefix = line
        .rsplit_once(' ')
        .map(|(head, _)| format!("{head} "))
        .context("a mod line has a name")?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.contains(&line) {
        bail!("{path} already has `{line}`: is the module there already?");
    }
    let is_mod = |l: &str| l.starts_with(&prefix) && l.ends_with(';') && !l.contains('{');
    let last = lines
        .iter()
        .rposition(|l| is_mod(l))
        .with_context(|| format!("{path} has no `{prefix}…;` lines to add `{line}` to"))?;
    let mut first = last;
    while first > 0 && is_mod(lines[first - 1]) {
        first -= 1;
    }
    let at = (first..=last)
        .find(|&i| lines[i] > line)
        .unwrap_or(last + 1);
    Ok(Edit {
        path: path.to_owned(),
        added: vec![line.to_owned()],
        text: insert(&lines, at, &[line], text.ends_with('\n')),
    })
}

/// Adds `line` right before the first line equal to `before` that follows a line
/// containing `after` (`comment::wire(w)?,` before the `    ))` that ends `wire_all`).
///
/// # Errors
/// When the anchor is missing, or the line is already there.
pub fn add_line_before(
    path: &str,
    text: &str,
    after: &str,
    before: &str,
    line: &str,
) -> anyhow::Result<Edit> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.iter().any(|l| l.trim() == line.trim()) {
        bail!("{path} already has `{}`", line.trim());
    }
    let start = lines
        .iter()
        .position(|l| l.contains(after))
        .with_context(|| format!("{path} has no `{after}`"))?;
    let at = lines[start..]
        .iter()
        .position(|l| *l == before)
        .map(|offset| start + offset)
        .with_context(|| format!("{path} has no `{before}` after `{after}`"))?;
    Ok(Edit {
        path: path.to_owned(),
        added: vec![line.to_owned()],
        text: insert(&lines, at, &[line], text.ends_with('\n')),
    })
}

/// Adds `line` right after the last line containing `marker`.
///
/// # Errors
/// When no line contains `marker`, or the line is already there.
pub fn add_line_after_last(
    path: &str,
    text: &str,
    marker: &str,
    line: &str,
) -> anyhow::Result<Edit> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.iter().any(|l| l.trim() == line.trim()) {
        bail!("{path} already has `{}`", line.trim());
    }
    let last = lines
        .iter()
        .rposition(|l| l.contains(marker))
        .with_context(|| format!("{path} has no line with `{marker}`"))?;
    Ok(Edit {
        path: path.to_owned(),
        added: vec![line.to_owned()],
        text: insert(&lines, last + 1, &[line], text.ends_with('\n')),
    })
}

fn insert(lines: &[&str], at: usize, new: &[&str], newline_at_end: bool) -> String {
    let mut all: Vec<&str> = lines[..at].to_vec();
    all.extend_from_slice(new);
    all.extend_from_slice(&lines[at..]);
    let mut text = all.join("\n");
    if newline_at_end {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mod_line_goes_into_its_block_in_order() {
        let text = "//! doc\n\npub mod auth;\npub mod blog;\npub mod user;\n\nuse x;\n";
        let edit = add_mod_line("lib.rs", text, "pub mod comment;").expect("added");
        assert_eq!(
            edit.text,
            "//! doc\n\npub mod auth;\npub mod blog;\npub mod comment;\npub mod user;\n\nuse x;\n"
        );
        assert!(add_mod_line("lib.rs", &edit.text, "pub mod comment;").is_err());
        let last = add_mod_line("lib.rs", text, "pub mod zebra;").expect("added");
        assert!(last.text.contains("pub mod user;\npub mod zebra;\n"));
    }

    #[test]
    fn a_line_goes_before_the_anchor_that_follows_its_marker() {
        let text =
            "fn other() {\n    ))\n}\nfn wire_all() {\n    Ok((\n        a::wire(w)?,\n    ))\n}\n";
        let edit = add_line_before(
            "mod.rs",
            text,
            "fn wire_all",
            "    ))",
            "        b::wire(w)?,",
        )
        .expect("added");
        assert!(
            edit.text
                .ends_with("        a::wire(w)?,\n        b::wire(w)?,\n    ))\n}\n")
        );
        assert!(add_line_before("mod.rs", text, "fn nothing", "    ))", "x").is_err());
    }

    #[test]
    fn a_line_goes_after_the_last_marked_one() {
        let text = "vec![\n    Box::new(a::M),\n    Box::new(b::M),\n]\n";
        let edit =
            add_line_after_last("lib.rs", text, "Box::new(", "    Box::new(c::M),").expect("added");
        assert_eq!(
            edit.text,
            "vec![\n    Box::new(a::M),\n    Box::new(b::M),\n    Box::new(c::M),\n]\n"
        );
    }
}
