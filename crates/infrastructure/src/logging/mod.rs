//! Log files.

mod batched;
mod daily_file;

pub use batched::{BatchedLines, BatchedLinesGuard};
pub use daily_file::DailyFile;
