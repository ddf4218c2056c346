//! `BatchedLines`: log lines appended by request handlers to one shared buffer and
//! written by one thread every few milliseconds.
//!
//! A request pays for a short append under a lock — no allocation, no channel, no
//! wake-up of another thread, no system call — and the writer thread makes one write
//! per batch. When the file cannot keep up and the buffer reaches its bound, lines are
//! dropped and counted rather than slowing requests down or growing memory.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

struct Shared {
    pending: Mutex<Vec<u8>>,
    wake: Condvar,
    stopping: AtomicBool,
    dropped: AtomicU64,
    max_pending: usize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // Appending cannot leave the buffer half-changed: a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handle request handlers append lines through; clone it freely.
#[derive(Clone)]
pub struct BatchedLines {
    shared: Arc<Shared>,
}

/// Stops the writer thread when dropped, after it wrote what was pending.
pub struct BatchedLinesGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchedLines {
    /// Starts a thread named `name` that writes the pending lines to `writer` every
    /// `every`; at most `max_pending` bytes wait at a time.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start(
        name: &str,
        mut writer: impl Write + Send + 'static,
        every: Duration,
        max_pending: usize,
    ) -> std::io::Result<(Self, BatchedLinesGuard)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Vec::with_capacity(64 * 1024)),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            max_pending,
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut batch = Vec::with_capacity(64 * 1024);
                loop {
                    let stopping = {
                        let mut pending = worker.lock();
                        // The flag is set under this lock: checked here, no wake-up is lost.
                        if !worker.stopping.load(Ordering::Acquire) {
                            pending = worker
                                .wake
                                .wait_timeout(pending, every)
                                .unwrap_or_else(PoisonError::into_inner)
                                .0;
                        }
                        std::mem::swap(&mut *pending, &mut batch);
                        worker.stopping.load(Ordering::Acquire)
                    };
                    if !batch.is_empty() {
                        // A failing disk must not stop the service: the lines are lost.
                        let _ = writer.write_all(&batch).and_then(|()| writer.flush());
                        batch.clear();
                    }
                    if stopping {
                        break;
                    }
                }
            })?;
        Ok((
            Self {
                shared: Arc::clone(&shared),
            },
            BatchedLinesGuard {
                shared,
                thread: Some(thread),
            },
        ))
    }

    /// Appends `line` and a newline, or drops it when the buffer is full.
    pub fn push(&self, line: &str) {
        let mut pending = self.shared.lock();
        if pending.len() + line.len() + 1 > self.shared.max_pending {
            drop(pending);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pending.extend_from_slice(line.as_bytes());
        pending.push(b'\n');
    }

    /// Lines dropped so far because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for BatchedLinesGuard {
    fn drop(&mut self) {
        {
            let _pending = self.shared.lock();
            self.shared.stopping.store(true, Ordering::Release);
        }
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_reach_the_writer_in_order_and_all_of_them_by_the_guards_end() {
        let out = Shared::default();
        let (lines, guard) =
            BatchedLines::start("test-log", out.clone(), Duration::from_secs(60), 1 << 20)
                .expect("started");
        for i in 0..1000 {
            lines.push(&format!("line {i}"));
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf8");
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, expected);
        assert_eq!(lines.dropped(), 0);
    }

    #[test]
    fn lines_are_written_without_waiting_for_the_end() {
        let out = Shared::default();
        let (lines, _guard) =
            BatchedLines::start("test-log", out.clone(), Duration::from_millis(10), 1 << 20)
                .expect("started");
        lines.push("soon");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while out.0.lock().expect("lock").is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(out.0.lock().expect("lock").as_slice(), b"soon\n");
    }

    #[test]
    fn a_full_buffer_drops_and_counts_lines_instead_of_growing() {
        let out = Shared::default();
        let (lines, guard) =
            BatchedLines::start("test-log", out.clone(), Duration::from_secs(60), 20)
                .expect("started");
        lines.push("0123456789");
        lines.push("0123456789");
        lines.push("x");
        assert_eq!(lines.dropped(), 1);
        drop(guard);
        assert_eq!(out.0.lock().expect("lock").as_slice(), b"0123456789\nx\n");
    }
}
