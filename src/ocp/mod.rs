//! The Optimistic Challenge Process (OCP): a boolean circuit's claimed result secured on
//! Bitcoin by a pre-signed transaction graph. See `docs/ocp.md`.
//!
//! Data flows through the modules in this order: [`bristol`] and [`builder`] give the
//! circuit, [`commit`] the operator's one-time signatures on its wires, [`script`] the
//! leaf scripts, [`taptree`] their trees.

pub mod bristol;
pub mod builder;
pub mod chain;
pub mod claim;
pub mod commit;
pub mod game;
pub mod graph;
pub mod keys;
pub mod policy;
pub mod script;
pub mod sign;
pub mod store;
pub mod taptree;
pub mod verify;

use crate::exit;

/// Everything that can go wrong in the OCP library. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OcpError {
    /// Malformed input: JSON, hex, keys, circuit or graph files.
    #[error("{0}")]
    Data(String),
    #[error(transparent)]
    Bristol(#[from] bristol::BristolError),
    /// A file that should be there is not.
    #[error("cannot read {path}: {source}\n  hint: {hint}")]
    Missing {
        path: String,
        source: std::io::Error,
        hint: String,
    },
    /// An argument that cannot work (unknown builtin, unknown scenario, too small amount).
    #[error("{0}")]
    Usage(String),
    /// The game did not end as the protocol intends.
    #[error("{0}")]
    Game(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl exit::ExitCode for OcpError {
    fn exit_code(&self) -> i32 {
        match self {
            OcpError::Data(_) | OcpError::Bristol(_) => exit::BAD_DATA,
            OcpError::Missing { .. } => exit::NO_INPUT,
            OcpError::Usage(_) => exit::USAGE,
            OcpError::Game(_) => exit::GAME_FAILED,
            OcpError::Write { .. } => exit::CANT_CREATE,
        }
    }
}
