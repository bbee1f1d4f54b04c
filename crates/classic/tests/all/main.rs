//! The crate's own plumbing (pipelines, model selection, persistence) in one test binary, with
//! small estimators written here as test doubles so the plumbing is tested apart from the
//! real models.

mod contract;
mod contract_models;
mod doubles;
mod model_selection;
mod persist;
mod pipeline;
