//! Renderers that turn a JSON report (contract v1, read as `serde_json::Value`) into other formats.

pub mod html;
