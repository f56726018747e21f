//! Module circles: top-level modules of one crate that reach each other
//! through `crate::` (or a top-level module's `super::`) paths, directly or
//! through others. Each module sits in one layer and uses only the layers
//! below it, so a circle means a concern cut in the wrong place; `cargo
//! xtask lint` (and so `test`) fails on one.
//!
//! A module and its submodules are one node (`cache/mod.rs` and
//! `cache/store.rs` are both `cache`); `#[cfg(test)]` items are left out,
//! since tests may reach anywhere. Sources are parsed with `syn`, and the
//! token streams of macros (`view! { ... }`) are searched too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

use crate::process::project_root;

/// The crates whose `src/` is checked.
const CRATES: [&str; 5] = ["shared", "proxy", "frontend", "tests", "xtask"];

/// Fails, naming every circle, when any crate has one.
pub fn check() -> Result<(), String> {
    let mut found = Vec::new();
    for name in CRATES {
        let src = project_root().join(name).join("src");
        let graph = ModuleGraph::from_sources(&read_sources(&src)?)?;
        found.extend(graph.circles().into_iter().map(|circle| format!("{name}: {}", circle.join(" <-> "))));
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(format!(
        "modules that import each other (put what both need in a lower module, or merge them):\n  {}",
        found.join("\n  ")
    ))
}

/// Every `.rs` file under `src`, as (path relative to `src`, text).
fn read_sources(src: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|err| format!("cannot list {}: {err}", folder.display()))?;
        for entry in entries {
            let path = entry.map_err(|err| format!("cannot list {}: {err}", folder.display()))?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text =
                    std::fs::read_to_string(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
                let relative = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
                files.push((relative, text));
            }
        }
    }
    Ok(files)
}

/// Which top-level module uses which.
#[derive(Debug, Default)]
struct ModuleGraph {
    uses: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleGraph {
    fn from_sources(files: &[(String, String)]) -> Result<Self, String> {
        let modules: BTreeSet<String> = files.iter().filter_map(|(path, _)| top_module(path)).collect();
        let mut graph = Self::default();
        for (path, text) in files {
            let Some(module) = top_module(path) else { continue };
            let file = syn::parse_file(text).map_err(|err| format!("cannot parse {path}: {err}"))?;
            let mut reached = ReachedModules { super_is_root: super_is_root(path), heads: BTreeSet::new() };
            reached.visit_file(&file);
            let targets: Vec<String> =
                reached.heads.into_iter().filter(|head| *head != module && modules.contains(head)).collect();
            graph.uses.entry(module).or_default().extend(targets);
        }
        Ok(graph)
    }

    /// Groups of two or more modules that all reach each other, each sorted,
    /// in a stable order.
    fn circles(&self) -> Vec<Vec<String>> {
        let reach: BTreeMap<&str, BTreeSet<&str>> =
            self.uses.keys().map(|module| (module.as_str(), self.reachable_from(module))).collect();
        let mut circles: Vec<Vec<String>> = Vec::new();
        for (module, reached) in &reach {
            if circles.iter().any(|circle| circle.iter().any(|m| m == module)) {
                continue;
            }
            let circle: Vec<String> = reached
                .iter()
                .filter(|other| reach.get(**other).is_some_and(|back| back.contains(module)))
                .map(|other| other.to_string())
                .collect();
            if circle.len() > 1 {
                circles.push(circle);
            }
        }
        circles
    }

    /// Every module reachable from `start`, `start` included when it is on a circle.
    fn reachable_from(&self, start: &str) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&str> = self.uses.get(start).into_iter().flatten().map(String::as_str).collect();
        while let Some(module) = next.pop() {
            if seen.insert(module) {
                next.extend(self.uses.get(module).into_iter().flatten().map(String::as_str));
            }
        }
        seen
    }
}

/// The top-level module a file belongs to; `None` for the crate root.
fn top_module(path: &str) -> Option<String> {
    let first = path.split('/').next()?;
    match first {
        "lib.rs" | "main.rs" => None,
        _ => Some(first.strip_suffix(".rs").unwrap_or(first).to_string()),
    }
}

/// Whether `super::` in this file names the crate root: in `a.rs` and
/// `a/mod.rs`, not in `a/b.rs` (there it is `a` itself).
fn super_is_root(path: &str) -> bool {
    let depth = path.matches('/').count();
    depth == 0 || (depth == 1 && path.ends_with("/mod.rs"))
}

/// The first segments after `crate::` (and a root `super::`) in one file.
struct ReachedModules {
    super_is_root: bool,
    heads: BTreeSet<String>,
}

impl ReachedModules {
    fn names_the_root(&self, ident: &syn::Ident) -> bool {
        ident == "crate" || (self.super_is_root && ident == "super")
    }

    fn add_use_tree(&mut self, tree: &syn::UseTree, under_root: bool) {
        match tree {
            syn::UseTree::Path(path) if !under_root && self.names_the_root(&path.ident) => {
                self.add_use_tree(&path.tree, true);
            }
            syn::UseTree::Path(path) if under_root => {
                self.heads.insert(path.ident.to_string());
            }
            syn::UseTree::Name(name) if under_root => {
                self.heads.insert(name.ident.to_string());
            }
            syn::UseTree::Rename(rename) if under_root => {
                self.heads.insert(rename.ident.to_string());
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.add_use_tree(tree, under_root);
                }
            }
            _ => {}
        }
    }

    /// `crate :: name` in a macro's tokens.
    fn add_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (index, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Group(group) => self.add_tokens(group.stream()),
                TokenTree::Ident(ident) if self.names_the_root(ident) => {
                    if let [TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Ident(head), ..] = &trees[index + 1..]
                        && a.as_char() == ':'
                        && b.as_char() == ':'
                    {
                        self.heads.insert(head.to_string());
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for ReachedModules {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !item_attributes(item).iter().any(is_cfg_test) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.add_use_tree(&item.tree, false);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if let (Some(first), Some(second)) = (segments.next(), segments.next())
            && self.names_the_root(&first.ident)
        {
            self.heads.insert(second.ident.to_string());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.add_tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

fn item_attributes(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Macro(item) => &item.attrs,
        syn::Item::Mod(item) => &item.attrs,
        syn::Item::Static(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        syn::Item::Use(item) => &item.attrs,
        _ => &[],
    }
}

/// `#[cfg(test)]`.
fn is_cfg_test(attribute: &syn::Attribute) -> bool {
    attribute.path().is_ident("cfg") && attribute.parse_args::<syn::Ident>().is_ok_and(|predicate| predicate == "test")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circles_of(files: &[(&str, &str)]) -> Vec<Vec<String>> {
        let files: Vec<(String, String)> = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        ModuleGraph::from_sources(&files).expect("parses").circles()
    }

    #[test]
    fn two_modules_that_import_each_other_are_a_circle() {
        let circles = circles_of(&[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "use crate::b::B; pub struct A;"),
            ("b.rs", "pub struct B; fn f() -> crate::a::A { todo!() }"),
        ]);
        assert_eq!(circles, vec![vec!["a".to_string(), "b".to_string()]]);
    }

    #[test]
    fn a_chain_back_to_its_start_is_one_circle_and_layers_are_none() {
        let three = circles_of(&[
            ("a.rs", "use crate::{b::B, d};"),
            ("b.rs", "use crate::c::C;"),
            ("c.rs", "use super::a::A;"),
            ("d.rs", ""),
        ]);
        assert_eq!(three, vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]);
        let layered = circles_of(&[("a.rs", "use crate::b::B;"), ("b.rs", "use crate::c::C;"), ("c.rs", "")]);
        assert!(layered.is_empty(), "{layered:?}");
    }

    #[test]
    fn submodules_are_their_module_and_tests_reach_anywhere() {
        let circles = circles_of(&[
            ("cache/mod.rs", "mod store; use crate::source::S;"),
            ("cache/store.rs", "use super::Entry; #[cfg(test)] mod tests { use crate::source::S; }"),
            ("source/mod.rs", "#[cfg(test)] use crate::cache::C; pub struct S;"),
        ]);
        assert!(circles.is_empty(), "{circles:?}");
        let through_a_submodule =
            circles_of(&[("cache/store.rs", "use crate::source::S;"), ("source/mod.rs", "use crate::cache::C;")]);
        assert_eq!(through_a_submodule, vec![vec!["cache".to_string(), "source".to_string()]]);
    }

    #[test]
    fn paths_inside_macros_count() {
        let circles =
            circles_of(&[("app.rs", "fn f() { view! { <crate::pages::Page/> } }"), ("pages.rs", "use crate::app::X;")]);
        assert_eq!(circles, vec![vec!["app".to_string(), "pages".to_string()]]);
    }
}
