//! The documentation's links: every relative link and anchor in README.md and docs/ resolves.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::repo;

/// The anchor GitHub gives a heading: lower case, punctuation dropped (but `-` and `_`), spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown file outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

fn anchors(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    prose(&text)
        .into_iter()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// The targets of the `[text](target)` links of a file.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo("README.md")];
    for entry in std::fs::read_dir(repo("docs")).expect("docs/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

#[test]
fn every_relative_link_and_anchor_in_the_readme_and_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for target in links(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !resolved.exists() {
                broken.push(format!("{}: {target}: no such file", file.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && resolved.extension().is_some_and(|e| e == "md")
                && !anchors(&resolved).contains(anchor)
            {
                broken.push(format!("{}: {target}: no such heading", file.display()));
            }
        }
    }
    assert!(checked > 30, "links were found: {checked}");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_short_and_every_docs_file_opens_with_its_contents() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    assert!(
        readme.len() <= 15_000,
        "README.md is {} characters",
        readme.len()
    );
    for file in documents().into_iter().skip(1) {
        let text = std::fs::read_to_string(&file).unwrap();
        let sections = prose(&text).iter().filter(|l| l.starts_with("## ")).count();
        if sections > 1 {
            assert!(
                text.lines().take(12).any(|l| l.starts_with("Contents: ")),
                "{} has {sections} sections and no contents list at the top",
                file.display()
            );
        }
    }
}

#[test]
fn headings_become_the_anchors_github_gives_them() {
    assert_eq!(slug("Choosing `--rate`"), "choosing---rate");
    assert_eq!(
        slug("Why does an export have `'` in front of some values?"),
        "why-does-an-export-have--in-front-of-some-values"
    );
    assert_eq!(
        slug("1. Check the file: `validate`"),
        "1-check-the-file-validate"
    );
}
