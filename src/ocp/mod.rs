//! The Optimistic Challenge Process (OCP): a boolean circuit's claimed result secured on
//! Bitcoin by a pre-signed transaction graph. See `docs/ocp.md`.
//!
//! Data flows through the modules in this order: [`bristol`] and [`builder`] give the
//! circuit, [`commit`] the operator's one-time signatures on its wires, [`script`] the
//! leaf scripts, [`taptree`] their trees.

pub mod bristol;
pub mod builder;
pub mod commit;
pub mod script;
pub mod taptree;
pub mod verify;
