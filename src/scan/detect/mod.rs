//! Cheap validators run over every chunk. Each sees a window (`&[u8]`) and the absolute offset
//! of its first byte, returns candidates through `Option`, and allocates nothing on a miss.
#![deny(clippy::indexing_slicing)]

pub mod journal;
pub mod page;
pub mod signatures;
