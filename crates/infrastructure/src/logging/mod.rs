//! Log files.

mod daily_file;

pub use daily_file::DailyFile;
