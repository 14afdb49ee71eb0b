//! What a run loads: the project folder (a script, a mini program or a mini game),
//! module resolution and loading confined to the package, the TypeScript and ES module
//! transform, and base library versions.

pub(crate) mod config;
pub(crate) mod depth;
pub(crate) mod loader;
pub(crate) mod modules;
pub(crate) mod natives;
mod open;
pub(crate) mod project;
pub(crate) mod resolve;
pub(crate) mod transform;
pub(crate) mod version;
