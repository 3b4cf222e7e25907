//! An environment's output, line by line, as Lambda captures it: stdout and stderr share one
//! pipe, each line goes to the function's log stream, and the lines between an invocation's
//! START and END are also that invocation's own.
//!
//! Which lines belong to an invocation is decided in the pipe itself: the host keeps a writing
//! end and writes a mark line (carrying a secret token, so the function cannot forge one) into
//! it just before the event is handed over and again once the answer is in. A process writes
//! its line before it can post its answer, so everything it wrote for the invocation is in the
//! pipe ahead of the END mark: no line is lost to a race between the pipe and the Runtime API.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::oneshot;

use super::logs::{LogLine, LogSink};

/// What a mark stands for, and the platform lines that go in its place.
enum Mark {
    /// An invocation begins: its START line, and its lines are collected from here.
    Begin(Vec<String>),
    /// It ended: END and REPORT, then the collected lines go to `done`.
    End(Vec<String>, oneshot::Sender<Vec<LogLine>>),
}

type Marks = Arc<Mutex<HashMap<u64, Mark>>>;

/// The host's end of an environment's output pipe.
pub(crate) struct LogPipe {
    writer: Mutex<Option<std::io::PipeWriter>>,
    token: String,
    marks: Marks,
    next_mark: Mutex<u64>,
    reader: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Lines read from the pipe go to `sink` under `stream`.
pub(crate) struct Destination {
    pub(crate) sink: LogSink,
    pub(crate) stream: Arc<str>,
}

impl LogPipe {
    /// A pipe whose reader runs until every writing end is closed; `writers` are for the
    /// process's stdout and stderr.
    pub(crate) fn open(
        token: &str,
        destination: Destination,
    ) -> std::io::Result<(LogPipe, [std::io::PipeWriter; 2])> {
        let (reader, writer) = std::io::pipe()?;
        let writers = [writer.try_clone()?, writer.try_clone()?];
        let marks: Marks = Arc::default();
        let prefix = mark_prefix(token);
        let shared = Arc::clone(&marks);
        let reader = std::thread::Builder::new()
            .name(format!("logs {}", destination.stream))
            .spawn(move || read_lines(BufReader::new(reader), &prefix, &shared, &destination))?;
        let pipe = LogPipe {
            writer: Mutex::new(Some(writer)),
            token: token.to_owned(),
            marks,
            next_mark: Mutex::new(0),
            reader: Mutex::new(Some(reader)),
        };
        Ok((pipe, writers))
    }

    /// Writes the START mark: `start` (START, after INIT_REPORT on a failed init) goes to the
    /// log here, and collecting begins.
    pub(crate) fn begin(&self, start: Vec<String>) {
        self.mark(Mark::Begin(start));
    }

    /// Writes the END mark: `end` (END, REPORT) goes to the log after every line the process
    /// wrote before it; the invocation's lines arrive on the receiver.
    pub(crate) fn end(&self, end: Vec<String>) -> oneshot::Receiver<Vec<LogLine>> {
        let (done, lines) = oneshot::channel();
        self.mark(Mark::End(end, done));
        lines
    }

    fn mark(&self, mark: Mark) {
        let number = {
            let mut next = lock(&self.next_mark);
            *next += 1;
            *next
        };
        lock(&self.marks).insert(number, mark);
        let line = format!("{}{number}\n", mark_prefix(&self.token));
        // A short write to a pipe is atomic; an error means the reader is gone, and the
        // receiver of an END then reports no lines.
        if let Some(writer) = lock(&self.writer).as_mut() {
            let _ = writer.write_all(line.as_bytes());
        }
    }

    /// Closes the host's end; the reader ends once the process's ends are closed too (it exited),
    /// and its handle is returned to wait for the last lines.
    pub(crate) fn close(&self) -> Option<std::thread::JoinHandle<()>> {
        lock(&self.writer).take();
        lock(&self.reader).take()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn mark_prefix(token: &str) -> String {
    format!("\u{1}demo-mark:{token}:")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The reader: every line to the sink, in order, with the marks replaced by their lines.
fn read_lines(mut reader: impl BufRead, prefix: &str, marks: &Marks, destination: &Destination) {
    let mut collected: Option<Vec<LogLine>> = None;
    let mut last_ms = 0;
    let mut emit = |message: String, collected: &mut Option<Vec<LogLine>>| {
        // CloudWatch wants a stream's events in time order; the clock may step back.
        last_ms = now_ms().max(last_ms);
        let line = LogLine {
            timestamp_ms: last_ms,
            message,
        };
        destination.sink.send(&destination.stream, &line);
        if let Some(lines) = collected {
            lines.push(line);
        }
    };
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&buffer);
        let text = text.trim_end_matches(['\n', '\r']);
        let Some(at) = text.find(prefix) else {
            emit(text.to_owned(), &mut collected);
            continue;
        };
        // A line the process left unfinished ends where the mark begins.
        if at > 0 {
            emit(text[..at].to_owned(), &mut collected);
        }
        let number: Option<u64> = text[at + prefix.len()..].parse().ok();
        let mark = number.and_then(|n| lock(marks).remove(&n));
        match mark {
            Some(Mark::Begin(lines)) => {
                collected = Some(Vec::new());
                lines.into_iter().for_each(|l| emit(l, &mut collected));
            }
            Some(Mark::End(lines, done)) => {
                lines.into_iter().for_each(|l| emit(l, &mut collected));
                let _ = done.send(collected.take().unwrap_or_default());
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::host::logs::LogSink;

    #[tokio::test]
    async fn lines_between_the_marks_are_the_invocations_and_all_go_to_the_stream() {
        let (sink, mut shipped) = LogSink::for_tests();
        let destination = Destination {
            sink,
            stream: Arc::from("2021/12/01/[$LATEST]abc"),
        };
        let (pipe, [mut out, mut err]) = LogPipe::open("t0ken", destination).unwrap();
        writeln!(out, "init line").unwrap();
        pipe.begin(vec!["START RequestId: r-1".into()]);
        writeln!(out, "handler line").unwrap();
        write!(err, "unfinished").unwrap();
        let lines = pipe.end(vec!["END RequestId: r-1".into(), "REPORT …".into()]);
        writeln!(out, "after").unwrap();
        // A forged mark (without the token) is an ordinary line.
        writeln!(out, "\u{1}demo-mark:guess:1").unwrap();
        let lines: Vec<String> = lines
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.message)
            .collect();
        assert_eq!(
            lines,
            [
                "START RequestId: r-1",
                "handler line",
                "unfinished",
                "END RequestId: r-1",
                "REPORT …"
            ]
        );
        drop((out, err));
        pipe.close().unwrap().join().unwrap();
        let mut all = Vec::new();
        let mut times = Vec::new();
        while let Ok((stream, line)) = shipped.try_recv() {
            assert_eq!(&*stream, "2021/12/01/[$LATEST]abc");
            all.push(line.message);
            times.push(line.timestamp_ms);
        }
        assert_eq!(all.first().map(String::as_str), Some("init line"));
        assert_eq!(all[all.len() - 2], "after");
        assert!(all.last().unwrap().contains("guess"));
        assert_eq!(all.len(), 8);
        assert!(times.is_sorted(), "{times:?}");
    }
}
