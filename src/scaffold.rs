//! `zkm new`: write a guest project from the templates in `templates/guest/`.
//!
//! The templates are compiled into the binary, so `zkm new` needs no files at run time and
//! the generated project needs no module download: its `zkvm` helper package is local.

use std::path::{Path, PathBuf};

use crate::exit::{self, ExitCode};

/// The files of a new guest: (path in the project, template text).
const FILES: &[(&str, &str)] = &[
    ("go.mod", include_str!("../templates/guest/go.mod.tmpl")),
    ("main.go", include_str!("../templates/guest/main.go.tmpl")),
    (
        "zkvm/zkvm.go",
        include_str!("../templates/guest/zkvm/zkvm.go"),
    ),
    (
        ".gitignore",
        include_str!("../templates/guest/gitignore.tmpl"),
    ),
];

/// The `zkvm` helper package as shipped in new projects.
pub const ZKVM_GO: &str = include_str!("../templates/guest/zkvm/zkvm.go");

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0} exists and is not empty; zkm new never overwrites files.\nChoose a new directory, or empty this one first")]
    NotEmpty(String),
    #[error("{0} exists and is not a directory.\nChoose another path")]
    NotADirectory(String),
    #[error("invalid module name {0:?}: use letters, digits, '-', '_', '.' and '/', starting with a letter.\nPass a valid one with --name")]
    BadName(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl ExitCode for ScaffoldError {
    fn exit_code(&self) -> i32 {
        match self {
            ScaffoldError::NotEmpty(_) | ScaffoldError::NotADirectory(_) => exit::CANT_CREATE,
            ScaffoldError::BadName(_) => exit::USAGE,
            ScaffoldError::Io { .. } => exit::CANT_CREATE,
        }
    }
}

/// What `zkm new` created.
#[derive(Debug, serde::Serialize)]
pub struct NewProject {
    pub dir: PathBuf,
    pub module: String,
    pub files: Vec<PathBuf>,
}

/// Checks a Go module path: ASCII letters, digits, `-_./~`, starting with a letter.
pub fn valid_module_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./~".contains(c))
        && !name.contains("//")
        && !name.ends_with('/')
}

/// Writes a new guest into `dir` (created if missing, refused if not empty). The module
/// name defaults to the directory's name.
pub fn new_project(dir: &Path, name: Option<&str>) -> Result<NewProject, ScaffoldError> {
    let shown = dir.display().to_string();
    if dir.exists() {
        if !dir.is_dir() {
            return Err(ScaffoldError::NotADirectory(shown));
        }
        let mut entries = std::fs::read_dir(dir).map_err(|source| ScaffoldError::Io {
            path: shown.clone(),
            source,
        })?;
        if entries.next().is_some() {
            return Err(ScaffoldError::NotEmpty(shown));
        }
    }
    let module = match name {
        Some(n) => n.to_string(),
        None => std::path::absolute(dir)
            .ok()
            .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    };
    if !valid_module_name(&module) {
        return Err(ScaffoldError::BadName(module));
    }
    let short = module.rsplit('/').next().unwrap_or(&module);
    let mut files = Vec::new();
    for (rel, template) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let text = template
            .replace("{{module}}", &module)
            .replace("{{name}}", short);
        std::fs::write(&path, text).map_err(|source| ScaffoldError::Io {
            path: path.display().to_string(),
            source,
        })?;
        files.push(path);
    }
    Ok(NewProject {
        dir: dir.to_path_buf(),
        module,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        for ok in ["hello", "example.com/me/hello", "a_b-c.d"] {
            assert!(valid_module_name(ok), "{ok}");
        }
        for bad in ["", "1abc", "has space", "a//b", "a/", "ünï"] {
            assert!(!valid_module_name(bad), "{bad}");
        }
    }

    #[test]
    fn writes_templates_with_module_name_and_refuses_non_empty_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("guest");
        let p = new_project(&dir, Some("example.com/guest")).unwrap();
        assert_eq!(p.files.len(), FILES.len());
        let gomod = std::fs::read_to_string(dir.join("go.mod")).unwrap();
        assert!(gomod.starts_with("module example.com/guest\n"));
        let main = std::fs::read_to_string(dir.join("main.go")).unwrap();
        assert!(main.contains("\"example.com/guest/zkvm\""));
        assert!(!main.contains("{{"));
        assert!(matches!(
            new_project(&dir, None),
            Err(ScaffoldError::NotEmpty(_))
        ));
    }
}
