//! `DailyFile`: a log file that starts afresh every day and keeps a number of days.
//!
//! The current day's lines go to `<dir>/<name>`; at the first write of a new day it is
//! renamed `<name>.<YYYY-MM-DD>` (the day it holds) and a new one is started, and files
//! older than `keep_days` are deleted. The clock is injected so that tests can cross
//! midnight. (tracing-appender's own rolling appender reads the system clock and names
//! the current file by date; qblog keeps `access.log` a stable name for `tail -f` and
//! for log shippers, and needs the controllable clock.)
//!
//! It is a plain `io::Write`; the server puts tracing-appender's non-blocking writer in
//! front of it, so a slow or full disk never holds up a request.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

/// Tells the time (UTC); the system clock outside tests.
pub type DayClock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A daily-rotated append-only file.
pub struct DailyFile {
    dir: PathBuf,
    name: String,
    keep_days: u32,
    clock: DayClock,
    day: NaiveDate,
    file: File,
}

impl DailyFile {
    /// Opens (creating the directory and file) `<dir>/<name>` for appending.
    ///
    /// # Errors
    /// When the directory or file cannot be created or opened.
    pub fn open(dir: &Path, name: &str, keep_days: u32, clock: DayClock) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let path = dir.join(name);
        // A file left from an earlier day (the process was down at midnight) is
        // rotated under the day it was last written.
        let today = clock().date_naive();
        if let Ok(modified) = fs::metadata(&path).and_then(|m| m.modified()) {
            let day = DateTime::<Utc>::from(modified).date_naive();
            if day < today {
                fs::rename(&path, dir.join(format!("{name}.{day}")))?;
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut daily = Self {
            dir: dir.to_owned(),
            name: name.to_owned(),
            keep_days,
            clock,
            day: today,
            file,
        };
        daily.remove_old()?;
        Ok(daily)
    }

    fn rotate(&mut self, today: NaiveDate) -> io::Result<()> {
        self.file.flush()?;
        let current = self.dir.join(&self.name);
        fs::rename(
            &current,
            self.dir.join(format!("{}.{}", self.name, self.day)),
        )?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&current)?;
        self.day = today;
        self.remove_old()
    }

    /// Deletes rotated files more than `keep_days` days old.
    fn remove_old(&mut self) -> io::Result<()> {
        let prefix = format!("{}.", self.name);
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let file_name = entry.file_name();
            let Some(day) = file_name
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|d| d.trim_end_matches(".gz").parse::<NaiveDate>().ok())
            else {
                continue;
            };
            if (self.day - day).num_days() > i64::from(self.keep_days) {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let today = (self.clock)().date_naive();
        if today != self.day {
            self.rotate(today)?;
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    /// A clock the test moves by hand.
    fn manual_clock(start: DateTime<Utc>) -> (DayClock, Arc<Mutex<DateTime<Utc>>>) {
        let now = Arc::new(Mutex::new(start));
        let read = Arc::clone(&now);
        (Arc::new(move || *read.lock().expect("clock")), now)
    }

    #[test]
    fn crossing_midnight_rotates_the_file_under_the_day_it_holds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (clock, now) = manual_clock(at(20, 23));
        let mut log = DailyFile::open(dir.path(), "access.log", 7, clock).expect("opened");
        writeln!(log, "late on the 20th").expect("written");
        *now.lock().expect("clock") = at(21, 0);
        writeln!(log, "early on the 21st").expect("written");
        log.flush().expect("flushed");

        let rotated =
            fs::read_to_string(dir.path().join("access.log.2026-11-20")).expect("rotated");
        let current = fs::read_to_string(dir.path().join("access.log")).expect("current");
        assert_eq!(rotated, "late on the 20th\n");
        assert_eq!(current, "early on the 21st\n");
    }

    #[test]
    fn only_keep_days_of_rotated_files_are_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (clock, now) = manual_clock(at(1, 12));
        let mut log = DailyFile::open(dir.path(), "access.log", 2, clock).expect("opened");
        for day in 1..=5 {
            *now.lock().expect("clock") = at(day, 12);
            writeln!(log, "day {day}").expect("written");
        }
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .expect("listed")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "access.log",
                "access.log.2026-11-03",
                "access.log.2026-11-04"
            ]
        );
    }
}
