//! The structure rules of docs/ARCHITECTURE.md, checked on the source tree itself:
//! no import cycle between sibling modules of a crate, and no Rust file longer than
//! [`LINES_MAX`] lines, so a newcomer can read any module without going in circles.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace's library and binary crates (folders at the workspace root).
const CRATES: [&str; 8] = [
    "core", "wire", "io", "journal", "replay", "sim", "store", "cli",
];

/// Longest Rust file allowed anywhere in the workspace, tests and examples included.
const LINES_MAX: usize = 800;

/// A module path inside one crate: `["engine", "quoting"]` for `crate::engine::quoting`.
type ModulePath = Vec<String>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "fixtures" && name != "snapshots" {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module a file under `src` defines (`lib.rs`/`main.rs`/`mod.rs` name their folder).
fn module_of(src: &Path, file: &Path) -> ModulePath {
    let relative = file.strip_prefix(src).expect("file under src");
    let mut parts: ModulePath = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("lib" | "main" | "mod")
    ) {
        parts.pop();
    }
    parts
}

/// The file's code without comments and without its `#[cfg(test)] mod tests` tail.
fn code_of(text: &str) -> String {
    let text = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at]);
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the use-tree starting at `rest` (just after `prefix::`), pushing every leaf path.
fn use_tree_paths(rest: &str, prefix: &ModulePath, out: &mut Vec<ModulePath>) {
    let mut path = prefix.clone();
    let mut chars = rest;
    loop {
        chars = chars.trim_start();
        if let Some(inner) = chars.strip_prefix('{') {
            let mut depth = 1usize;
            let mut end = inner.len();
            for (at, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = at;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            for branch in split_top_level(&inner[..end]) {
                use_tree_paths(branch, &path, out);
            }
            return;
        }
        let ident_len = chars
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(chars.len());
        if ident_len == 0 {
            break;
        }
        path.push(chars[..ident_len].to_string());
        chars = &chars[ident_len..];
        match chars.strip_prefix("::") {
            Some(after) => chars = after,
            None => break,
        }
    }
    out.push(path);
}

/// Splits `a, b::{c, d}, e` at the commas outside braces.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .collect()
}

/// Every in-crate module path the code names through `crate::`, `super::` or `self::`.
fn referenced_paths(code: &str, module: &ModulePath, is_folder_root: bool) -> Vec<ModulePath> {
    let here: ModulePath = if is_folder_root {
        module.clone()
    } else {
        module[..module.len().saturating_sub(1)].to_vec()
    };
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("::") {
        let head_start = code[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        if head_start > 0 && bytes[head_start - 1] == b':' {
            continue;
        }
        let mut base = match &code[head_start..at] {
            "crate" => Vec::new(),
            "self" => here.clone(),
            "super" => here[..here.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        let mut rest = &code[at + 2..];
        while let Some(after) = rest.strip_prefix("super::") {
            base.pop();
            rest = after;
        }
        use_tree_paths(rest, &base, &mut out);
    }
    out
}

/// Sibling-module edges: `(parent, from child, to child) → an example (file module, target)`.
type Edges = BTreeMap<ModulePath, BTreeMap<String, BTreeMap<String, (ModulePath, ModulePath)>>>;

fn sibling_edges(crate_dir: &Path) -> Edges {
    let src = crate_dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<ModulePath, PathBuf> = files
        .iter()
        .map(|file| (module_of(&src, file), file.clone()))
        .collect();
    let mut edges = Edges::new();
    for (module, file) in &modules {
        let text = fs::read_to_string(file).expect("readable source");
        let is_folder_root = matches!(
            file.file_stem().and_then(|stem| stem.to_str()),
            Some("lib" | "main" | "mod")
        );
        for mut target in referenced_paths(&code_of(&text), module, is_folder_root) {
            while !target.is_empty() && !modules.contains_key(&target) {
                target.pop();
            }
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common == module.len() || common == target.len() {
                continue;
            }
            edges
                .entry(module[..common].to_vec())
                .or_default()
                .entry(module[common].clone())
                .or_default()
                .entry(target[common].clone())
                .or_insert_with(|| (module.clone(), target.clone()));
        }
    }
    edges
}

/// The strongly connected groups of more than one node (each is an import cycle).
fn cycles(
    graph: &BTreeMap<String, BTreeMap<String, (ModulePath, ModulePath)>>,
) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = graph
        .iter()
        .flat_map(|(from, tos)| std::iter::once(from).chain(tos.keys()))
        .collect();
    let reaches = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flat_map(BTreeMap::keys) {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|node| (*node, reaches(node))).collect();
    let mut grouped = BTreeSet::new();
    let mut out = Vec::new();
    for node in &nodes {
        if grouped.contains(*node) || !reach[node].contains(*node) {
            continue;
        }
        let group: Vec<String> = nodes
            .iter()
            .filter(|other| reach[node].contains(**other) && reach[*other].contains(*node))
            .map(|other| (*other).clone())
            .collect();
        grouped.extend(group.iter().cloned());
        out.push(group);
    }
    out
}

#[test]
fn no_module_imports_a_sibling_that_imports_it_back() {
    let root = workspace_root();
    let mut found = Vec::new();
    for name in CRATES {
        for (parent, graph) in sibling_edges(&root.join(name)) {
            for group in cycles(&graph) {
                let example: Vec<String> = group
                    .iter()
                    .flat_map(|from| {
                        graph[from].iter().filter(|(to, _)| group.contains(to)).map(
                            move |(to, (file, target))| {
                                format!(
                                    "{from} -> {to} (crate::{} names crate::{})",
                                    file.join("::"),
                                    target.join("::")
                                )
                            },
                        )
                    })
                    .collect();
                found.push(format!(
                    "{name}: under crate::{}: {}",
                    parent.join("::"),
                    example.join("; ")
                ));
            }
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_sees_a_cycle_through_braces_and_super() {
    let module_a = vec!["a".to_string()];
    let paths = referenced_paths(
        "use crate::{b::{X, Y}, c};\nuse super::super::d::E;",
        &module_a,
        false,
    );
    assert!(paths.contains(&vec!["b".to_string(), "X".to_string()]));
    assert!(paths.contains(&vec!["c".to_string()]));
    assert!(paths.contains(&vec!["d".to_string(), "E".to_string()]));
    let mut graph = BTreeMap::new();
    let example = (Vec::new(), Vec::new());
    graph.insert(
        "a".to_string(),
        BTreeMap::from([("b".to_string(), example.clone())]),
    );
    graph.insert(
        "b".to_string(),
        BTreeMap::from([("a".to_string(), example.clone())]),
    );
    graph.insert(
        "c".to_string(),
        BTreeMap::from([("a".to_string(), example)]),
    );
    assert_eq!(cycles(&graph), vec![vec!["a".to_string(), "b".to_string()]]);
}

#[test]
fn no_rust_file_is_longer_than_the_limit() {
    let root = workspace_root();
    let mut files = Vec::new();
    for name in CRATES.iter().chain(&["tests"]) {
        rust_files(&root.join(name), &mut files);
    }
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = fs::read_to_string(file).ok()?.lines().count();
            (lines > LINES_MAX).then(|| {
                format!(
                    "{} ({lines} lines)",
                    file.strip_prefix(&root).unwrap_or(file).display()
                )
            })
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "files over {LINES_MAX} lines (split them by topic):\n{}",
        long.join("\n")
    );
}
